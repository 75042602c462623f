"""Emails about one meeting, each with an .ics invite: reminders, change notices, cancellations
and "it's back on" notices. Worded from the real time left, in the member's own zone (both
Mountain and Pacific while an Idaho member has not said which: chalicelib/meetings/zones.py);
subjects within 78 characters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from chalicelib.groups.contact import Contact
from chalicelib.groups.records import DEFAULT_JOIN_WINDOW_MINUTES, GroupRecord
from chalicelib.joinlinks.details import shown_in_emails
from chalicelib.mail.message import Attachment, OutgoingEmail, render_email
from chalicelib.meetings.calendar import series_calendar
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.wording import fit_subject, month_day, subject_when, time_left
from chalicelib.meetings.zones import PUBLIC, Zones, at, local, long_when, own_zone, short_when, zones_for
from chalicelib.organization import Organization

MeetingEmailKind = Literal["reminder", "changed", "cancelled", "back_on"]


@dataclass(frozen=True)
class MemberLinks:
    """What every email to one member carries besides its message (signups/member_mail.py)."""

    join_url: str
    unsubscribe_url: str  # the RFC 8058 headers
    manage_url: str  # the footer's "Manage my membership"
    contact: Contact
    schedule_line: str
    org: Organization


@dataclass(frozen=True)
class Change:
    """What is no longer as the member was told: the earlier start, and which aspects changed."""

    previous_start: datetime
    aspects: frozenset[str] = field(default_factory=frozenset)  # time, status, join


def subject_for(
    kind: MeetingEmailKind,
    *,
    group: GroupRecord,
    meeting: Meeting,
    now: datetime,
    change: Change | None,
    zones: Zones = PUBLIC,
) -> str:
    """The subject for a reader shown ``zones`` (hers; both while nobody knows which)."""
    when = at(meeting.starts_at, zones)
    dated = short_when(meeting.starts_at, zones)
    if kind == "cancelled":
        return fit_subject(f"Cancelled: {dated}", group["name"])
    if kind == "back_on":
        return fit_subject(f"Back on: {dated}", group["name"])
    if kind == "reminder":
        head = subject_when(meeting.starts_at, now, zones)
        return fit_subject(f"Changed: {head}" if change else head, group["name"])
    aspects = change.aspects if change else frozenset()
    here = local(meeting.starts_at, zones[0])
    if "time" in aspects:
        before = local(change.previous_start, zones[0]) if change else here
        if before.date() == here.date():
            return fit_subject(f"Moved to {when}", group["name"], f", {month_day(here)}")
        return fit_subject(f"Moved to {dated}", group["name"])
    return fit_subject("New joining details", group["name"], f", {month_day(here)}")


def _next_when(meeting: Meeting, series: list[Meeting], zones: Zones) -> str | None:
    """After a cancellation: when the group meets next."""
    later = [m for m in series if m.starts_at > meeting.starts_at and m.status != "cancelled"]
    return long_when(later[0].starts_at, zones) if later else None


def meeting_email(
    kind: MeetingEmailKind,
    *,
    group: GroupRecord,
    meeting: Meeting,
    recipient: str,
    name: str,
    state: str | None,
    links: MemberLinks,
    now: datetime,
    series: list[Meeting],
    change: Change | None = None,
    timezone: str | None = None,
) -> OutgoingEmail:
    """Only active members ever get one (the caller's ledger claim checks that). ``series``: the
    upcoming meetings, for the calendar series the invitation carries. ``state`` and ``timezone``
    (the member's, as on her record) decide the zones she is shown."""
    zones = zones_for(state=state, timezone=timezone)
    template = "meetings/email/reminder" if kind == "reminder" else "meetings/email/notice"
    mail = render_email(
        template,
        to=recipient,
        org=links.org,
        unsubscribe_url=links.unsubscribe_url,
        manage_url=links.manage_url,
        contact=links.contact,
        schedule_line=links.schedule_line,
        subject=subject_for(kind, group=group, meeting=meeting, now=now, change=change, zones=zones),
        name=name,
        group=group,
        kind=kind,
        when=long_when(meeting.starts_at, zones),
        time_left=time_left(meeting.starts_at, now, zones),
        previous_when=long_when(change.previous_start, zones) if change else None,
        changed=sorted(change.aspects) if change else [],
        note=meeting.note,
        next_when=_next_when(meeting, series, zones) if kind == "cancelled" else None,
        join_url=links.join_url,
        details=shown_in_emails(group),
        window_minutes=group.get("join_window_minutes", DEFAULT_JOIN_WINDOW_MINUTES),
    )
    mail.reply_to = links.contact.email
    method = "CANCEL" if kind == "cancelled" else "PUBLISH"
    ics = series_calendar(
        group,
        series,
        stamp=now,
        join_url=None if kind == "cancelled" else links.join_url,
        instance=meeting,
        method=method,
        zone=own_zone(zones),
    )
    mail.attachments.append(Attachment("meeting.ics", ics, "text", "calendar", {"method": method, "charset": "utf-8"}))
    mail.tags = {"kind": kind}
    return mail
