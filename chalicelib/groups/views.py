"""The public view of a group: what the website shows, never the Zoom link or passcode."""

from __future__ import annotations

from typing import Any

from chalicelib.groups.records import PUBLIC_FIELDS, GroupRecord
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import Schedule, describe
from chalicelib.meetings.zones import PUBLIC, SIGNUP_CHOICES, SIGNUP_HINT, long_when
from chalicelib.signups.consent import CONSENT_TEXT, CONSENT_VERSION


def public_view(group: GroupRecord, next_meeting: Meeting | None) -> dict[str, Any]:
    """Times in words give both zones members live on (Mountain and Pacific): the reader is nobody yet."""
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
        "requires_approval": group["requires_approval"],
        "accepting_signups": group["status"] == "active",
        "consent_text": CONSENT_TEXT,
        "consent_version": CONSENT_VERSION,
    }
