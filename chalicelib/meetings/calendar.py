"""The meetings calendar (RFC 5545, ``icalendar``): the group's public feed never carries the
link; the invite attached to a member's email does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.groups.records import GroupRecord
from chalicelib.joinlinks.details import shown_in_emails
from chalicelib.meetings.meeting import Meeting

UID_DOMAIN = "mbc-connect"


def meeting_uid(group_id: str, day: str) -> str:
    """Stable per occurrence, so calendar apps update the same event instead of adding another."""
    return f"meeting-{group_id}-{day}@{UID_DOMAIN}"


def _vevent(group: GroupRecord, meeting: Meeting, *, stamp: datetime, join_url: str | None) -> Any:
    """One VEVENT. A member's invite carries their personal link (``join_url``, which opens the
    room as it stands) and the joining details the group's policy shows; the public feed neither."""
    from icalendar import Event

    ev = Event()
    ev.add("uid", meeting_uid(group["id"], meeting.date))
    ev.add("dtstamp", stamp)
    ev.add("sequence", meeting.sequence)
    ev.add("dtstart", meeting.starts_at)
    ev.add("dtend", meeting.ends_at)
    ev.add("summary", group["name"])
    description = group.get("description") or ""
    if meeting.note:
        description = f"{meeting.note}\n\n{description}".strip()
    if join_url:
        details = shown_in_emails(group)
        lines = [f"Join on Zoom with your personal link: {join_url}"]
        if details["meeting_id"]:
            lines.append(f"Meeting ID: {details['meeting_id']}")
        if details["passcode"]:
            lines.append(f"Passcode: {details['passcode']}")
        lines += [f"By phone: {number}" for number in details["dial_in"]]
        description = "\n".join(lines) + (f"\n\n{description}" if description else "")
        ev.add("location", join_url)
        ev.add("url", join_url)
    else:
        ev.add("location", "Zoom (members receive the link by email)")
    if description:
        ev.add("description", description)
    ev.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    return ev


def meeting_calendar(
    group: GroupRecord,
    meetings: list[Meeting],
    *,
    stamp: datetime,
    join_url: str | None = None,
    method: str = "PUBLISH",
) -> bytes:
    """A calendar of meetings. ``method`` CANCEL (with the same UID and SEQUENCE) removes a
    cancelled meeting from the member's calendar."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//MBC Connect//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", group["name"])
    for meeting in meetings:
        cal.add_component(_vevent(group, meeting, stamp=stamp, join_url=join_url))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
