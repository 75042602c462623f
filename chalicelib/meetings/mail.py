"""Emails about a meeting: reminders, cancellation and move notices, each with an .ics invite."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from chalicelib.groups.records import GroupRecord
from chalicelib.mail.message import Attachment, OutgoingEmail, render_email
from chalicelib.meetings.calendar import meeting_calendar
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import meeting_words

MeetingEmailKind = Literal["reminder", "cancelled", "moved"]


def meeting_email(
    kind: MeetingEmailKind,
    *,
    group: GroupRecord,
    meeting: Meeting,
    recipient: str,
    name: str,
    state: str | None,
    unsubscribe_url: str,
    lead_minutes: int | None = None,
    stamp: datetime,
) -> OutgoingEmail:
    """Only active members ever get one (the caller's ledger claim checks that)."""
    zone = group["schedule"]["timezone"]
    template = "meetings/email/reminder" if kind == "reminder" else "meetings/email/meeting_changed"
    mail = render_email(
        template,
        to=recipient,
        unsubscribe_url=unsubscribe_url,
        name=name,
        group=group,
        when=meeting_words(meeting.starts_at, zone, state),
        scheduled_when=meeting_words(meeting.scheduled_starts_at, zone, state),
        note=meeting.note,
        kind=kind,
        lead=_lead_words(lead_minutes),
    )
    ics = meeting_calendar(group, [meeting], with_link=kind != "cancelled", stamp=stamp)
    mail.attachments.append(
        Attachment("meeting.ics", ics, "text", "calendar", {"method": "PUBLISH", "charset": "utf-8"})
    )
    mail.tags = {"kind": kind}
    return mail


def _lead_words(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "tomorrow" if days == 1 else f"in {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "in 1 hour" if hours == 1 else f"in {hours} hours"
    return f"in {minutes} minutes"
