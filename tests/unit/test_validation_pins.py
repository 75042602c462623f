"""chalicelib/validation.py pinned field by field (issue 19: its mutation score was 23 %): the year
range and its edges, https URLs (``https:/x``), control characters in descriptions, epoch numbers
as dates, and the published patterns agreeing with the validators character by character."""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import AwareDatetime, TypeAdapter, ValidationError

from chalicelib.validation import (
    MULTI_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    AwareYear,
    Description,
    Email,
    HttpsUrl,
    IsoText,
    Notes,
    ShortText,
    StrictModel,
    Tag,
    TimeZoneName,
    Title,
    refused_character,
    year_problem,
)

Instant = TypeAdapter(Annotated[AwareDatetime, IsoText, AwareYear])
Day = TypeAdapter(Annotated[date, IsoText, AwareYear])


def why(adapter: TypeAdapter[Any], value: Any) -> str | None:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    return None


# ---------------------------------------------------------------- years and epoch numbers


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1999-12-31T23:59:59Z", False),
        ("2000-01-01T00:00:00Z", True),
        ("2100-12-31T23:59:59Z", True),
        ("2101-01-01T00:00:00Z", False),
        ("2100-12-31T20:00:00-07:00", False),  # 2101 in UTC
        ("2000-01-01T00:30:00+01:00", False),  # 1999 in UTC
        ("1999-12-31T17:00:00-07:00", True),  # 2000 in UTC
        ("9999-12-31T22:00:00-07:00", False),  # year 10000 in UTC: no overflow
        ("0001-01-01T00:30:00+01:00", False),  # year 0 in UTC: no overflow
        ("9999-12-31T23:59:59.999999+00:00", False),
    ],
)
def test_instants_are_held_to_the_years_2000_to_2100_in_utc(value: str, ok: bool) -> None:
    assert (why(Instant, value) is None) is ok
    if not ok:
        assert why(Instant, value) == "Must be between the years 2000 and 2100."


@pytest.mark.parametrize(("value", "ok"), [("1999-12-31", False), ("2000-01-01", True), ("2100-12-31", True)])
def test_days_are_held_to_the_same_years(value: str, ok: bool) -> None:
    assert (why(Day, value) is None) is ok
    assert (why(Day, "2101-01-01") is None) is False


@pytest.mark.parametrize("value", [1767225600, 1767225600.0, 0, -1, 2**40])
def test_numbers_are_not_read_as_epoch_seconds(value: Any) -> None:
    assert why(Instant, value) == "Must be an ISO 8601 string."
    assert why(Day, value) == "Must be an ISO 8601 string."


def test_an_instant_needs_an_offset_and_a_boolean_is_no_date() -> None:
    assert why(Instant, "2030-01-01T10:00:00") is not None
    assert why(Instant, True) is not None
    assert year_problem(datetime(2030, 1, 1)) is None  # naive: its own year
    assert year_problem(datetime(1999, 12, 31, 23)) is not None
    assert year_problem(datetime(2030, 1, 1, tzinfo=UTC)) is None
    assert year_problem(date(2101, 1, 1)) is not None and year_problem(date(1999, 12, 31)) is not None


# ---------------------------------------------------------------- URLs and zones


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://example.org/a?b=c", True),
        ("HTTPS://Example.org/", True),
        ("  https://example.org  ", True),
        ("https:/x", False),
        ("https:x", False),
        ("http://example.org", False),
        ("ftp://example.org", False),
        ("javascript:alert(1)", False),
        ("//example.org", False),
        ("example.org", False),
        ("https://" + "a" * 1990 + ".org", False),  # over 2,000 characters
    ],
)
def test_only_https_urls_with_two_slashes_are_accepted(value: str, ok: bool) -> None:
    problem = why(TypeAdapter(HttpsUrl), value)
    assert (problem is None) is ok, problem
    if value == "https:/x":
        assert problem == "Must be an https:// URL."


def test_an_accepted_url_is_returned_normalised() -> None:
    assert TypeAdapter(HttpsUrl).validate_python("  HTTPS://Example.org  ") == "https://example.org/"


@pytest.mark.parametrize(
    ("value", "ok"), [("America/Denver", True), ("UTC", True), ("Mars/Olympus", False), ("", False)]
)
def test_time_zones_are_iana_names(value: str, ok: bool) -> None:
    problem = why(TypeAdapter(TimeZoneName), value)
    assert (problem is None) is ok
    if value == "Mars/Olympus":
        assert problem == "Must be an IANA time zone name such as America/Denver."


# ---------------------------------------------------------------- text


CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"]


@pytest.mark.parametrize("char", CONTROLS)
def test_descriptions_refuse_control_characters_but_keep_line_breaks_and_tabs(char: str) -> None:
    adapter = TypeAdapter(Description)
    assert why(adapter, f"First line{char}second") == "Must not contain control characters."
    assert adapter.validate_python("First line\nsecond\r\n\tindented =? kept") == (
        "First line\nsecond\r\n\tindented =? kept"
    )
    assert why(TypeAdapter(Notes), f"a{char}b") == "Must not contain control characters."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\nb", "Must be a single line."),
        ("a\rb", "Must be a single line."),
        ("a\u2028b", "Must be a single line."),
        ("a\u2029b", "Must be a single line."),
        ("a\tb", "Must not contain control characters."),
        ("a\x85b", "Must not contain control characters."),
        (
            "a\u202eb",
            "Must not contain invisible formatting characters (such as direction marks or zero-width spaces).",
        ),
        (
            "a\u200bb",
            "Must not contain invisible formatting characters (such as direction marks or zero-width spaces).",
        ),
        ("a=?b", 'Must not contain "=?" (email programs read it as an encoded word).'),
    ],
)
def test_single_line_text_says_why_it_refuses(text: str, message: str) -> None:
    assert refused_character(text) == message
    assert why(TypeAdapter(Title), text) == message


def test_multi_line_text_takes_separators_as_line_breaks_and_refuses_invisible_characters() -> None:
    assert refused_character("a\u2028b", multi_line=True) is None  # a line break (issue 21 item 12)
    assert refused_character("a\u2028b") == "Must be a single line."
    assert refused_character("a\u202eb", multi_line=True) is not None
    assert refused_character("a\nb\r\tc=?d", multi_line=True) is None


def test_lengths_and_trimming() -> None:
    assert TypeAdapter(ShortText).validate_python("  Helena  ") == "Helena"
    assert why(TypeAdapter(ShortText), "   ") is not None
    assert why(TypeAdapter(Title), "x" * 200) is None
    assert why(TypeAdapter(Title), "x" * 201) is not None
    assert why(TypeAdapter(Tag), "x" * 40) is None
    assert why(TypeAdapter(Tag), "x" * 41) is not None
    assert why(TypeAdapter(Description), "x" * 5000) is None
    assert why(TypeAdapter(Description), "x" * 5001) is not None
    assert why(TypeAdapter(Notes), "x" * 1001) is not None
    assert TypeAdapter(Description).validate_python("  text \n") == "text"


def test_email_addresses_are_normalised_and_refuse_encoded_words() -> None:
    adapter = TypeAdapter(Email)
    assert adapter.validate_python("  Ann@Example.ORG ") == "ann@example.org"
    assert why(adapter, "=?utf-8?q?a?=@example.org") is not None
    assert why(adapter, "ann@localhost") is not None


def test_strict_models_refuse_unknown_fields() -> None:
    class Thing(StrictModel):
        name: ShortText

    with pytest.raises(ValidationError) as caught:
        Thing.model_validate({"name": "a", "nmae": "b"})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"
    assert Thing.model_validate({"name": "  a  "}).name == "a"


# The published patterns say what the validators do, for every character of the BMP we sample.
@given(char=st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]))
def test_the_published_patterns_agree_with_the_validators(char: str) -> None:
    text = f"a{char}b"
    assert (re.fullmatch(SINGLE_LINE_PATTERN, text) is None) == (refused_character(text) is not None), repr(char)
    multi = re.fullmatch(MULTI_LINE_PATTERN, text) is None
    assert multi == (refused_character(text, multi_line=True) is not None), repr(char)


@pytest.mark.parametrize("text", ["=?", "a==?", "x=?y", "==", "a=", "=a?", "?=", "= ?"])
def test_the_single_line_pattern_refuses_exactly_the_encoded_word_opening(text: str) -> None:
    assert (re.fullmatch(SINGLE_LINE_PATTERN, text) is None) == ("=?" in text)
    assert (refused_character(text) is not None) == ("=?" in text)


def test_python_is_what_the_suite_expects() -> None:
    assert sys.version_info[:2] == (3, 12)
