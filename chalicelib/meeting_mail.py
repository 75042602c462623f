"""Emails about a meeting (reminders, cancellation and move notices) with an .ics invite,
and the group's public calendar feed (which never carries the link)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.mail.message import Attachment, OutgoingEmail, render_email
from chalicelib.meetings import Meeting
from chalicelib.schedule import meeting_words

UID_DOMAIN = "mbc-connect"


def meeting_uid(group_id: str, day: str) -> str:
    """Stable per occurrence, so calendar apps update the same event instead of adding another."""
    return f"meeting-{group_id}-{day}@{UID_DOMAIN}"


def _vevent(group: dict[str, Any], meeting: Meeting, sequence: int, stamp: datetime, with_link: bool) -> Any:
    """One VEVENT; the link goes in only for emails to members, never in the public feed."""
    from icalendar import Event

    ev = Event()
    ev.add("uid", meeting_uid(group["id"], meeting.date))
    ev.add("dtstamp", stamp)
    ev.add("sequence", sequence)
    ev.add("dtstart", meeting.starts_at)
    ev.add("dtend", meeting.ends_at)
    ev.add("summary", group["name"])
    description = group.get("description") or ""
    if meeting.note:
        description = f"{meeting.note}\n\n{description}".strip()
    if with_link:
        passcode = group.get("zoom_passcode")
        description = (
            f"Join Zoom: {group['zoom_url']}"
            + (f"\nPasscode: {passcode}" if passcode else "")
            + (f"\n\n{description}" if description else "")
        )
        ev.add("location", group["zoom_url"])
        ev.add("url", group["zoom_url"])
    else:
        ev.add("location", "Zoom (members receive the link by email)")
    if description:
        ev.add("description", description)
    ev.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    return ev


def meeting_calendar(group: dict[str, Any], meetings: list[Meeting], with_link: bool) -> bytes:
    from icalendar import Calendar

    from chalicelib.clock import utc_now

    cal = Calendar()
    cal.add("prodid", "-//MBC Connect//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", group["name"])
    stamp = utc_now()
    for meeting in meetings:
        cal.add_component(_vevent(group, meeting, meeting.sequence, stamp, with_link))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def meeting_email(
    kind: str,
    group: dict[str, Any],
    meeting: Meeting,
    member: dict[str, Any],
    unsubscribe_url: str,
    lead_minutes: int | None = None,
) -> OutgoingEmail:
    """``kind``: ``reminder``, ``cancelled`` or ``moved``. Only active members ever get one."""
    when = meeting_words(meeting.starts_at, group["schedule"]["timezone"], member.get("state"))
    scheduled_when = meeting_words(meeting.scheduled_starts_at, group["schedule"]["timezone"], member.get("state"))
    template = "reminder" if kind == "reminder" else "meeting_changed"
    mail = render_email(
        template,
        member["email"],
        unsubscribe_url=unsubscribe_url,
        name=member["name"],
        group=group,
        when=when,
        scheduled_when=scheduled_when,
        note=meeting.note,
        kind=kind,
        lead=_lead_words(lead_minutes),
    )
    ics = meeting_calendar(group, [meeting], with_link=kind != "cancelled")
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
