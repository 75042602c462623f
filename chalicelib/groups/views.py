"""The public view of a group: what the website shows, never the Zoom link or passcode."""

from __future__ import annotations

from typing import Any

from chalicelib.groups.records import PUBLIC_FIELDS, GroupRecord
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import Schedule, describe
from chalicelib.meetings.zones import PUBLIC, SIGNUP_CHOICES, SIGNUP_HINT, ZONE_NAMES, long_when
from chalicelib.organization import Organization
from chalicelib.signups.consent import CONSENT_VERSION, consent_text


def public_view(group: GroupRecord, next_meeting: Meeting | None, org: Organization) -> dict[str, Any]:
    """``org``: the chapter that runs the group (named by the widget and in the consent text). Times
    in words give both zones members live on (Mountain and Pacific): the reader is nobody yet."""
    schedule = Schedule.from_dict(dict(group["schedule"]))
    return {
        **{k: group[k] for k in PUBLIC_FIELDS},  # type: ignore[literal-required]
        "schedule_text": describe(schedule, PUBLIC),
        "timezone": schedule.timezone,
        "duration_minutes": schedule.duration_minutes,
        "next_meeting": (
            {
                "date": next_meeting.date,
                "starts_at": next_meeting.starts_at.isoformat(),
                "ends_at": next_meeting.ends_at.isoformat(),
                "when_text": long_when(next_meeting.starts_at, PUBLIC),
            }
            if next_meeting
            else None
        ),
        "timezone_choices": [{"value": value, "label": label} for value, label in SIGNUP_CHOICES],
        "timezone_hint": SIGNUP_HINT,
        "zone_names": ZONE_NAMES,
        "requires_approval": group["requires_approval"],
        "accepting_signups": group["status"] == "active",
        "organization": {"name": org.name, "website_url": org.website_url},
        "consent_text": consent_text(org.name),
        "consent_version": CONSENT_VERSION,
    }
