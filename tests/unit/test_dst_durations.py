"""A meeting's length is real time: a 90-minute meeting on the night the clocks change lasts 90
minutes (not 30 or 150), in every place the code adds a duration or a lead to a local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from chalicelib.distribution.preview import hypothetical
from chalicelib.distribution.truth import scheduled_baseline, truth_of
from chalicelib.joinlinks.service import window_of
from chalicelib.meetings.meeting import apply_override
from chalicelib.meetings.schedule import Schedule

# The second Sunday of March and the first Sunday of November 2027: both zones change at 2:00 AM.
CHANGES = [date(2027, 3, 14), date(2027, 11, 7)]
ZONES = ["America/Denver", "America/Los_Angeles"]


def schedule_on(day: date, zone: str, start: time) -> Schedule:
    return Schedule(rrule="FREQ=DAILY", start_time=start, timezone=zone, duration_minutes=90, starts_on=day)


def group_for(schedule: Schedule) -> Any:
    return {
        "id": "g",
        "name": "G",
        "zoom_url": "https://example.zoom.us/j/1",
        "join_window_minutes": 10,
        "schedule": {"timezone": schedule.timezone, "duration_minutes": schedule.duration_minutes},
    }


def real_minutes(start: datetime, end: datetime) -> float:
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("day", CHANGES)
def test_a_meeting_across_the_change_lasts_its_duration(zone: str, day: date) -> None:
    schedule = schedule_on(day, zone, time(1, 30))
    start = schedule.start_on(day)
    assert start is not None
    meeting = apply_override(schedule, start, None)
    assert real_minutes(meeting.starts_at, meeting.ends_at) == 90
    said = truth_of(cast(Any, group_for(schedule)), meeting)
    assert real_minutes(said.starts_at, datetime.fromisoformat(said.end)) == 90


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("day", CHANGES)
def test_a_meeting_moved_across_the_change_lasts_its_duration(zone: str, day: date) -> None:
    schedule = schedule_on(day - timedelta(days=1), zone, time(1, 30))
    scheduled = schedule.start_on(day - timedelta(days=1))
    assert scheduled is not None
    moved_to = datetime.combine(day, time(1, 30), ZoneInfo(zone)).astimezone(UTC).isoformat()
    override: Any = {"status": "moved", "starts_at": moved_to, "note": None, "sequence": 1, "updated_at": ""}
    meeting = apply_override(schedule, scheduled, override)
    assert real_minutes(meeting.starts_at, meeting.ends_at) == 90
    # What a member never told anything expects (the scheduled time, the same length) ...
    baseline = scheduled_baseline(cast(Any, group_for(schedule)), meeting)
    assert real_minutes(baseline.starts_at, datetime.fromisoformat(baseline.end)) == 90
    # ... and the console's preview of a proposed move onto the night of the change.
    proposed = hypothetical(
        apply_override(schedule, scheduled, None), status="moved", starts_at=meeting.starts_at, note=None
    )
    assert real_minutes(proposed.starts_at, proposed.ends_at) == 90


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("day", CHANGES)
def test_the_room_opens_its_window_of_real_minutes_before(zone: str, day: date) -> None:
    schedule = schedule_on(day, zone, time(3, 5))
    start = schedule.start_on(day)
    assert start is not None
    meeting = apply_override(schedule, start, None)
    window = window_of(cast(Any, group_for(schedule)), [meeting], computed_at="")
    [listed] = window["meetings"]
    assert real_minutes(datetime.fromisoformat(listed["opens"]), meeting.starts_at) == 10
    assert real_minutes(datetime.fromisoformat(listed["start"]), datetime.fromisoformat(listed["end"])) == 90


def test_later_and_elapsed_are_real_time() -> None:
    from chalicelib.meetings.schedule import elapsed, later

    denver = ZoneInfo("America/Denver")
    start = datetime(2027, 3, 14, 1, 30, tzinfo=denver)
    end = later(start, timedelta(minutes=90))
    assert end == datetime(2027, 3, 14, 4, 0, tzinfo=denver)  # 1:30 MST + 90 min = 4:00 MDT
    assert elapsed(start, end) == timedelta(minutes=90)
    assert end.tzinfo is denver
