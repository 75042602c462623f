"""Meeting occurrences from an RFC 5545 RRULE, a local start time and an IANA zone.

Occurrences are generated as *local wall-clock* times by dateutil's rrule and
only then given their zone, so 4pm stays 4pm across daylight-saving changes
(22:00 UTC in summer, 23:00 UTC in winter). Never a fixed offset, never a UTC cron.
"""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr
from dateutil.rrule import rrule as RRule

from chalicelib.meetings.zones import Zones, clock, day_apart, zone_name

DEFAULT_RRULE = "FREQ=MONTHLY;BYDAY=1TU"
ALLOWED_FREQ = {DAILY, WEEKLY, MONTHLY, YEARLY}
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def later(moment: datetime, delta: timedelta) -> datetime:
    """``moment`` plus ``delta`` of real (absolute) time, in ``moment``'s zone. Python adds a
    timedelta to an aware datetime on its wall clock, so 4:00 PM + 90 minutes on a day the clocks
    change would last 30 or 150 real minutes; the sum is done in UTC instead."""
    if moment.tzinfo is None:
        return moment + delta
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time from ``start`` to ``end`` (Python subtracts two datetimes of one zone on the wall clock)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    rrule: str = DEFAULT_RRULE
    start_time: time = time(16, 0)
    timezone: str = "America/Denver"
    duration_minutes: int = 90
    starts_on: date = date(2026, 1, 1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        return cls(
            rrule=data.get("rrule", DEFAULT_RRULE),
            start_time=time.fromisoformat(data.get("start_time", "16:00")),
            timezone=data.get("timezone", "America/Denver"),
            duration_minutes=int(data.get("duration_minutes", 90)),
            starts_on=date.fromisoformat(data.get("starts_on", "2026-01-01")),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    def end_of(self, start: datetime) -> datetime:
        """When a meeting starting at ``start`` ends: the duration in real time (a 90-minute
        meeting lasts 90 minutes on the days the clocks change)."""
        return later(start, self.duration)

    def rule(self) -> Any:
        """The dateutil rrule, anchored at a naive *local* start (so DST never shifts 4pm). Parsed once
        per rule (``_parsed_rule``): treat it as read-only."""
        return _parsed_rule(self.rrule, self.starts_on, self.start_time)

    def starts_after(self, moment: datetime, count: int) -> list[datetime]:
        """The next ``count`` scheduled starts strictly after ``moment`` (aware, in the group's zone)."""
        zone = self.zone
        # Step back a day in local time so an occurrence at exactly `moment` is found and filtered below.
        local = moment.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
        out: list[datetime] = []
        for naive in self._naive_after(local, count + 8):
            aware = naive.replace(tzinfo=zone)
            if aware > moment:
                out.append(aware)
            if len(out) == count:
                break
        return out

    def _naive_after(self, local: datetime, count: int) -> list[datetime]:
        """``rule().xafter(local, count=count)`` as a list, from the day's expansion (memoized, see
        ``_naive_after_day``): the occurrences after midnight of ``local``'s day, less those not after
        ``local``. One request after another the same day reuses the expansion."""
        day = datetime.combine(local.date(), time(0))
        # At most one occurrence a day (the time is the schedule's, never the rule's), so a few spare.
        wanted = count + 4
        found = _naive_after_day(self.rrule, self.starts_on, self.start_time, day, wanted)
        after = [n for n in found if n > local]
        if len(after) >= count or len(found) < wanted:  # enough, or the rule ends before that many
            return after[:count]
        return list(self.rule().xafter(local, count=count))

    def starts_between(self, start: datetime, end: datetime) -> list[datetime]:
        zone = self.zone
        lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
        hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
        # Whole local days around [lo, hi] (memoized): the filter below keeps exactly [start, end].
        first = datetime.combine(lo.date(), time(0))
        last = datetime.combine(hi.date(), time(0)) + timedelta(days=1)
        return [
            aware
            for n in _naive_between_days(self.rrule, self.starts_on, self.start_time, first, last)
            if start <= (aware := n.replace(tzinfo=zone)) <= end
        ]

    def start_on(self, day: date) -> datetime | None:
        """The scheduled start on a local date, or None if the rule has no meeting that day."""
        zone = self.zone
        begin = datetime.combine(day, time(0), zone)
        found = self.starts_between(begin, begin + timedelta(days=1) - timedelta(microseconds=1))
        return found[0] if found else None


# Warm requests read the same few schedules again and again (a group's page, its meetings, the
# calendar): the parsed rule and a day's expansions are memoized, keyed on the rule's text and its
# anchor (what they depend on), so a changed schedule is another key and never a stale answer.
@lru_cache(maxsize=64)
def _parsed_rule(rule: str, starts_on: date, start_time: time) -> Any:
    parsed = rrulestr(rule, dtstart=datetime.combine(starts_on, start_time))
    assert isinstance(parsed, RRule)
    return parsed


@lru_cache(maxsize=256)
def _naive_between_days(
    rule: str, starts_on: date, start_time: time, first: datetime, last: datetime
) -> tuple[datetime, ...]:
    """The rule's naive occurrences from ``first`` to ``last`` (both included)."""
    return tuple(_parsed_rule(rule, starts_on, start_time).between(first, last, inc=True))


@lru_cache(maxsize=256)
def _naive_after_day(rule: str, starts_on: date, start_time: time, day: datetime, count: int) -> tuple[datetime, ...]:
    """The rule's first ``count`` naive occurrences strictly after ``day``."""
    return tuple(_parsed_rule(rule, starts_on, start_time).xafter(day, count=count))


# RRULE parts a group schedule may use; the time comes from start_time, never from the rule.
_KNOWN_PARTS = {
    "FREQ",
    "INTERVAL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
    "COUNT",
    "UNTIL",
    "BYWEEKNO",
    "BYYEARDAY",
}
_TIME_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_MAX_INTERVAL = 52
# Every meeting is followed by another within this long, and the first comes within it (the
# documented "a meeting within three years").
_LOOKAHEAD = timedelta(days=3 * 366)
# The rule is tried from this day over this many years: the calendar repeats every 28 years
# between century years, so a gap longer than three years shows within them.
_ANCHOR = date(2026, 1, 1)
_SPAN_YEARS = 31


def _calendar(year: int) -> tuple[int, bool]:
    """What makes one year's calendar: the weekday of 1 January, and whether it is a leap year."""
    return date(year, 1, 1).weekday(), calendar.isleap(year)


@lru_cache(maxsize=8)
def calendar_twin(first: int, years: int) -> int:
    """The latest year T whose next ``years`` calendars are those of ``first`` onwards. dateutil stops
    at the end of year 9999 however sparse a rule is, so a rule tried from its twin near 9999 is
    tried with bounded work: it runs out of calendar a few decades on instead of eight thousand
    years on. (T = first + 7600 always qualifies: the Gregorian calendar repeats every 400 years.)"""
    wanted = [_calendar(first + i) for i in range(years + 1)]
    for twin in range(9999 - years, first, -1):
        if all(_calendar(twin + i) == wanted[i] for i in range(years + 1)):
            return twin
    raise ValueError("no twin year")  # unreachable: first + 7600 qualifies for first <= 2399


def _shift_years(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


def rule_problem(parts: dict[str, str], *, anchor: date = _ANCHOR) -> str | None:
    """Why a rule (its parts) cannot give a meeting within three years of ``anchor`` and then at
    least every three years after it, or None. Bounded work: the rule runs on the anchor's calendar
    twin near the end of year 9999 (see ``calendar_twin``), over 31 years and a few beyond."""
    twin = calendar_twin(anchor.year, _SPAN_YEARS + 4)
    shift = twin - anchor.year
    start = datetime.combine(anchor, time(16, 0))
    end = _shift_years(start, _SPAN_YEARS)
    parsed = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=start)
    if not isinstance(parsed, RRule):
        raise ValueError("not a single rule")
    rule: Any = parsed  # its parts (_until, _count, _dtstart) have no public reader
    until = rule._until
    if until is not None and until > end:
        until = None  # ends after the span: no effect within it
    twin_rule: Any = rule.replace(
        dtstart=_shift_years(start, shift), until=_shift_years(until, shift) if until is not None else None
    )
    twin_end = _shift_years(end, shift)
    found = twin_rule.between(twin_rule._dtstart, twin_end, inc=True)
    if not found or found[0] - twin_rule._dtstart > _LOOKAHEAD:
        return "The rule produces no meetings within three years."
    gaps = [later - earlier for earlier, later in itertools.pairwise(found)]
    ended = until is not None or (rule._count is not None and len(found) >= rule._count)
    if any(gap > _LOOKAHEAD for gap in gaps) or (not ended and twin_end - found[-1] > _LOOKAHEAD):
        return "The rule leaves more than three years between meetings."
    return None


def validate_rrule(value: str) -> str:
    """Accept a recurrence rule we can safely run; raise ValueError with a plain reason otherwise.
    Every check does bounded work (no rule can make the service spin)."""
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if len(text) > 200 or "\n" in text or "\r" in text:
        raise ValueError("Give only the rule's parts on one line, e.g. FREQ=MONTHLY;BYDAY=1TU.")
    parts: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, equals, setting = part.partition("=")
        name = name.strip().upper()
        if not equals or not setting.strip():
            raise ValueError(f"Each part needs a value, like FREQ=MONTHLY (not {part[:20]!r}).")
        if name in _TIME_PARTS:
            raise ValueError("Set the time with start_time, not in the rule.")
        if name == "DTSTART":
            raise ValueError("Give only the rule's parts; the first day is starts_on.")
        if name not in _KNOWN_PARTS:
            raise ValueError(f"{name} is not a part this service understands.")
        if name in parts:
            raise ValueError(f"{name} is given twice.")
        parts[name] = setting.strip().upper()
    if parts.get("FREQ") not in _FREQUENCIES:
        raise ValueError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY.")
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= _MAX_INTERVAL:
        raise ValueError(f"INTERVAL must be a whole number from 1 to {_MAX_INTERVAL}.")
    try:
        problem = rule_problem(parts)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise ValueError(
            "Not a valid recurrence rule; for example FREQ=MONTHLY;BYDAY=1TU is the first Tuesday."
        ) from None
    if problem:
        raise ValueError(problem)
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _listed(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@lru_cache(maxsize=128)  # a pure function of a frozen Schedule and a tuple: each group's page asks again
def describe(schedule: Schedule, zones: Zones | None = None) -> str:
    """The schedule in words, in the reader's zones (the group's own when None): 'First Tuesday of
    every month, 3:00 PM Pacific'; for a reader shown both zones, '..., 4:00 PM Mountain / 3:00 PM
    Pacific'. A zone where the meeting falls on another day says so ('11:30 PM Pacific the day before')."""
    rule = schedule.rule()
    interval = rule._interval
    nth: Any = rule._bynweekday or ()
    weekly: Any = rule._byweekday or ()
    when = f"Recurring ({schedule.rrule})"
    if rule._freq == MONTHLY and nth and all(n in _ORDINALS for _, n in nth):
        every = "every month" if interval == 1 else f"every {interval} months"
        order = sorted(nth, key=lambda dn: (dn[1] if dn[1] > 0 else 10, dn[0]))
        if len({day for day, _ in order}) == 1:  # "Second and fourth Thursday"
            named = _listed([_ORDINALS[n] for _, n in order]) + f" {_WEEKDAYS[order[0][0]]}"
        else:  # "First Tuesday and third Thursday"
            named = _listed([f"{_ORDINALS[n]} {_WEEKDAYS[day]}" for day, n in order])
        when = f"{named[0].upper()}{named[1:]} of {every}"
    elif rule._freq == WEEKLY and len(weekly) == 1:
        when = f"Every {_WEEKDAYS[weekly[0]]}" if interval == 1 else f"Every {interval} weeks on {_WEEKDAYS[weekly[0]]}"
    # The clock in another zone, read on the schedule's first meeting (the offsets between the
    # zones members live on differ only for an hour in the night when the clocks change).
    first = schedule.starts_after(datetime.combine(schedule.starts_on, time(0), schedule.zone), 1)
    reference = first[0] if first else datetime.combine(schedule.starts_on, schedule.start_time, schedule.zone)
    parts = []
    for zone in zones or (schedule.timezone,):
        moved = day_apart(reference, zone, schedule.timezone)
        other_day = " the day before" if moved < 0 else " the day after" if moved > 0 else ""
        parts.append(f"{clock(reference.astimezone(ZoneInfo(zone)))} {zone_name(zone)}{other_day}")
    return f"{when}, {' / '.join(parts)}"
