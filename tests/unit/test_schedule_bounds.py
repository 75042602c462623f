"""Schedule rules: "a meeting within three years", checked with bounded work (issue 19, section 4).

``FREQ=YEARLY;INTERVAL=52`` was accepted (its first meeting is its first day; the next is 52 years
on), and rules that never meet (30 February) made dateutil walk the calendar to the year 9999:
1.2 to 3.5 seconds of CPU per refusal. The work is measured here as the days dateutil examines
(every period's day set), not as wall time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import dateutil.rrule
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.meetings.schedule import Schedule, calendar_twin, validate_rrule

# The check runs 31 years plus the few beyond to the end of the calendar: at most ~60 years of days.
MAX_DAYS_EXAMINED = 60 * 366


class DayCounter:
    def __init__(self) -> None:
        self.days = 0


@pytest.fixture
def examined(monkeypatch: pytest.MonkeyPatch) -> DayCounter:
    """Counts the days dateutil examines: each period's day set (a year, a month, a week or a day)."""
    counter = DayCounter()
    info: Any = dateutil.rrule._iterinfo  # type: ignore[attr-defined]
    for name in ("ydayset", "mdayset", "wdayset", "ddayset"):
        original = getattr(info, name)

        def counting(self: Any, year: int, month: int, day: int, _original: Any = original) -> Any:
            dset, start, end = _original(self, year, month, day)
            counter.days += end - start
            return dset, start, end

        monkeypatch.setattr(info, name, counting)
    return counter


def refusal(rule: str) -> str | None:
    try:
        validate_rrule(rule)
    except ValueError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=YEARLY;INTERVAL=52", "more than three years between meetings"),
        ("FREQ=YEARLY;INTERVAL=4", "more than three years between meetings"),
        ("FREQ=MONTHLY;INTERVAL=52", "more than three years between meetings"),
        ("FREQ=MONTHLY;BYDAY=5TU;BYMONTH=2", "more than three years between meetings"),  # every 28 years
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "more than three years between meetings"),  # leap days
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "no meetings within three years"),
        ("FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30", "no meetings within three years"),
        ("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4", "no meetings within three years"),
        ("FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1", "no meetings within three years"),
        ("FREQ=YEARLY;BYWEEKNO=53;BYMONTH=6", "no meetings within three years"),
        ("FREQ=MONTHLY;BYSETPOS=7;BYDAY=MO", "no meetings within three years"),
        ("FREQ=DAILY;UNTIL=20251231", "no meetings within three years"),
    ],
)
def test_rules_without_a_meeting_every_three_years_are_refused_with_bounded_work(
    examined: DayCounter, rule: str, why: str
) -> None:
    problem = refusal(rule)
    assert problem is not None and why in problem
    assert examined.days <= MAX_DAYS_EXAMINED, examined.days


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYDAY=1TU",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        "FREQ=YEARLY;INTERVAL=3",
        "FREQ=MONTHLY;INTERVAL=36",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=DAILY;INTERVAL=52",
        "FREQ=MONTHLY;COUNT=1",  # one meeting, then the rule ends: nothing is left waiting
        "FREQ=WEEKLY;UNTIL=20260601",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28",
    ],
)
def test_ordinary_rules_are_accepted_with_bounded_work(examined: DayCounter, rule: str) -> None:
    assert refusal(rule) is None
    assert examined.days <= MAX_DAYS_EXAMINED, examined.days


def test_the_twin_year_has_the_same_calendars_and_leaves_little_to_walk() -> None:
    twin = calendar_twin(2026, 35)
    assert 9999 - twin < 70
    for offset in range(36):
        assert date(twin + offset, 1, 1).weekday() == date(2026 + offset, 1, 1).weekday()
        assert (date(twin + offset, 3, 1) - date(twin + offset, 2, 1)) == (
            date(2026 + offset, 3, 1) - date(2026 + offset, 2, 1)
        )


DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
parts = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])},
    optional={
        "INTERVAL": st.integers(1, 52).map(str),
        "BYDAY": st.lists(
            st.tuples(st.sampled_from(["", "1", "2", "3", "4", "5", "-1", "-5", "53"]), st.sampled_from(DAYS)),
            min_size=1,
            max_size=3,
        ).map(lambda ds: ",".join(n + d for n, d in ds)),
        "BYMONTHDAY": st.lists(st.integers(-31, 31).filter(bool), min_size=1, max_size=3).map(
            lambda ns: ",".join(map(str, ns))
        ),
        "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3).map(lambda ns: ",".join(map(str, ns))),
        "BYSETPOS": st.integers(-10, 10).filter(bool).map(str),
        "BYWEEKNO": st.integers(-53, 53).filter(bool).map(str),
        "BYYEARDAY": st.integers(-366, 366).filter(bool).map(str),
        "COUNT": st.integers(1, 5).map(str),
        "UNTIL": st.dates(date(2020, 1, 1), date(2040, 1, 1)).map(lambda d: d.strftime("%Y%m%d")),
        "WKST": st.sampled_from(DAYS),
    },
).filter(lambda p: not ("COUNT" in p and "UNTIL" in p))


@settings(max_examples=150, deadline=None)
@given(rule=parts.map(lambda p: ";".join(f"{k}={v}" for k, v in p.items())))
def test_any_rule_is_answered_with_bounded_work_and_an_accepted_one_meets_within_three_years(rule: str) -> None:
    counter = DayCounter()
    info: Any = dateutil.rrule._iterinfo  # type: ignore[attr-defined]
    originals = {name: getattr(info, name) for name in ("ydayset", "mdayset", "wdayset", "ddayset")}

    def wrap(original: Any) -> Any:
        def counting(self: Any, year: int, month: int, day: int) -> Any:
            dset, start, end = original(self, year, month, day)
            counter.days += end - start
            return dset, start, end

        return counting

    try:
        for name, original in originals.items():
            setattr(info, name, wrap(original))
        problem = refusal(rule)
    finally:
        for name, original in originals.items():
            setattr(info, name, original)
    assert counter.days <= MAX_DAYS_EXAMINED, (rule, counter.days)
    if problem is None and "COUNT" not in rule and "UNTIL" not in rule:
        schedule = Schedule(rrule=validate_rrule(rule), starts_on=date(2026, 1, 1))
        for years in (0, 5, 17, 29):
            now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=365 * years)
            [following] = schedule.starts_after(now, 1)
            assert following - now <= timedelta(days=3 * 366), (rule, now, following)
