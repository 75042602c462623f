"""Emails about one meeting, each with an .ics invite: reminders, change notices, cancellations
and "it's back on" notices. Worded from the real time left, in the group's zone (and the
member's own where it differs); subjects within 78 characters."""

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
from chalicelib.meetings.wording import (
    clock,
    fit_subject,
    meeting_words,
    month_day,
    short_date,
    subject_when,
    time_left,
    zone_abbreviation,
)
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
    kind: MeetingEmailKind, *, group: GroupRecord, meeting: Meeting, now: datetime, change: Change | None
) -> str:
    zone = group["schedule"]["timezone"]
    local = meeting.starts_at.astimezone(meeting.scheduled_starts_at.tzinfo)
    at = f"{clock(local)} {zone_abbreviation(zone, meeting.starts_at)}"
    dated = f"{short_date(local)}, {at}"
    if kind == "cancelled":
        return fit_subject(f"Cancelled: {dated}", group["name"])
    if kind == "back_on":
        return fit_subject(f"Back on: {dated}", group["name"])
    if kind == "reminder":
        head = subject_when(meeting.starts_at, now, zone)
        return fit_subject(f"Changed: {head}" if change else head, group["name"])
    aspects = change.aspects if change else frozenset()
    if "time" in aspects:
        before = change.previous_start.astimezone(local.tzinfo) if change else local
        if before.date() == local.date():
            return fit_subject(f"Moved to {at}", group["name"], f", {month_day(local)}")
        return fit_subject(f"Moved to {dated}", group["name"])
    return fit_subject("New joining details", group["name"], f", {month_day(local)}")


def _next_when(meeting: Meeting, series: list[Meeting], zone: str, state: str | None) -> str | None:
    """After a cancellation: when the group meets next."""
    later = [m for m in series if m.starts_at > meeting.starts_at and m.status != "cancelled"]
    return meeting_words(later[0].starts_at, zone, state) if later else None


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
) -> OutgoingEmail:
    """Only active members ever get one (the caller's ledger claim checks that). ``series``: the
    upcoming meetings, for the calendar series the invitation carries."""
    zone = group["schedule"]["timezone"]
    template = "meetings/email/reminder" if kind == "reminder" else "meetings/email/notice"
    mail = render_email(
        template,
        to=recipient,
        org=links.org,
        unsubscribe_url=links.unsubscribe_url,
        manage_url=links.manage_url,
        contact=links.contact,
        schedule_line=links.schedule_line,
        subject=subject_for(kind, group=group, meeting=meeting, now=now, change=change),
        name=name,
        group=group,
        kind=kind,
        when=meeting_words(meeting.starts_at, zone, state),
        time_left=time_left(meeting.starts_at, now, zone),
        previous_when=meeting_words(change.previous_start, zone, state) if change else None,
        changed=sorted(change.aspects) if change else [],
        note=meeting.note,
        next_when=_next_when(meeting, series, zone, state) if kind == "cancelled" else None,
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
    )
    mail.attachments.append(Attachment("meeting.ics", ics, "text", "calendar", {"method": method, "charset": "utf-8"}))
    mail.tags = {"kind": kind}
    return mail
