"""The schedule's memoized expansions (chalicelib/meetings/schedule.py) answer exactly what dateutil
answers directly, for any rule, zone and moment, and a changed schedule never gets another's answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.meetings.schedule import Schedule

RULES = [
    "FREQ=MONTHLY;BYDAY=1TU",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=3WE",
    "FREQ=WEEKLY;BYDAY=MO",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
    "FREQ=DAILY",
    "FREQ=DAILY;COUNT=5",
    "FREQ=WEEKLY;BYDAY=SU;UNTIL=20270301T000000",
    "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8",
    "FREQ=MONTHLY;BYMONTHDAY=31",
]
ZONES = ["America/Denver", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata", "UTC"]

schedules = st.builds(
    Schedule,
    rrule=st.sampled_from(RULES),
    # 2:30 AM falls in a spring-forward gap (and 1:30 AM in the autumn fold) in the US zones.
    start_time=st.sampled_from([time(16, 0), time(0, 0), time(2, 30), time(1, 30), time(23, 45)]),
    timezone=st.sampled_from(ZONES),
    duration_minutes=st.sampled_from([60, 90]),
    starts_on=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
)
moments = st.datetimes(
    min_value=datetime(2024, 6, 1), max_value=datetime(2029, 1, 1), timezones=st.just(UTC)
) | st.datetimes(
    min_value=datetime(2024, 6, 1), max_value=datetime(2029, 1, 1), timezones=st.just(ZoneInfo("America/Denver"))
)


def direct_rule(schedule: Schedule) -> Any:
    return rrulestr(schedule.rrule, dtstart=datetime.combine(schedule.starts_on, schedule.start_time))


def direct_after(schedule: Schedule, moment: datetime, count: int) -> list[datetime]:
    """starts_after as it was written before the memo: straight from dateutil."""
    zone = schedule.zone
    local = moment.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    out: list[datetime] = []
    for naive in direct_rule(schedule).xafter(local, count=count + 8):
        aware = naive.replace(tzinfo=zone)
        if aware > moment:
            out.append(aware)
        if len(out) == count:
            break
    return out


def direct_between(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    zone = schedule.zone
    lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    return [
        n.replace(tzinfo=zone)
        for n in direct_rule(schedule).between(lo, hi, inc=True)
        if start <= n.replace(tzinfo=zone) <= end
    ]


@settings(max_examples=300, deadline=None)
@given(schedule=schedules, moment=moments, count=st.integers(min_value=1, max_value=30))
def test_starts_after_is_dateutils_answer(schedule: Schedule, moment: datetime, count: int) -> None:
    expected = direct_after(schedule, moment, count)
    assert schedule.starts_after(moment, count) == expected
    assert schedule.starts_after(moment, count) == expected  # and again, from the memo


@settings(max_examples=300, deadline=None)
@given(
    schedule=schedules,
    start=moments,
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120)),
)
def test_starts_between_is_dateutils_answer(schedule: Schedule, start: datetime, span: timedelta) -> None:
    expected = direct_between(schedule, start, start + span)
    assert schedule.starts_between(start, start + span) == expected
    assert schedule.starts_between(start, start + span) == expected


def test_a_changed_schedule_is_never_answered_from_the_old_ones_memo() -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    tuesdays = Schedule(rrule="FREQ=MONTHLY;BYDAY=1TU")
    assert [s.date() for s in tuesdays.starts_after(now, 2)] == [date(2027, 1, 5), date(2027, 2, 2)]
    # The organizer moves the group to Thursdays, then to 6 PM, then starts it later: each is new.
    thursdays = Schedule(rrule="FREQ=MONTHLY;BYDAY=1TH")
    assert [s.date() for s in thursdays.starts_after(now, 2)] == [date(2027, 1, 7), date(2027, 2, 4)]
    evening = Schedule(rrule="FREQ=MONTHLY;BYDAY=1TH", start_time=time(18, 0))
    assert [s.hour for s in evening.starts_after(now, 2)] == [18, 18]
    later = Schedule(rrule="FREQ=MONTHLY;BYDAY=1TH", starts_on=date(2027, 2, 1))
    assert [s.date() for s in later.starts_after(now, 1)] == [date(2027, 2, 4)]
    assert [s.date() for s in later.starts_between(now, now + timedelta(days=62))] == [date(2027, 2, 4)]
    assert [s.date() for s in tuesdays.starts_between(now, now + timedelta(days=62))] == [
        date(2027, 1, 5),
        date(2027, 2, 2),
    ]
