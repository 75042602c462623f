"""How emails say when: from the real time left, in the reader's own zone (chalicelib/meetings/zones.py),
short enough for a phone.

Subjects lead with the what and the when and stay within 78 characters (a phone shows about that
much): "Today 3:00 PM Pacific · MBC Connection Group", "Moved to 5:00 PM Mountain · MBC Connection
Group, Dec 1"; a reader shown both zones: "Tomorrow 4:00 PM Mountain / 3:00 PM Pacific · ...".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.meetings.zones import Zones, at, clock, local, short_when

__all__ = ["SUBJECT_MAX", "clock", "fit_subject", "month_day", "short_date", "subject_when", "time_left"]

SUBJECT_MAX = 78
SEPARATOR = " · "


def short_date(moment: datetime) -> str:
    """'Tue Dec 1'."""
    return f"{moment:%a %b} {moment.day}"


def month_day(moment: datetime) -> str:
    """'Dec 1'."""
    return f"{moment:%b} {moment.day}"


def _day_phrase(start: datetime, now: datetime, zone: str) -> tuple[int, str]:
    """The meeting's day from where the reader stands, in one zone: (days ahead, words)."""
    here, today = local(start, zone), local(now, zone)
    days = (here.date() - today.date()).days
    if days == 0:
        return days, "today"
    if days == 1:
        return days, "tomorrow"
    if days < 7:
        return days, f"on {here:%A}"
    return days, f"on {here:%A, %B} {here.day}"


def time_left(start: datetime, now: datetime, zones: Zones) -> str:
    """The meeting's start from where the reader stands: 'in 1 hour', 'today at 3:00 PM Pacific',
    'tomorrow at 4:00 PM Mountain', 'on Tuesday at ...', 'on Tuesday, December 1 at ...'. Days are
    counted in each of the reader's zones; zones that disagree each say their own."""
    left = start - now
    if left <= timedelta(0):
        return f"now (it started at {at(start, zones)})"
    if left < timedelta(minutes=50):
        minutes = max(5, round(left.total_seconds() / 300) * 5)
        return f"in {minutes} minutes"
    if left < timedelta(minutes=100):
        return "in 1 hour"
    phrases = [_day_phrase(start, now, zone)[1] for zone in zones]
    if len(set(phrases)) == 1:
        return f"{phrases[0]} at {at(start, zones)}"
    return " / ".join(f"{phrase} at {at(start, (zone,))}" for phrase, zone in zip(phrases, zones, strict=True))


def subject_when(start: datetime, now: datetime, zones: Zones) -> str:
    """The when at the head of a reminder's subject: 'Today 3:00 PM Pacific', 'In 1 hour · 4:00 PM
    Mountain', 'Tue Dec 1, 4:00 PM Mountain / 3:00 PM Pacific'."""
    when = at(start, zones)
    left = start - now
    if left <= timedelta(0):
        return f"Now{SEPARATOR}{when}"
    if left < timedelta(minutes=100):
        return f"{time_left(start, now, zones).capitalize()}{SEPARATOR}{when}"
    days = {_day_phrase(start, now, zone)[0] for zone in zones}
    if days == {0}:
        return f"Today {when}"
    if days == {1}:
        return f"Tomorrow {when}"
    return short_when(start, zones)


def fit_subject(head: str, group_name: str, tail: str = "") -> str:
    """``head · group name[tail]`` in at most 78 characters: the group name gives way first."""
    room = SUBJECT_MAX - len(head) - len(SEPARATOR) - len(tail)
    name = group_name if len(group_name) <= room else group_name[: max(0, room - 1)].rstrip() + "…"
    return f"{head}{SEPARATOR}{name}{tail}"[:SUBJECT_MAX]
