"""Signup form fields. Collect nothing beyond these."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints, WithJsonSchema

from chalicelib.constants import StateCode
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.validation import Email, Notes, SingleLine, StrictModel, refused_character

_TRUTHY = {"true", "on", "yes", "1"}


def _plain_address(value: str) -> str:
    """A web address as one plain line (a CR/LF here would split the Location header)."""
    if refused_character(value):
        raise ValueError("Must be a web address without line breaks or control characters.")
    return value


Redirect = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_plain_address),
    WithJsonSchema({"type": "string", "maxLength": 2000, "pattern": "^[^\\u0000-\\u001f\\u007f]*$"}),
]


def _consent(value: Any) -> bool:
    if value is True or (isinstance(value, str) and value.strip().lower() in _TRUTHY):
        return True
    raise ValueError("You must agree to the consent statement.")


CONSENT_CHANGED = (
    "The consent statement changed since this page was loaded. Please reload the page, read it again and sign up."
)


def _current_consent_version(value: str) -> str:
    """Only the current statement can be agreed to: a page showing an older one must be reloaded."""
    if value != CONSENT_VERSION:
        raise ValueError(CONSENT_CHANGED)
    return value


ConsentVersion = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_current_consent_version),
    WithJsonSchema({"type": "string", "maxLength": 40}),
]
PersonName = Annotated[str, SingleLine(max_length=100)]
HowHeard = Annotated[str, SingleLine(max_length=200, min_length=0)]
Consent = Annotated[
    bool,
    BeforeValidator(_consent),
    WithJsonSchema({"oneOf": [{"const": True}, {"type": "string", "enum": ["on", "yes", "true", "1"]}]}),
]


def _zone(value: Any) -> str | None:
    from chalicelib.meetings.zones import parse_zone

    return parse_zone(value)


MemberTimeZone = Annotated[
    str | None,
    BeforeValidator(_zone),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "enum": ["America/Denver", "America/Los_Angeles"]},
                {"type": "string", "maxLength": 0},
                {"type": "null"},
            ]
        }
    ),
]


class SignupForm(StrictModel):
    name: PersonName
    email: Email
    state: StateCode
    timezone: MemberTimeZone = Field(
        default=None,
        description="The time she lives on: America/Denver (Mountain: Montana, Boise and south Idaho) or "
        "America/Los_Angeles (Pacific: north Idaho). Optional; absent or empty, it follows the state "
        "(Montana: Mountain; Idaho: emails give both zones until she chooses).",
    )
    consent: Consent = Field(description="Must be true (or on/yes from a checkbox).")
    consent_version: ConsentVersion | None = Field(
        default=None,
        description="The version of the consent statement the person was shown (consent_version of "
        "GET /groups/{id}). Must be the current one; absent, the current one is recorded.",
    )
    how_heard: HowHeard | None = None
    website: str = Field(default="", max_length=2000, description="Honeypot: leave empty.")
    redirect: Redirect | None = Field(default=None, description="Form posts: where to send the browser.")


class ResendForm(StrictModel):
    """POST /groups/{id}/resend: "send me the link again"."""

    email: Email
    website: str = Field(default="", max_length=2000, description="Honeypot: leave empty.")
    redirect: Redirect | None = Field(default=None, description="Form posts: where to send the browser.")


class SignupAccepted(BaseModel):
    status: str = "check_your_email"


class DeclineInput(StrictModel):
    """POST /groups/{id}/signups/{signup_id}/reject (optional body): a personal note for the decline email."""

    message: Notes | None = Field(
        default=None, description="A personal note added to the group's decline message (plain text)."
    )
