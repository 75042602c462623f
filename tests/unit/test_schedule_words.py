"""Issue 21 item 6: a schedule chosen in words ("the first Tuesday of each month at 4:00 PM
Mountain") becomes the RRULE by one function (console and CLI), and back. Round trip against
dateutil: the rule's occurrences (what the distribution uses) are exactly the days the words name,
computed here by calendar arithmetic, never by dateutil."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import Invalid
from chalicelib.meetings.schedule import Schedule, validate_rrule
from chalicelib.meetings.schedule_words import (
    DAY_WORDS,
    ORDINALS,
    WEEKDAYS,
    ScheduleWords,
    clock_from_words,
    rrule_from_words,
    words_from_rrule,
    zone_from_words,
)

WEEKDAY_INDEX = {code: i for i, code in enumerate(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])}


def days_the_words_name(ordinals: set[str], weekday: str, first: date, months: int) -> list[date]:
    """The nth (or last) weekday of each month, by calendar arithmetic."""
    out = []
    for k in range(months):
        year, month = first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1
        matching = [
            date(year, month, d)
            for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() == WEEKDAY_INDEX[weekday]
        ]
        for word in ordinals:
            out.append(matching[-1] if word == "last" else matching[int(ORDINALS[word]) - 1])
    return sorted(d for d in set(out) if d >= first)


ordinal_sets = st.sets(st.sampled_from(sorted(ORDINALS)), min_size=1, max_size=5)
weekday_names = st.sampled_from(sorted(WEEKDAYS))
months_from = st.dates(min_value=date(2026, 1, 1), max_value=date(2040, 12, 1)).map(lambda d: d.replace(day=1))


@settings(max_examples=150, deadline=None)
@given(ordinals=ordinal_sets, weekday=weekday_names, first=months_from, clock=st.sampled_from(["16:00", "09:30"]))
def test_monthly_words_give_exactly_the_days_they_name(
    ordinals: set[str], weekday: str, first: date, clock: str
) -> None:
    rule = rrule_from_words(weekday=weekday.capitalize(), weeks=sorted(ordinals))
    assert validate_rrule(rule) == rule  # the schedule's own validation accepts it as it is
    schedule = Schedule(rrule=rule, start_time=time.fromisoformat(clock), timezone="America/Denver", starts_on=first)
    zone = schedule.zone
    begin = datetime.combine(first, time(0), zone)
    end = datetime.combine(first + timedelta(days=366), time(0), zone)
    starts = schedule.starts_between(begin, end)
    expected = [d for d in days_the_words_name(ordinals, WEEKDAYS[weekday], first, 13) if d < end.date()]
    assert [s.date() for s in starts] == expected
    assert all(s.time() == time.fromisoformat(clock) and s.tzinfo == zone for s in starts)  # 4 PM across DST


@given(ordinals=ordinal_sets, weekday=weekday_names)
def test_words_to_rule_to_words_is_the_identity(ordinals: set[str], weekday: str) -> None:
    rule = rrule_from_words(weekday=weekday, weeks=sorted(ordinals, reverse=True))
    words = words_from_rrule(rule)
    assert words is not None and words.weekday == WEEKDAYS[weekday]
    assert set(words.weeks) == {ORDINALS[o] for o in ordinals}
    assert rrule_from_words(weekday=DAY_WORDS[words.weekday], weeks=list(words.weeks)) == rule


@given(weekday=weekday_names, first=months_from)
def test_weekly_words_meet_every_seven_days_on_that_day(weekday: str, first: date) -> None:
    rule = rrule_from_words(weekday=weekday[:3], repeat="weekly")
    assert rule == f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]}"
    schedule = Schedule(rrule=rule, starts_on=first)
    starts = schedule.starts_after(datetime.combine(first, time(0), schedule.zone), 10)
    assert all(s.weekday() == WEEKDAY_INDEX[WEEKDAYS[weekday]] for s in starts)
    assert all((b.date() - a.date()).days == 7 for a, b in zip(starts, starts[1:], strict=False))
    assert words_from_rrule(rule) == ScheduleWords("weekly", (), WEEKDAYS[weekday])


def test_the_coordinators_sentence() -> None:
    rule = rrule_from_words(weekday="Tuesday", weeks=["first"])
    assert rule == "FREQ=MONTHLY;BYDAY=1TU"
    words = words_from_rrule(rule)
    assert words is not None and words.text() == "the first Tuesday of each month"
    assert clock_from_words("4:00 PM") == "16:00" and zone_from_words("Mountain") == "America/Denver"
    assert words_from_rrule("FREQ=MONTHLY;BYMONTHDAY=15") is None  # a custom rule the words cannot say
    assert words_from_rrule("FREQ=MONTHLY;INTERVAL=2;BYDAY=1TU") is None


@pytest.mark.parametrize(
    ("text", "clock"),
    [
        ("4:00 PM", "16:00"),
        ("4pm", "16:00"),
        ("4:30 p.m.", "16:30"),
        ("12:00 AM", "00:00"),
        ("12 pm", "12:00"),
        ("09:05", "09:05"),
        ("23:59", "23:59"),
    ],
)
def test_times_in_words(text: str, clock: str) -> None:
    assert clock_from_words(text) == clock


@pytest.mark.parametrize("text", ["", "13 PM", "4:75 PM", "24:00", "noonish", "0 am"])
def test_times_that_are_not_refused_by_field(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        clock_from_words(text)
    assert set(caught.value.fields) == {"start_time"}


def test_words_that_name_nothing_are_refused_by_field() -> None:
    with pytest.raises(Invalid) as caught:
        rrule_from_words(weekday="Funday", weeks=["fifth"])
    assert set(caught.value.fields) == {"weekday", "weeks"}
    with pytest.raises(Invalid) as caught:
        rrule_from_words(weekday="T", weeks=[])  # ambiguous (Tuesday, Thursday) and no week
    assert set(caught.value.fields) == {"weekday", "weeks"}
    with pytest.raises(Invalid) as caught:
        rrule_from_words(weekday="Tuesday", weeks=["first"], repeat="yearly")
    assert set(caught.value.fields) == {"repeat"}
    with pytest.raises(Invalid):
        zone_from_words("Moon")
