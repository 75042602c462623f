"""Group models: organizer settings (with secrets) and the public view (without)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictInt, StringConstraints, field_validator

from chalicelib.groups.records import DEFAULT_ANNOUNCE_DAYS, DEFAULT_JOIN_WINDOW_MINUTES, SLUG_PATTERN, GroupStatus
from chalicelib.meetings.schedule import DEFAULT_RRULE, validate_rrule
from chalicelib.validation import (
    AwareYear,
    Description,
    Email,
    HttpsUrl,
    IsoText,
    MultiLine,
    Notes,
    ShortText,
    StrictModel,
    TimeZoneName,
)


def web_name(name: str) -> str:
    """A group's web address name from its name: 'Montana Evening Group' -> 'montana-evening-group'."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in plain).split())[:64].strip("-")


Slug = Annotated[str, StringConstraints(min_length=3, max_length=64, pattern=SLUG_PATTERN)]


Rrule = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=5, max_length=200), AfterValidator(validate_rrule)
]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Passcode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]


MeetingId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{3}[ -]?\d{3,4}[ -]?\d{3,5}$")]
DialIn = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=7, max_length=40, pattern=r"^\+?[0-9][0-9 ().,#*-]*$")
]


class JoinDetails(StrictModel):
    """The join-details policy: what emails show for people who join by phone or type it in."""

    meeting_id: StrictBool = True
    dial_in: StrictBool = True
    passcode: StrictBool = Field(default=False, description="Default: only behind the personal link.")


class ScheduleInput(StrictModel):
    rrule: Rrule = Field(default=DEFAULT_RRULE, description="RFC 5545 RRULE parts, e.g. FREQ=MONTHLY;BYDAY=1TU.")
    start_time: ClockTime = Field(default="16:00", description="Local start time, HH:MM (24 h).")
    timezone: TimeZoneName = "America/Denver"
    duration_minutes: StrictInt = Field(default=90, ge=15, le=480)
    starts_on: Annotated[date, IsoText, AwareYear] = Field(
        default=date(2026, 1, 1), description="First day the rule applies from."
    )


class GroupInput(StrictModel):
    id: Slug
    name: ShortText
    description: Description = ""
    eligibility: Notes = ""
    schedule: ScheduleInput = Field(default_factory=ScheduleInput)
    zoom_url: HttpsUrl = Field(description="Secret: sent only to active members.")
    zoom_passcode: Passcode | None = Field(default=None, description="Secret.")
    zoom_meeting_id: MeetingId | None = Field(
        default=None, description="The Zoom meeting ID, for people who join by phone or type it in."
    )
    zoom_dial_in: Annotated[list[DialIn], Field(max_length=6)] = Field(
        default_factory=list, description="Phone numbers to join by phone, e.g. +1 669 900 6833."
    )
    join_window_minutes: StrictInt = Field(
        default=DEFAULT_JOIN_WINDOW_MINUTES,
        ge=5,
        le=120,
        description="How long before a meeting its members' personal links open the room.",
    )
    join_details: JoinDetails = Field(
        default_factory=lambda: JoinDetails(),
        description="Which joining details emails show besides the personal link (the personal link's "
        "page shows them all).",
    )
    decline_message: Annotated[str, MultiLine(max_length=3000)] | None = Field(
        default=None,
        description="The kind message a declined signup receives ({name} and {group} are filled in); "
        "unset: the default with resources.",
    )
    contact_name: ShortText | None = Field(
        default=None, description="The person members can write to, named in every member email (e.g. Maria Lopez)."
    )
    contact_email: Email | None = Field(
        default=None,
        description="Their address: replies to member emails go here (unset: the stage's reply-to or sender address).",
    )
    what_to_expect: Annotated[str, MultiLine(max_length=2000)] | None = Field(
        default=None,
        description="What a first meeting is like (camera optional? who hosts? how long?), in the welcome email "
        "and on the personal link's page ({group} and {duration} are filled in); unset: a kind default.",
    )
    requires_approval: StrictBool = True
    reminder_leads_minutes: Annotated[list[Annotated[StrictInt, Field(ge=5, le=43200)]], Field(max_length=5)] = Field(
        default_factory=lambda: [1440, 60], description="Reminder lead times before each meeting, in minutes."
    )
    announce_days: StrictInt = Field(
        default=DEFAULT_ANNOUNCE_DAYS,
        ge=1,
        le=90,
        description="How far ahead a cancelled or moved meeting is announced to every active member.",
    )
    status: GroupStatus = "active"

    @field_validator("reminder_leads_minutes")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("Lead times must be distinct.")
        return sorted(value, reverse=True)


class GroupSettingsPatch(StrictModel):
    """Documentation shape of PATCH /groups/{id}/settings: any GroupInput field but id, plus version."""

    version: StrictInt | None = Field(default=None, ge=1)
    name: ShortText | None = None
    description: Description | None = None
    eligibility: Notes | None = None
    schedule: ScheduleInput | None = None
    zoom_url: HttpsUrl | None = None
    zoom_passcode: Passcode | None = None
    zoom_meeting_id: MeetingId | None = None
    zoom_dial_in: list[DialIn] | None = None
    join_window_minutes: StrictInt | None = None
    join_details: JoinDetails | None = None
    decline_message: str | None = None
    contact_name: ShortText | None = None
    contact_email: Email | None = None
    what_to_expect: str | None = None
    requires_approval: StrictBool | None = None
    reminder_leads_minutes: list[StrictInt] | None = None
    announce_days: StrictInt | None = None
    status: GroupStatus | None = None
    notify: StrictBool | None = Field(
        default=None,
        description="false: change the schedule or join details without telling members (only before anyone "
        "was told about an upcoming meeting; refused with 409 after).",
    )


class GroupSettings(GroupInput):
    version: int
    schedule_rev: int = Field(description="Grows with every change of schedule or join details.")
    created_at: datetime
    updated_at: datetime


class NextMeeting(BaseModel):
    date: date
    starts_at: datetime
    ends_at: datetime
    when_text: str = Field(
        description="The start in words, in both zones members live on: "
        "'Tuesday, December 1, 2026 at 4:00 PM Mountain / 3:00 PM Pacific'."
    )


class ZoneChoice(BaseModel):
    value: str
    label: str


class PublicOrganization(BaseModel):
    name: str = Field(description="The chapter that runs the group (every email and page names it).")
    website_url: str | None


class PublicGroup(BaseModel):
    id: str
    name: str
    description: str
    eligibility: str
    schedule_text: str = Field(
        description="The schedule in words, in both zones members live on: "
        "'First Tuesday of every month, 4:00 PM Mountain / 3:00 PM Pacific'."
    )
    timezone: str
    duration_minutes: int
    next_meeting: NextMeeting | None
    timezone_choices: list[ZoneChoice] = Field(
        description="What the signup form offers for `timezone` (the last, value '', is 'not sure')."
    )
    timezone_hint: str = Field(description="The words under those choices.")
    zone_names: dict[str, str] = Field(
        description="How a time is signed in each zone ('America/Los_Angeles': 'Pacific'): the widget writes "
        "event times with these words ('10:00 AM \u2013 12:00 PM Pacific'), never an abbreviation. A zone not "
        "listed is named by its city."
    )
    requires_approval: bool
    accepting_signups: bool
    organization: PublicOrganization
    consent_text: str
    consent_version: str


INPUT_FIELDS = frozenset(GroupInput.model_fields)
