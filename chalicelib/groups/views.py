"""The public view of a group: what the website shows, never the Zoom link or passcode."""

from __future__ import annotations

from typing import Any

from chalicelib.groups.records import PUBLIC_FIELDS, GroupRecord
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import Schedule, describe
from chalicelib.organization import Organization
from chalicelib.signups.consent import CONSENT_VERSION, consent_text


def public_view(group: GroupRecord, next_meeting: Meeting | None, org: Organization) -> dict[str, Any]:
    """``org``: the chapter that runs the group (named by the widget and in the consent text)."""
    schedule = Schedule.from_dict(dict(group["schedule"]))
    return {
        **{k: group[k] for k in PUBLIC_FIELDS},  # type: ignore[literal-required]
        "schedule_text": describe(schedule),
        "timezone": schedule.timezone,
        "duration_minutes": schedule.duration_minutes,
        "next_meeting": (
            {
                "date": next_meeting.date,
                "starts_at": next_meeting.starts_at.isoformat(),
                "ends_at": next_meeting.ends_at.isoformat(),
            }
            if next_meeting
            else None
        ),
        "requires_approval": group["requires_approval"],
        "accepting_signups": group["status"] == "active",
        "organization": {"name": org.name, "website_url": org.website_url},
        "consent_text": consent_text(org.name),
        "consent_version": CONSENT_VERSION,
    }
