"""The meeting calendar: first Tuesday, 4pm Mountain, right through every DST change."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib.distribution.planner import current_lead
from chalicelib.meetings.meeting import apply_override
from chalicelib.meetings.schedule import Schedule, describe, validate_rrule


def us_dst_in_effect(moment_utc: datetime) -> bool:
    """US rules since 2007, computed by hand (independent of zoneinfo): DST runs from the second
    Sunday of March 2:00 MST (09:00Z) to the first Sunday of November 2:00 MDT (08:00Z)."""
    year = moment_utc.year
    march = [d for d in range(8, 15) if calendar.weekday(year, 3, d) == calendar.SUNDAY][0]
    november = [d for d in range(1, 8) if calendar.weekday(year, 11, d) == calendar.SUNDAY][0]
    start = datetime(year, 3, march, 9, tzinfo=UTC)
    end = datetime(year, 11, november, 8, tzinfo=UTC)
    return start <= moment_utc < end


def first_tuesday(year: int, month: int) -> date:
    return next(date(year, month, d) for d in range(1, 8) if date(year, month, d).weekday() == calendar.TUESDAY)


def test_every_meeting_2026_to_2030_is_first_tuesday_4pm_mountain() -> None:
    schedule = Schedule()
    starts = schedule.starts_between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2030, 12, 31, 23, tzinfo=UTC))
    assert len(starts) == 60
    for start in starts:
        assert start.date() == first_tuesday(start.year, start.month)
        assert start.timetz().replace(tzinfo=None) == time(16, 0)
        utc = start.astimezone(UTC)
        expected_hour = 22 if us_dst_in_effect(utc) else 23
        assert (utc.hour, utc.minute) == (expected_hour, 0), start


@pytest.mark.parametrize(
    ("day", "utc"),
    [
        ("2026-11-03", "2026-11-03T23:00:00+00:00"),  # first Tuesday after the change (Nov 1)
        ("2027-11-02", "2027-11-02T22:00:00+00:00"),  # first Tuesday before the change (Nov 7)
        ("2026-12-01", "2026-12-01T23:00:00+00:00"),
        ("2027-04-06", "2027-04-06T22:00:00+00:00"),
        ("2027-03-02", "2027-03-02T23:00:00+00:00"),
    ],
)
def test_known_instants(day: str, utc: str) -> None:
    start = Schedule().start_on(date.fromisoformat(day))
    assert start is not None
    assert start.astimezone(UTC).isoformat() == utc


def test_reminders_across_the_november_change() -> None:
    schedule = Schedule()
    meeting = apply_override(schedule, schedule.start_on(date(2026, 11, 3)), None)  # type: ignore[arg-type]
    leads = [1440, 60]
    # The day-before reminder is 24 real hours before 23:00Z, i.e. 16:00 MST on Nov 2 (after the change).
    assert current_lead(leads, meeting, datetime(2026, 11, 2, 22, 59, tzinfo=UTC)) is None
    assert current_lead(leads, meeting, datetime(2026, 11, 2, 23, 0, tzinfo=UTC)) == 1440
    assert current_lead(leads, meeting, datetime(2026, 11, 3, 21, 59, tzinfo=UTC)) == 1440
    assert current_lead(leads, meeting, datetime(2026, 11, 3, 22, 0, tzinfo=UTC)) == 60
    assert current_lead(leads, meeting, datetime(2026, 11, 4, 0, 30, tzinfo=UTC)) is None  # ended at 00:30Z
    before = apply_override(schedule, schedule.start_on(date(2027, 11, 2)), None)  # type: ignore[arg-type]
    assert current_lead(leads, before, datetime(2027, 11, 2, 20, 59, tzinfo=UTC)) == 1440
    assert current_lead(leads, before, datetime(2027, 11, 2, 21, 0, tzinfo=UTC)) == 60


def test_other_rules_zones_and_words() -> None:
    weekly = Schedule(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", start_time=time(18, 30), timezone="America/Boise")
    starts = weekly.starts_after(datetime(2027, 3, 1, tzinfo=UTC), 4)
    assert [s.weekday() for s in starts] == [2] * 4
    assert all(b - a == timedelta(days=14) for a, b in zip(starts, starts[1:], strict=False))
    assert describe(weekly) == "Every 2 weeks on Wednesday, 6:30 PM Mountain"
    assert describe(Schedule(rrule="FREQ=MONTHLY;BYDAY=-1FR")) == "Last Friday of every month, 4:00 PM Mountain"
    pacific = Schedule(timezone="America/Los_Angeles").start_on(date(2027, 7, 6))
    assert pacific is not None and pacific.astimezone(UTC).hour == 23


@pytest.mark.parametrize(
    "rule",
    ["FREQ=MINUTELY", "FREQ=HOURLY;COUNT=3", "BANANA", "FREQ=DAILY;BYHOUR=3", "DTSTART:20260101T000000\nFREQ=DAILY"],
)
def test_unsafe_rules_are_refused(rule: str) -> None:
    with pytest.raises(ValueError):
        validate_rrule(rule)


def test_moved_meeting_takes_the_new_time() -> None:
    schedule = Schedule()
    scheduled = schedule.start_on(date(2027, 1, 5))
    assert scheduled is not None
    moved = apply_override(
        schedule, scheduled, {"status": "moved", "starts_at": "2027-01-12T23:00:00+00:00", "sequence": 2}
    )
    assert moved.date == "2027-01-05"
    assert moved.starts_at.isoformat() == "2027-01-12T16:00:00-07:00"
    assert moved.ends_at - moved.starts_at == timedelta(minutes=90)
    assert moved.sequence == 2


def test_several_weeks_of_the_month_are_described_in_words() -> None:
    """A group created in the console or with ``cli groups create --week second --week fourth`` met
    "Recurring (FREQ=MONTHLY;BYDAY=2TH,4TH)" in every member email and on the public page."""
    two = Schedule(rrule="FREQ=MONTHLY;BYDAY=2TH,4TH", start_time=time(18, 30))
    assert describe(two) == "Second and fourth Thursday of every month, 6:30 PM Mountain"
    three = Schedule(rrule="FREQ=MONTHLY;BYDAY=-1TH,1TH,3TH", start_time=time(18, 30))
    assert describe(three) == "First, third and last Thursday of every month, 6:30 PM Mountain"
    mixed = Schedule(rrule="FREQ=MONTHLY;BYDAY=1TU,3TH")
    assert describe(mixed) == "First Tuesday and third Thursday of every month, 4:00 PM Mountain"
    assert "FREQ" not in describe(Schedule(rrule="FREQ=MONTHLY;INTERVAL=2;BYDAY=2TH,4TH"))
