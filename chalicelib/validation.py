"""Field types shared by every model."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

from chalicelib.emails import normalize_email

# Characters no text field may hold: controls (Cc), invisible formatting characters (Cf: direction
# overrides such as U+202E that disguise text, zero-width joiners, the BOM), and the line and
# paragraph separators (Zl, Zp). Multi-line text may also hold line breaks and tabs.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
_MULTI_LINE_ALLOWED = {"\n", "\r", "\t", "\u2028", "\u2029"}
# Multi-line text keeps the Unicode line and paragraph separators (a phone's or a word processor's
# paste carries them) as the line breaks they mean.
_LINE_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n\n"})
# The same rule as a JSON Schema pattern, so the published schema says what validation does. It
# lists the Basic Multilingual Plane's refused characters (Unicode 15); the validator also refuses
# the few beyond it.
_REFUSED_BMP = (
    "\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2"
    "\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb"
)
# Single-line text may not hold "=?", the opening of an RFC 2047 encoded word: a mail library reads
# "=?utf-8?q?Hi=0D=0ABcc:...?=" in a subject as CR LF and, unpatched, writes a new header line. The
# pattern says it without lookahead: every run of "=" is followed by a character other than "?".
SINGLE_LINE_PATTERN = f"^(?:[^={_REFUSED_BMP}]|=+[^=?{_REFUSED_BMP}])*=*$"
MULTI_LINE_PATTERN = "^(?:[\\n\\r\\t\\u2028\\u2029]|[^" + _REFUSED_BMP + "])*$"


ENCODED_WORD_PROBLEM = 'Must not contain "=?" (email programs read it as an encoded word).'


def refused_character(value: str, *, multi_line: bool = False) -> str | None:
    """Why ``value`` may not be stored as text, or None. Single-line text may reach an email's
    header (a group's name in a subject, an announcement's subject), so it may not hold "=?"."""
    if not multi_line and "=?" in value:
        return ENCODED_WORD_PROBLEM
    for char in value:
        if multi_line and char in _MULTI_LINE_ALLOWED:
            continue
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            if char in "\n\r" or category in ("Zl", "Zp"):
                return "Must be a single line."
            if category == "Cf":
                return (
                    "Must not contain invisible formatting characters (such as direction marks or zero-width spaces)."
                )
            return "Must not contain control characters."
    return None


def normalize_line_breaks(value: str) -> str:
    """Multi-line text with U+2028 (line separator) and U+2029 (paragraph separator) written as the
    line breaks they mean ("\n", and a blank line)."""
    return value.translate(_LINE_BREAKS)


def _line_breaks(value: object) -> object:
    return normalize_line_breaks(value) if isinstance(value, str) else value


def _single_line_text(value: str) -> str:
    problem = refused_character(value)
    if problem:
        raise ValueError(problem)
    return value


def _multi_line_text(value: str) -> str:
    problem = refused_character(value, multi_line=True)
    if problem:
        raise ValueError(problem)
    return value


@dataclass(frozen=True)
class SingleLine(GroupedMetadata):
    """A single line of text for every model alike: trimmed, bounded, and without controls,
    invisible formatting characters or line separators."""

    max_length: int
    min_length: int = 1

    def __iter__(self) -> Iterator[Any]:
        yield StringConstraints(strip_whitespace=True, min_length=self.min_length, max_length=self.max_length)
        yield AfterValidator(_single_line_text)
        yield Field(json_schema_extra={"pattern": SINGLE_LINE_PATTERN})


@dataclass(frozen=True)
class MultiLine(GroupedMetadata):
    """Text that may span lines (descriptions, notes): the single-line rule, but line breaks and tabs
    (U+2028 and U+2029 are stored as the line breaks they mean)."""

    max_length: int

    def __iter__(self) -> Iterator[Any]:
        yield StringConstraints(strip_whitespace=True, max_length=self.max_length)
        yield BeforeValidator(_line_breaks)  # listed after the constraints: runs before them
        yield AfterValidator(_multi_line_text)
        yield Field(json_schema_extra={"pattern": MULTI_LINE_PATTERN})


_URL = TypeAdapter(HttpUrl)


def _https(value: str) -> str:
    try:
        parsed = _URL.validate_python(value)
    except ValidationError:
        raise ValueError("Must be a valid URL.") from None
    if parsed.scheme != "https" or not value.lower().startswith("https://"):
        raise ValueError("Must be an https:// URL.")
    return str(parsed)


def _iana_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("Must be an IANA time zone name such as America/Denver.") from None
    return value


def _iso_text(value: object) -> object:
    """Dates and times arrive as ISO 8601 text in JSON; refuse numbers (lax mode would read epochs)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("Must be an ISO 8601 string.")
    return value


IsoText = BeforeValidator(_iso_text)


FIRST_YEAR, LAST_YEAR = 2000, 2100
YEAR_PROBLEM = f"Must be between the years {FIRST_YEAR} and {LAST_YEAR}."


def year_problem(value: datetime | date) -> str | None:
    """Why an instant (its UTC year) or a day is outside the years this service handles, or None.
    Never overflows: 9999-12-31T22:00:00-07:00 is refused, not an OverflowError (it is year 10000 in UTC)."""
    if not FIRST_YEAR - 1 <= value.year <= LAST_YEAR + 1:
        return YEAR_PROBLEM  # checked first: converting such an instant to UTC may overflow
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return None if FIRST_YEAR <= value.year <= LAST_YEAR else YEAR_PROBLEM


def _reasonable_year(value: datetime | date) -> datetime | date:
    problem = year_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Title = Annotated[str, SingleLine(max_length=200)]
ShortText = Annotated[str, SingleLine(max_length=200)]
Tag = Annotated[str, SingleLine(max_length=40)]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{5}(-\d{4})?$")]
HttpsUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_https),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https://", "maxLength": 2000}),
]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_iana_zone)]
Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(normalize_email),
    # The pattern: no "=?" (an encoded word in To:, refused by normalize_email).
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254, "pattern": "^(?:[^=]|=+[^=?])*=*$"}),
]


Description = Annotated[str, MultiLine(max_length=5000)]
Notes = Annotated[str, MultiLine(max_length=1000)]


class StrictModel(BaseModel):
    """Refuses unknown fields: a typo must not be silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


AwareYear = AfterValidator(_reasonable_year)
"""Instants (and days) within the years 2000 to 2100: pair with IsoText (no epoch numbers)."""
