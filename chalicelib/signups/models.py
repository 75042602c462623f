"""Signup form fields. Collect nothing beyond these."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints, WithJsonSchema

from chalicelib.constants import StateCode
from chalicelib.signups.public_forms import CONSENT_CHANGED as CONSENT_CHANGED
from chalicelib.signups.public_forms import consent, current_consent_version, plain_address
from chalicelib.validation import Email, Notes, SingleLine, StrictModel

Redirect = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(plain_address),
    WithJsonSchema({"type": "string", "maxLength": 2000, "pattern": "^[^\\u0000-\\u001f\\u007f]*$"}),
]


ConsentVersion = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(current_consent_version),
    WithJsonSchema({"type": "string", "maxLength": 40}),
]
PersonName = Annotated[str, SingleLine(max_length=100)]
HowHeard = Annotated[str, SingleLine(max_length=200, min_length=0)]
Consent = Annotated[
    bool,
    BeforeValidator(consent),
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
