"""Signup form fields. Collect nothing beyond these."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints, WithJsonSchema

from chalicelib.constants import StateCode
from chalicelib.signups.addresses import normalize_email
from chalicelib.validation import SINGLE_LINE, StrictModel, _no_control_chars, _single_line

_TRUTHY = {"true", "on", "yes", "1"}


def _consent(value: Any) -> bool:
    if value is True or (isinstance(value, str) and value.strip().lower() in _TRUTHY):
        return True
    raise ValueError("You must agree to the consent statement.")


MemberEmail = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(normalize_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
PersonName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_no_control_chars),
    AfterValidator(_single_line),
    SINGLE_LINE,
]
HowHeard = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(_no_control_chars),
    AfterValidator(_single_line),
    SINGLE_LINE,
]
Consent = Annotated[
    bool,
    BeforeValidator(_consent),
    WithJsonSchema({"oneOf": [{"const": True}, {"type": "string", "enum": ["on", "yes", "true", "1"]}]}),
]


class SignupForm(StrictModel):
    name: PersonName
    email: MemberEmail
    state: StateCode
    consent: Consent = Field(description="Must be true (or on/yes from a checkbox).")
    how_heard: HowHeard | None = None
    website: str = Field(default="", max_length=2000, description="Honeypot: leave empty.")
    redirect: str | None = Field(default=None, max_length=2000, description="Form posts: where to send the browser.")


class SignupAccepted(BaseModel):
    status: str = "check_your_email"
