"""The field types every model shares (chalicelib/validation.py): what each refuses, with the words
the error shape shows, and that the published JSON Schema says the same as the validator."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import pytest
from pydantic import AwareDatetime, TypeAdapter, ValidationError

from chalicelib.errors import pydantic_fields
from chalicelib.validation import (
    MULTI_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    AwareYear,
    Description,
    HttpsUrl,
    IsoText,
    MultiLine,
    Notes,
    SingleLine,
    StrictModel,
    TimeZoneName,
    Title,
    refused_character,
)
from tests.support.server_zone import server_zone

SINGLE = "Must be a single line."
CONTROL = "Must not contain control characters."
INVISIBLE = "Must not contain invisible formatting characters (such as direction marks or zero-width spaces)."


def form() -> type[StrictModel]:
    """One field of each shared type, as organizers' models use them. Built per call, not at import:
    the types' rules are read when a model is built (so a test sees a change to them)."""

    class Form(StrictModel):
        title: Title = "A title"
        code: Annotated[str, SingleLine(max_length=5, min_length=2)] = "ok"
        description: Description = ""
        notes: Notes | None = None
        short: Annotated[str, MultiLine(max_length=5)] = ""
        url: HttpsUrl | None = None
        zone: TimeZoneName | None = None
        at: Annotated[AwareDatetime, IsoText, AwareYear] | None = None

    return Form


def valid(**fields: Any) -> Any:
    return form().model_validate(fields)


def refused(**fields: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        form().model_validate(fields)
    return pydantic_fields(info.value)


# ---------------------------------------------------------------- characters


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("plain text, accents: é ñ ü, emoji 🌷", None),
        ("two\nlines", SINGLE),
        ("carriage\rreturn", SINGLE),
        ("line\u2028separator", SINGLE),
        ("paragraph\u2029separator", SINGLE),
        ("bell\x07", CONTROL),
        ("tab\there", CONTROL),
        ("nul\x00", CONTROL),
        ("del\x7f", CONTROL),
        ("c1\x85", CONTROL),
        ("override\u202egnp.exe", INVISIBLE),
        ("zero\u200bwidth", INVISIBLE),
        ("\ufeffbom", INVISIBLE),
        ("tag\U000e0041", INVISIBLE),  # beyond the BMP: refused by the validator too
    ],
)
def test_single_line_characters(text: str, why: str | None) -> None:
    assert refused_character(text) == why


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("line one\nline two\r\n\tindented", None),
        ("bell\x07", CONTROL),
        ("escape\x1b[31m", CONTROL),
        ("line\u2028separator", None),  # a line break (issue 21 item 12): stored as "\n"
        ("paragraph\u2029separator", None),
        ("override\u202e", INVISIBLE),
    ],
)
def test_multi_line_characters(text: str, why: str | None) -> None:
    assert refused_character(text, multi_line=True) == why


def test_unicode_line_and_paragraph_separators_are_line_breaks_in_multi_line_text() -> None:
    """Pasted from a phone or a word processor: never "Must be a single line" in a multi-line field."""
    assert valid(description="Coffee\u2028and tea").description == "Coffee\nand tea"
    assert valid(notes="One.\u2029Two.").notes == "One.\n\nTwo."
    assert refused(title="Title\u2028two") == {"title": SINGLE}  # single-line fields still refuse them
    assert re.fullmatch(MULTI_LINE_PATTERN, "a\u2028b\u2029c") is not None


def test_the_first_refused_character_decides() -> None:
    assert refused_character("a\x07b\nc") == CONTROL
    assert refused_character("a\nb\x07c") == SINGLE
    assert refused_character("ok\nok\u200b", multi_line=True) == INVISIBLE


def test_control_characters_in_descriptions_are_refused_naming_the_field() -> None:
    assert refused(description="Coffee\x00 and conversation") == {"description": CONTROL}
    assert refused(description="Coffee \u202eevil") == {"description": INVISIBLE}
    assert refused(notes="Bring\x1b tea") == {"notes": CONTROL}
    assert refused(title="Title\nBcc: someone") == {"title": SINGLE}
    assert refused(code="a\x07") == {"code": CONTROL}
    assert valid(description="Line one\nLine two\r\n\tTabbed").description == "Line one\nLine two\r\n\tTabbed"
    assert valid(notes="Bring tea\nand biscuits").notes == "Bring tea\nand biscuits"


def test_text_is_trimmed_and_bounded() -> None:
    assert valid(title="  Helena meetup  ").title == "Helena meetup"
    assert valid(description="  Coffee.\n  ").description == "Coffee."
    assert valid(code=" ab ").code == "ab"
    assert valid(code="abcde").code == "abcde"
    assert set(refused(code="a")) == {"code"}  # shorter than its min_length
    assert set(refused(code="abcdef")) == {"code"}
    assert set(refused(title="   ")) == {"title"}  # empty once trimmed
    assert set(refused(title="x" * 201)) == {"title"}
    assert valid(title="x" * 200).title == "x" * 200
    assert valid(short="  abcde  ").short == "abcde"
    assert set(refused(short="abcdef")) == {"short"}
    assert valid(short="").short == ""  # multi-line text may be empty


def test_the_types_trim_and_check_on_their_own_without_the_models_settings() -> None:
    single = TypeAdapter(Annotated[str, SingleLine(max_length=5)])
    multi = TypeAdapter(Annotated[str, MultiLine(max_length=5)])
    assert single.validate_python("  abc  ") == "abc"
    assert multi.validate_python("  a\nb  ") == "a\nb"
    for adapter in (single, multi):
        with pytest.raises(ValidationError):
            adapter.validate_python("abcdef")
        with pytest.raises(ValidationError, match="control characters"):
            adapter.validate_python("a\x07")
    with pytest.raises(ValidationError):
        single.validate_python("  ")


def _characters() -> list[str]:
    return [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) != "Cs"]


def test_the_schema_patterns_say_what_the_validator_does() -> None:
    single, multi = re.compile(SINGLE_LINE_PATTERN), re.compile(MULTI_LINE_PATTERN)
    for char in _characters():
        assert (single.fullmatch(char) is not None) == (refused_character(char) is None), hex(ord(char))
        assert (multi.fullmatch(char) is not None) == (refused_character(char, multi_line=True) is None), hex(ord(char))


def test_the_published_schema_carries_the_rules() -> None:
    properties = form().model_json_schema()["properties"]
    assert properties["title"]["pattern"] == SINGLE_LINE_PATTERN
    assert (properties["title"]["minLength"], properties["title"]["maxLength"]) == (1, 200)
    assert (properties["code"]["minLength"], properties["code"]["maxLength"]) == (2, 5)
    assert properties["description"]["pattern"] == MULTI_LINE_PATTERN
    assert properties["description"]["maxLength"] == 5000
    assert "minLength" not in properties["description"]
    [url, _none] = properties["url"]["anyOf"]
    assert url == {"type": "string", "format": "uri", "pattern": "^https://", "maxLength": 2000}


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://zoom.example.org/j/1", "https://zoom.example.org/j/1"),
        ("  https://example.org  ", "https://example.org/"),
        ("HTTPS://Example.org/Path?q=1", "https://example.org/Path?q=1"),
    ],
)
def test_https_urls_are_kept_normalised(url: str, stored: str) -> None:
    assert valid(url=url).url == stored


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://insecure.example.org", "Must be an https:// URL."),
        ("https:/x", "Must be an https:// URL."),  # pydantic would read it as https://x/
        ("https:x.example.org", "Must be an https:// URL."),
        ("ftp://files.example.org", "Must be a valid URL."),
        ("javascript:alert(1)", "Must be a valid URL."),
        ("not a url", "Must be a valid URL."),
        ("https://", "Must be a valid URL."),
    ],
)
def test_only_real_https_urls(url: str, why: str) -> None:
    assert refused(url=url) == {"url": why}


def test_urls_are_bounded() -> None:
    long = "https://example.org/" + "a" * 1980
    assert valid(url=long).url == long
    assert set(refused(url=long + "a")) == {"url"}


# ---------------------------------------------------------------- zones


def test_time_zones_are_iana_names() -> None:
    assert valid(zone="America/Boise").zone == "America/Boise"
    why = "Must be an IANA time zone name such as America/Denver."
    for bad in ("Mars/Olympus", "../../etc/passwd", "America/", "/etc/localtime", "MST7MDT\x00"):
        assert refused(zone=bad) == {"zone": why}, bad
    assert set(refused(zone="")) == {"zone"}
    assert set(refused(zone="A" * 65)) == {"zone"}


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("number", [1764630000, 1764630000.5, 0, -1])
def test_epoch_numbers_are_not_dates(number: float) -> None:
    assert refused(at=number) == {"at": "Must be an ISO 8601 string."}


def test_a_boolean_is_not_read_as_a_number_of_seconds_either() -> None:
    # pydantic refuses it with its own words (a boolean is not a date), not as an epoch number.
    assert refused(at=True) != {"at": "Must be an ISO 8601 string."}
    assert set(refused(at=True)) == {"at"}


@pytest.mark.parametrize(
    "moment",
    [
        "2000-01-01T00:00:00Z",
        "2000-01-01T00:00:00+00:00",
        "2026-12-01T16:00:00-07:00",
        "2100-12-31T23:59:59Z",
        "1999-12-31T23:30:00-01:00",  # 1999 where it was written, 2000 in UTC
        "2101-01-01T00:30:00+01:00",  # 2101 where it was written, 2100 in UTC
    ],
)
def test_years_2000_to_2100_are_accepted(moment: str) -> None:
    assert valid(at=moment).at is not None


@pytest.mark.parametrize(
    "moment",
    [
        "1999-12-31T23:59:59Z",
        "2000-01-01T00:30:00+01:00",  # 1999 in UTC
        "2101-01-01T00:00:00Z",
        "2100-12-31T22:00:00-07:00",  # 2101 in UTC
        "1970-01-01T00:00:00Z",
    ],
)
def test_years_outside_2000_to_2100_are_refused(moment: str) -> None:
    assert refused(at=moment) == {"at": "Must be between the years 2000 and 2100."}


def test_the_year_is_the_utc_year_whatever_the_servers_zone() -> None:
    with server_zone("America/Denver"):
        assert refused(at="2100-12-31T22:00:00-07:00") == {"at": "Must be between the years 2000 and 2100."}
        assert valid(at="2000-01-01T00:00:00Z").at is not None  # still 1999 in Denver


def test_every_patterned_field_is_refused_in_words() -> None:
    """A value in the wrong form is refused with what to type, never pydantic's "String should
    match pattern '^...$'": each patterned type's pattern has its words (errors.PATTERN_WORDS)."""
    from chalicelib.errors import PATTERN_WORDS
    from chalicelib.groups.models import ClockTime, DialIn, MeetingId, Passcode, Slug
    from chalicelib.validation import PostalCode

    for kind, bad in [
        (Slug, "Bad Id!"),
        (ClockTime, "4pm"),
        (Passcode, "ab cd"),
        (MeetingId, "12ab"),
        (DialIn, "call me now"),
        (PostalCode, "5960"),
    ]:
        with pytest.raises(ValidationError) as caught:
            TypeAdapter(kind).validate_python(bad)
        why = pydantic_fields(caught.value)["body"]
        assert why in PATTERN_WORDS.values() and "pattern" not in why and "^" not in why, (kind, why)


def test_a_date_time_refused_says_what_to_send_in_words() -> None:
    """POST /events with "tomorrow", February 30 or a time without its offset: pydantic's "Input
    should have timezone info" / "input is too short" named the field but not what to send."""

    class Timed(StrictModel):
        starts_at: AwareDatetime

    example = "Give a date and time with its offset, like 2027-01-12T10:00:00-07:00."
    for bad in ("tomorrow", "2027-02-30T10:00:00-07:00", "2027-01-12T10:00:00", "2027-01-12"):
        with pytest.raises(ValidationError) as caught:
            Timed.model_validate({"starts_at": bad})
        assert pydantic_fields(caught.value) == {"starts_at": example}, bad
