"""Group items. Key prefixes are defined here and nowhere else.

- ``GROUPS`` / ``<group_id>``: a group's settings as one JSON document, optimistic-locked by
  ``version`` (also stored as an attribute for the condition).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

# The id's rule lives in groups/slugs.py (light enough for the routes); re-exported here.
from chalicelib.groups.slugs import SLUG_PATTERN as SLUG_PATTERN
from chalicelib.groups.slugs import is_slug as is_slug

GROUPS_PK = "GROUPS"

GroupStatus = Literal["active", "paused"]
DEFAULT_ANNOUNCE_DAYS = 35
DEFAULT_JOIN_WINDOW_MINUTES = 30
# What members are told about a meeting (and what its invite says) depends on these settings: a
# change to any of them grows the group's schedule revision (and so every meeting's SEQUENCE).
# The Zoom link itself is not among them: emails carry each member's personal link, which leads to
# the room as it stands, so replacing the room needs no email.
TRUTH_FIELDS = ("schedule", "zoom_passcode", "zoom_meeting_id", "zoom_dial_in", "join_details")
# What the public view may show; everything else (the Zoom link, passcode) is for members only.
PUBLIC_FIELDS = ("id", "name", "description", "eligibility")


# The kind words a declined signup receives, unless the group set its own (console: Group settings).
# Plain text; {name} and {group} are replaced with the person's name and the group's name.
DEFAULT_DECLINE_MESSAGE = "\n\n".join(
    (
        "Thank you for reaching out to the {group}. This group is not the right fit for your request right now, "
        "and we are sorry we cannot offer you a place in it.",
        "You are not alone. These organizations support people living with metastatic breast cancer and the "
        "people who care for them:",
        "- Living Beyond Breast Cancer: lbbc.org, Breast Cancer Helpline 888-753-5222\n"
        "- Metastatic Breast Cancer Network: mbcn.org",
        "If you would like to talk about it, one of our volunteers will answer every reply to this email.",
    )
)


# What a first meeting is like, for the welcome email and the personal link's page, unless the group
# set its own (console: Group settings). Plain text; {group} and {duration} ("about 90 minutes", from
# the schedule) are filled in.
DEFAULT_WHAT_TO_EXPECT = (
    "Each meeting is a relaxed video call of {duration}, hosted by one of the group's organizers. "
    "Your camera is optional: you are welcome to just listen, and to come late or leave early if you need to. "
    "Nobody has to share anything, and what is said in the group stays in the group."
)


class ScheduleRecord(TypedDict):
    rrule: str
    start_time: str
    timezone: str
    duration_minutes: int
    starts_on: str


class JoinDetailsRecord(TypedDict):
    meeting_id: bool
    dial_in: bool
    passcode: bool


DEFAULT_JOIN_DETAILS: JoinDetailsRecord = {"meeting_id": True, "dial_in": True, "passcode": False}


class GroupRecord(TypedDict):
    id: str
    name: str
    description: str
    eligibility: str
    schedule: ScheduleRecord
    zoom_url: str
    zoom_passcode: str | None
    zoom_meeting_id: NotRequired[str | None]
    zoom_dial_in: NotRequired[list[str]]
    join_window_minutes: NotRequired[int]
    join_details: NotRequired[JoinDetailsRecord]
    requires_approval: bool
    reminder_leads_minutes: list[int]
    announce_days: NotRequired[int]
    status: GroupStatus
    version: int
    # +1 with every change to TRUTH_FIELDS.
    schedule_rev: NotRequired[int]
    # The group's decline message (DEFAULT_DECLINE_MESSAGE when unset).
    decline_message: NotRequired[str | None]
    created_at: str
    updated_at: str
    # The person members can write to (named in every member email; replies go to the address).
    contact_name: NotRequired[str | None]
    contact_email: NotRequired[str | None]
    # What a first meeting is like (DEFAULT_WHAT_TO_EXPECT when unset).
    what_to_expect: NotRequired[str | None]
