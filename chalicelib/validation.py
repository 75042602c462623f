"""Field types shared by every model."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same rules as JSON Schema patterns, so the published schema says what validation does
# (the validators below give the friendlier messages).
SINGLE_LINE = Field(json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f]*$"})
MULTI_LINE = Field(json_schema_extra={"pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"})


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("Must not contain control characters.")
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("Must be a single line.")
    return value


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


def _reasonable_year(value: datetime) -> datetime:
    if not 2000 <= value.astimezone(UTC).year <= 2100:
        raise ValueError("Must be between the years 2000 and 2100.")
    return value


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_chars),
    AfterValidator(_single_line),
    SINGLE_LINE,
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_chars),
    AfterValidator(_single_line),
    SINGLE_LINE,
]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_no_control_chars),
    AfterValidator(_single_line),
    SINGLE_LINE,
]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{5}(-\d{4})?$")]
HttpsUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_https),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https://", "maxLength": 2000}),
]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_iana_zone)]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]


Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=5000),
    AfterValidator(_no_control_chars),
    MULTI_LINE,
]
Notes = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=1000),
    AfterValidator(_no_control_chars),
    MULTI_LINE,
]


class StrictModel(BaseModel):
    """Refuses unknown fields: a typo must not be silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


AwareYear = AfterValidator(_reasonable_year)
