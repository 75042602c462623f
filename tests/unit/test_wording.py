"""How emails say when (chalicelib/meetings/wording.py): from the real time left, in the reader's
zones, at the edges where one wording gives way to the next. Every instant is fixed here.
(The zones themselves, and the properties across DST changes: test_zones.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.meetings.wording import (
    SUBJECT_MAX,
    clock,
    fit_subject,
    month_day,
    short_date,
    subject_when,
    time_left,
)
from chalicelib.meetings.zones import BOTH, MOUNTAIN, PACIFIC, zone_name

DENVER = ZoneInfo("America/Denver")
# Tuesday, December 1, 2026, 4:00 PM MST (23:00Z).
START = datetime(2026, 12, 1, 16, 0, tzinfo=DENVER)
ZONE = (MOUNTAIN,)


def before(**delta: float) -> datetime:
    return START - timedelta(**delta)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 12, 1, 16, 0), "4:00 PM"),
        (datetime(2026, 12, 1, 0, 5), "12:05 AM"),
        (datetime(2026, 12, 1, 10, 30), "10:30 AM"),
        (datetime(2026, 12, 1, 12, 0), "12:00 PM"),
    ],
)
def test_clock(moment: datetime, text: str) -> None:
    assert clock(moment) == text


def test_dates_are_short() -> None:
    assert short_date(START) == "Tue Dec 1"
    assert month_day(START) == "Dec 1"
    assert short_date(datetime(2027, 1, 12, 9, 0)) == "Tue Jan 12"


def test_zones_are_named_in_words_never_abbreviated() -> None:
    assert zone_name("America/Denver") == "Mountain"
    assert zone_name("America/Boise") == "Mountain"
    assert zone_name("America/Los_Angeles") == "Pacific"
    assert zone_name("America/Chicago") == "Central"
    assert zone_name("Europe/Paris") == "Paris"
    assert zone_name("America/Port_of_Spain") == "Port of Spain"


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (START, "now (it started at 4:00 PM Mountain)"),
        (START + timedelta(minutes=20), "now (it started at 4:00 PM Mountain)"),
        (before(seconds=1), "in 5 minutes"),
        (before(minutes=12), "in 10 minutes"),
        (before(minutes=13), "in 15 minutes"),
        (before(minutes=47, seconds=35), "in 50 minutes"),  # 9.52 five-minute steps round up
        (before(minutes=49), "in 50 minutes"),
        (before(minutes=50), "in 1 hour"),
        (before(minutes=60), "in 1 hour"),
        (before(minutes=99, seconds=59), "in 1 hour"),
        (before(minutes=100), "today at 4:00 PM Mountain"),
        (before(hours=15, minutes=59), "today at 4:00 PM Mountain"),  # 12:01 AM the same day
        (before(hours=16, minutes=1), "tomorrow at 4:00 PM Mountain"),  # 11:59 PM the day before
        (before(days=1), "tomorrow at 4:00 PM Mountain"),
        (before(days=2), "on Tuesday at 4:00 PM Mountain"),
        (before(days=6), "on Tuesday at 4:00 PM Mountain"),
        (before(days=7), "on Tuesday, December 1 at 4:00 PM Mountain"),
        (before(days=30), "on Tuesday, December 1 at 4:00 PM Mountain"),
    ],
)
def test_time_left(now: datetime, text: str) -> None:
    assert time_left(START, now.astimezone(UTC), ZONE) == text


def test_days_are_counted_in_the_groups_zone_not_in_utc() -> None:
    # 5:30 PM MST on Monday is already Tuesday in UTC: the meeting is still "tomorrow".
    monday_evening = datetime(2026, 11, 30, 17, 30, tzinfo=DENVER).astimezone(UTC)
    assert monday_evening.date() == START.astimezone(UTC).date()
    assert time_left(START, monday_evening, ZONE) == "tomorrow at 4:00 PM Mountain"
    assert subject_when(START, monday_evening, ZONE) == "Tomorrow 4:00 PM Mountain"
    # A Pacific reader sees her own clock and weekday.
    pacific = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert time_left(pacific, pacific - timedelta(days=3), (PACIFIC,)) == "on Tuesday at 10:00 AM Pacific"


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (START, "Now · 4:00 PM Mountain"),
        (START + timedelta(minutes=5), "Now · 4:00 PM Mountain"),
        (before(minutes=30), "In 30 minutes · 4:00 PM Mountain"),
        (before(minutes=60), "In 1 hour · 4:00 PM Mountain"),
        (before(minutes=99), "In 1 hour · 4:00 PM Mountain"),
        (before(minutes=100), "Today 4:00 PM Mountain"),
        (before(hours=15), "Today 4:00 PM Mountain"),
        (before(days=1), "Tomorrow 4:00 PM Mountain"),
        (before(days=2), "Tue Dec 1, 4:00 PM Mountain"),
        (before(days=9), "Tue Dec 1, 4:00 PM Mountain"),
    ],
)
def test_subject_when(now: datetime, text: str) -> None:
    assert subject_when(START, now.astimezone(UTC), ZONE) == text


def test_subject_when_speaks_the_readers_zone() -> None:
    day_before = (START - timedelta(days=1)).astimezone(UTC)
    assert subject_when(START, day_before, (PACIFIC,)) == "Tomorrow 3:00 PM Pacific"
    assert subject_when(START, day_before, BOTH) == "Tomorrow 4:00 PM Mountain / 3:00 PM Pacific"
    assert time_left(START, day_before, BOTH) == "tomorrow at 4:00 PM Mountain / 3:00 PM Pacific"
    assert subject_when(START, before(days=3), (PACIFIC,)) == "Tue Dec 1, 3:00 PM Pacific"
    assert subject_when(START, before(minutes=30), BOTH) == "In 30 minutes · 4:00 PM Mountain / 3:00 PM Pacific"


def test_zones_on_different_days_each_say_their_own() -> None:
    # 12:30 AM Mountain on Tuesday is 11:30 PM Pacific on Monday.
    late = datetime(2026, 12, 1, 0, 30, tzinfo=DENVER)
    sunday_noon = datetime(2026, 11, 29, 12, 0, tzinfo=DENVER)
    assert time_left(late, sunday_noon, BOTH) == "on Tuesday at 12:30 AM Mountain / tomorrow at 11:30 PM Pacific"
    assert subject_when(late, sunday_noon, BOTH) == "Tue Dec 1, 12:30 AM Mountain / Mon 11:30 PM Pacific"
    monday_noon = sunday_noon + timedelta(days=1)
    assert subject_when(late, monday_noon, BOTH) == "Tue Dec 1, 12:30 AM Mountain / Mon 11:30 PM Pacific"
    assert time_left(late, monday_noon, BOTH) == "tomorrow at 12:30 AM Mountain / today at 11:30 PM Pacific"


def test_fit_subject_keeps_short_names_whole() -> None:
    assert (
        fit_subject("Today 4:00 PM Mountain", "MBC Connection Group") == "Today 4:00 PM Mountain · MBC Connection Group"
    )
    assert fit_subject("Moved", "Group", ", Dec 1") == "Moved · Group, Dec 1"


def test_fit_subject_shortens_the_name_first() -> None:
    head, tail = "Moved to 5:00 PM Pacific", ", Dec 1"
    room = SUBJECT_MAX - len(head) - len(" · ") - len(tail)
    exact = "x" * room
    assert fit_subject(head, exact, tail) == f"{head} · {exact}{tail}"  # just fits: untouched
    assert len(fit_subject(head, exact, tail)) == SUBJECT_MAX
    longer = "Metastatic Breast Cancer Connection Group of Idaho and Montana (evenings)"
    subject = fit_subject(head, longer, tail)
    assert len(subject) == SUBJECT_MAX
    assert subject.startswith(f"{head} · Metastatic Breast") and subject.endswith(f"…{tail}")
    # A cut that lands after a space does not leave the space before the ellipsis.
    cut = fit_subject(head, "a" * (room - 2) + " bbbbbbb", tail)
    assert cut == f"{head} · {'a' * (room - 2)}…{tail}"
    assert fit_subject(head, exact + "y", tail) == f"{head} · {'x' * (room - 1)}…{tail}"


def test_fit_subject_never_exceeds_the_limit_even_with_a_long_head() -> None:
    head = "H" * 80
    assert fit_subject(head, "Group") == head[:SUBJECT_MAX]
    # Room for the ellipsis alone: the name is only "…", and the tail stays whole.
    tail = ", Dec 1"
    crowded = "H" * (SUBJECT_MAX - len(" · ") - len(tail) - 1)
    assert fit_subject(crowded, "Group", tail) == f"{crowded} · …{tail}"
