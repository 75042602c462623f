"""How emails say when: from the real time left, in the group's zone, short enough for a phone.

Subjects lead with the what and the when and stay within 78 characters (a phone shows about that
much): "Today 4:00 PM MT · MBC Connection Group", "Moved to 5:00 PM MT · MBC Connection Group, Dec 1".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SUBJECT_MAX = 78
SEPARATOR = " · "
ZONE_WORDS = {
    "America/Denver": "Mountain Time",
    "America/Boise": "Mountain Time",
    "America/Los_Angeles": "Pacific Time",
    "America/Chicago": "Central Time",
    "America/New_York": "Eastern Time",
}
ZONE_ABBREVIATIONS = {
    "America/Denver": "MT",
    "America/Boise": "MT",
    "America/Phoenix": "MT",
    "America/Los_Angeles": "PT",
    "America/Chicago": "CT",
    "America/New_York": "ET",
}


def clock(moment: datetime) -> str:
    """'4:00 PM'."""
    return f"{moment:%I}".lstrip("0") + f":{moment:%M %p}"


def zone_abbreviation(zone: str, moment: datetime) -> str:
    return ZONE_ABBREVIATIONS.get(zone) or moment.astimezone(ZoneInfo(zone)).strftime("%Z")


def short_date(moment: datetime) -> str:
    """'Tue Dec 1'."""
    return f"{moment:%a %b} {moment.day}"


def month_day(moment: datetime) -> str:
    """'Dec 1'."""
    return f"{moment:%b} {moment.day}"


def time_left(start: datetime, now: datetime, zone: str) -> str:
    """The meeting's start from where the reader stands: 'in 1 hour', 'today at 4:00 PM',
    'tomorrow at 4:00 PM', 'on Tuesday at 4:00 PM', 'on Tuesday, December 1 at 4:00 PM'."""
    tz = ZoneInfo(zone)
    local, today = start.astimezone(tz), now.astimezone(tz)
    left = start - now
    if left <= timedelta(0):
        return f"now (it started at {clock(local)})"
    if left < timedelta(minutes=50):
        minutes = max(5, round(left.total_seconds() / 300) * 5)
        return f"in {minutes} minutes"
    if left < timedelta(minutes=100):
        return "in 1 hour"
    days = (local.date() - today.date()).days
    if days == 0:
        return f"today at {clock(local)}"
    if days == 1:
        return f"tomorrow at {clock(local)}"
    if days < 7:
        return f"on {local:%A} at {clock(local)}"
    return f"on {local:%A, %B} {local.day} at {clock(local)}"


def subject_when(start: datetime, now: datetime, zone: str) -> str:
    """The when at the head of a reminder's subject: 'Today 4:00 PM MT', 'In 1 hour · 4:00 PM MT'."""
    tz = ZoneInfo(zone)
    local, today = start.astimezone(tz), now.astimezone(tz)
    at = f"{clock(local)} {zone_abbreviation(zone, start)}"
    left = start - now
    if left <= timedelta(0):
        return f"Now{SEPARATOR}{at}"
    if left < timedelta(minutes=100):
        return f"{time_left(start, now, zone).capitalize()}{SEPARATOR}{at}"
    days = (local.date() - today.date()).days
    if days == 0:
        return f"Today {at}"
    if days == 1:
        return f"Tomorrow {at}"
    return f"{short_date(local)}, {at}"


def fit_subject(head: str, group_name: str, tail: str = "") -> str:
    """``head · group name[tail]`` in at most 78 characters: the group name gives way first."""
    room = SUBJECT_MAX - len(head) - len(SEPARATOR) - len(tail)
    name = group_name if len(group_name) <= room else group_name[: max(0, room - 1)].rstrip() + "…"
    return f"{head}{SEPARATOR}{name}{tail}"[:SUBJECT_MAX]


def meeting_words(starts_at: datetime, group_timezone: str, member_state: str | None) -> str:
    """'Tuesday, December 1, 2026 at 4:00 PM Mountain Time', plus the member's own zone where
    it differs (Idaho members also see Pacific Time, for north Idaho)."""
    local = starts_at.astimezone(ZoneInfo(group_timezone))
    text = (
        f"{local:%A, %B} {local.day}, {local.year} at {clock(local)} {ZONE_WORDS.get(group_timezone, group_timezone)}"
    )
    extra: list[str] = []
    member_zones = {"MT": ["America/Denver"], "ID": ["America/Boise", "America/Los_Angeles"]}.get(
        member_state or "", []
    )
    for zone in member_zones:
        other = starts_at.astimezone(ZoneInfo(zone))
        if other.utcoffset() != local.utcoffset():
            where = " in north Idaho" if zone == "America/Los_Angeles" else ""
            extra.append(f"{clock(other)} {ZONE_WORDS.get(zone, zone)}{where}")
    return text + (f" ({'; '.join(extra)})" if extra else "")
