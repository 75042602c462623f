"""The meetings calendar (RFC 5545, ``icalendar``).

- The group's public feed: the next meetings as separate events, never the link.
- A member's calendar: the group's meetings as **one recurring series** (``series-<group>``: the
  schedule's RRULE from the next meeting on, cancelled meetings as EXDATEs, moved ones as
  instances with a RECURRENCE-ID), with their personal link. The welcome email attaches it, so
  every meeting lands in the calendar once. Each email about one meeting attaches that meeting
  as an instance of the same series (RECURRENCE-ID = its scheduled start), with the series
  itself (PUBLISH), or the instance alone with METHOD:CANCEL for a cancellation: the calendar
  updates the one meeting instead of adding another.
- A member's calendar speaks her zone: its times carry her TZID (3:00 PM America/Los_Angeles for a
  4:00 PM Mountain meeting) whenever the series repeats the same in both zones (``member_tzid``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.groups.records import GroupRecord
from chalicelib.joinlinks.details import shown_in_emails
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import later
from chalicelib.memo import keep

UID_DOMAIN = "mbc-connect"
# Zones that change their clocks on the same days, each at 2 AM local time (an hour apart): a series
# repeats at the same instants whichever of them its times are written in, as long as the meeting
# is not in the night hours when one has changed and the other not yet (or a wall-clock time is
# missing or doubled): local hours in each zone to stay away from.
_NIGHT_HOURS = {"America/Denver": range(0, 4), "America/Boise": range(0, 4), "America/Los_Angeles": range(0, 3)}


def member_tzid(group: GroupRecord, meetings: list[Meeting], zone: str | None) -> str | None:
    """The zone a member's calendar writes its times in: hers (``zone``) when the group's series,
    written in it, gives the same instants (same clock rules, the same local day, away from the
    night hours of a clock change); otherwise None (the group's own zone: still the right instants)."""
    group_zone = group["schedule"]["timezone"]
    if zone is None or zone == group_zone or zone not in _NIGHT_HOURS or group_zone not in _NIGHT_HOURS:
        return None
    tz, own = ZoneInfo(zone), ZoneInfo(group_zone)
    for meeting in meetings:
        for moment in (meeting.scheduled_starts_at, meeting.starts_at):
            here, there = moment.astimezone(tz), moment.astimezone(own)
            if here.date() != there.date() or here.hour in _NIGHT_HOURS[zone] or there.hour in _NIGHT_HOURS[group_zone]:
                return None
    return zone


def _in_zone(meeting: Meeting, zone: str | None) -> Meeting:
    if zone is None:
        return meeting
    tz = ZoneInfo(zone)
    return replace(
        meeting,
        starts_at=meeting.starts_at.astimezone(tz),
        ends_at=meeting.ends_at.astimezone(tz),
        scheduled_starts_at=meeting.scheduled_starts_at.astimezone(tz),
    )


def meeting_uid(group_id: str, day: str) -> str:
    """Stable per occurrence, so calendar apps update the same event instead of adding another."""
    return f"meeting-{group_id}-{day}@{UID_DOMAIN}"


def series_uid(group_id: str) -> str:
    return f"series-{group_id}@{UID_DOMAIN}"


def _describe(group: GroupRecord, note: str | None, join_url: str | None) -> str:
    description = group.get("description") or ""
    if note:
        description = f"{note}\n\n{description}".strip()
    if join_url:
        details = shown_in_emails(group)
        lines = [f"Join on Zoom with your personal link: {join_url}"]
        if details["meeting_id"]:
            lines.append(f"Meeting ID: {details['meeting_id']}")
        if details["passcode"]:
            lines.append(f"Passcode: {details['passcode']}")
        lines += [f"By phone: {number}" for number in details["dial_in"]]
        description = "\n".join(lines) + (f"\n\n{description}" if description else "")
    return description


def _place(ev: Any, group: GroupRecord, join_url: str | None) -> None:
    if join_url:
        ev.add("location", join_url)
        ev.add("url", join_url)
    else:
        ev.add("location", "Zoom (members receive the link by email)")


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
    description = _describe(group, meeting.note, join_url)
    _place(ev, group, join_url)
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
    cancelled meeting from the member's calendar.

    Memoized (a feed polled again finds the same group and meetings): rendered once with a stand-in
    DTSTAMP, which is then written in, byte for byte what icalendar writes for a UTC instant."""
    if stamp.tzinfo is not UTC:
        return _meeting_calendar(group, meetings, stamp=stamp, join_url=join_url, method=method)
    key = (json.dumps(group, sort_keys=True, default=str), tuple(meetings), join_url, method)
    rendered = _rendered_calendars.get(key)
    if rendered is None:
        rendered = _meeting_calendar(group, meetings, stamp=_STAND_IN, join_url=join_url, method=method)
        keep(_rendered_calendars, key, rendered, limit=_RENDERED_MAX)  # the oldest goes first
    return rendered.replace(_STAND_IN_LINE, b"\r\nDTSTAMP:" + stamp.strftime("%Y%m%dT%H%M%SZ").encode())


# meeting_calendar's renders, by everything they depend on but the stamp (the group as a whole, the
# meetings, the link, the method): a few groups' feeds and the last members' calendars.
_rendered_calendars: dict[tuple[Any, ...], bytes] = {}
_RENDERED_MAX = 32
_STAND_IN = datetime(1900, 1, 1, tzinfo=UTC)
# A property line begins after CRLF (a folded line's continuation begins with a space, and text
# values escape their newlines): only the DTSTAMP properties match.
_STAND_IN_LINE = b"\r\nDTSTAMP:19000101T000000Z"


def _meeting_calendar(
    group: GroupRecord, meetings: list[Meeting], *, stamp: datetime, join_url: str | None, method: str
) -> bytes:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//MBC Connect//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", group["name"])
    for meeting in meetings:
        cal.add_component(_vevent(group, meeting, stamp=stamp, join_url=join_url))
    add_timezones(cal)
    return bytes(cal.to_ical())


# A finite rule (COUNT or UNTIL) is followed this far to find its last meeting.
_FINITE_SCAN = 5000


def _series_rule(group: GroupRecord, first: datetime) -> dict[str, Any]:
    """The group's RRULE as icalendar parts, from ``first`` (a scheduled start) on. COUNT and
    UNTIL become the UTC instant of the last meeting: from a later DTSTART a COUNT would count
    differently, and with a zoned DTSTART, UNTIL must be UTC (RFC 5545 3.3.10)."""
    from chalicelib.meetings.service import schedule_of

    parts = dict(p.split("=", 1) for p in group["schedule"]["rrule"].split(";") if "=" in p)
    rule: dict[str, Any] = {k.lower(): v.split(",") for k, v in parts.items() if k not in ("COUNT", "UNTIL")}
    if "COUNT" in parts or "UNTIL" in parts:
        schedule = schedule_of(group)
        local_first = first.astimezone(schedule.zone).replace(tzinfo=None)
        last = None
        for n, naive in enumerate(schedule.rule().xafter(local_first, count=_FINITE_SCAN, inc=True)):
            last = naive
            if n == _FINITE_SCAN - 1:
                last = None  # more than that ahead: open-ended is close enough
        if last is not None:
            rule["until"] = last.replace(tzinfo=schedule.zone).astimezone(UTC)
    return rule


def series_components(
    group: GroupRecord, meetings: list[Meeting], *, stamp: datetime, join_url: str | None
) -> list[Any]:
    """The series' master event (and the moved meetings as instances), from the first of
    ``meetings`` (upcoming, overrides applied) on. Empty when there is no meeting ahead."""
    from icalendar import Event

    if not meetings:
        return []
    sequence = int(group.get("schedule_rev", 0))
    first = min(m.scheduled_starts_at for m in meetings)
    duration = timedelta(minutes=int(group["schedule"]["duration_minutes"]))
    master = Event()
    master.add("uid", series_uid(group["id"]))
    master.add("dtstamp", stamp)
    master.add("sequence", sequence)
    master.add("dtstart", first)
    master.add("dtend", later(first, duration))
    master.add("rrule", _series_rule(group, first))
    master.add("summary", group["name"])
    cancelled = [m.scheduled_starts_at for m in meetings if m.status == "cancelled"]
    if cancelled:
        master.add("exdate", cancelled)
    _place(master, group, join_url)
    description = _describe(group, None, join_url)
    if description:
        master.add("description", description)
    master.add("status", "CONFIRMED")
    out = [master]
    out += [
        instance_event(group, m, stamp=stamp, join_url=join_url)
        for m in meetings
        if m.status != "cancelled" and (m.starts_at != m.scheduled_starts_at or m.note)
    ]
    return out


def instance_event(group: GroupRecord, meeting: Meeting, *, stamp: datetime, join_url: str | None) -> Any:
    """One meeting as an instance of the series (RECURRENCE-ID = its scheduled start)."""
    ev = _vevent(group, meeting, stamp=stamp, join_url=join_url)
    ev["uid"] = series_uid(group["id"])
    ev.add("recurrence-id", meeting.scheduled_starts_at)
    return ev


def series_calendar(
    group: GroupRecord,
    meetings: list[Meeting],
    *,
    stamp: datetime,
    join_url: str | None,
    instance: Meeting | None = None,
    method: str = "PUBLISH",
    zone: str | None = None,
) -> bytes:
    """A member's calendar: the series (PUBLISH), plus ``instance`` as its own event when the email
    is about one meeting; with ``method`` CANCEL, only the cancelled instance. ``zone``: the
    member's own, which its times are written in when the series allows (``member_tzid``).

    Memoized per group, meetings and zone (every member of a group who lives on the same zone gets
    the same calendar but for her link and the stamp): its content lines are built once with stand-ins
    for the link and the stamp, which are written in before icalendar folds and joins the lines."""
    from icalendar.parser import Contentline

    line_of: Any = Contentline  # icalendar's own classes fold and join the lines (untyped)
    if stamp.tzinfo is not UTC or (join_url is not None and any(c in join_url for c in _ESCAPED)):
        full: Any = _series_lines(
            group, meetings, stamp=stamp, join_url=join_url, instance=instance, method=method, zone=zone
        )
        return bytes(full.to_ical())
    key = (json.dumps(group, sort_keys=True, default=str), tuple(meetings), join_url is None, instance, method, zone)
    cached = _series_lines_memo.get(key)
    if cached is None:
        lines: Any = _series_lines(
            group,
            meetings,
            stamp=_STAND_IN,
            join_url=None if join_url is None else _STAND_IN_URL,
            instance=instance,
            method=method,
            zone=zone,
        )
        # Each line folded once (icalendar's own folding, as Contentlines.to_ical does it), but those
        # with a stand-in: they are folded once written in.
        cached = [
            str(line) if line == _STAND_IN_DTSTAMP or _STAND_IN_URL in line else bytes(line.to_ical())
            for line in lines
            if line
        ]
        keep(_series_lines_memo, key, cached, limit=_RENDERED_MAX)  # the oldest goes first
    dtstamp = "DTSTAMP:" + stamp.strftime("%Y%m%dT%H%M%SZ")
    out = [
        part
        if isinstance(part, bytes)
        else line_of(dtstamp if part == _STAND_IN_DTSTAMP else part.replace(_STAND_IN_URL, join_url or "")).to_ical()
        for part in cached
    ]
    return b"\r\n".join(out) + b"\r\n"


# series_calendar's content lines, unfolded, with the stand-ins (its own memo: see meeting_calendar's).
_series_lines_memo: dict[tuple[Any, ...], list[bytes | str]] = {}
_STAND_IN_DTSTAMP = "DTSTAMP:19000101T000000Z"
# No character icalendar escapes in text (a real link with one is rendered in full).
_STAND_IN_URL = "https://stand-in.invalid/j/personal-link-stand-in-5e1f"
_ESCAPED = "\\;,\n\r"


def _series_lines(
    group: GroupRecord,
    meetings: list[Meeting],
    *,
    stamp: datetime,
    join_url: str | None,
    instance: Meeting | None,
    method: str,
    zone: str | None,
) -> Any:
    from icalendar import Calendar

    tzid = member_tzid(group, [*meetings, *([instance] if instance else [])], zone)
    meetings = [_in_zone(m, tzid) for m in meetings]
    instance = _in_zone(instance, tzid) if instance is not None else None

    cal = Calendar()
    cal.add("prodid", "-//MBC Connect//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", group["name"])
    components = [] if method == "CANCEL" else series_components(group, meetings, stamp=stamp, join_url=join_url)
    if instance is not None:
        components = [
            c
            for c in components
            if c.get("recurrence-id") is None or c.decoded("recurrence-id") != instance.scheduled_starts_at
        ]
        components.append(instance_event(group, instance, stamp=stamp, join_url=join_url))
    for component in components:
        cal.add_component(component)
    add_timezones(cal)
    return cal.content_lines()


def add_timezones(cal: Any) -> None:
    """``Calendar.add_missing_timezones`` with each zone's VTIMEZONE built once per process: building
    one from the zone's rules costs milliseconds, and every member's invitation in a run needs the same."""
    for position, tzid in enumerate(sorted(cal.get_missing_tzids()), start=len(cal.timezones)):
        timezone = _timezone(tzid)
        if timezone is not None:
            cal.subcomponents.insert(position, timezone)


@lru_cache(maxsize=16)
def _timezone(tzid: str) -> Any:
    """The VTIMEZONE of ``tzid`` over icalendar's default years (None: a zone it does not know).
    Shared between calendars: rendering never changes it."""
    from icalendar import Timezone

    try:
        return Timezone.from_tzid(tzid)
    except ValueError:
        return None
