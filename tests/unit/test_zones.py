"""A member's own zone (chalicelib/meetings/zones.py): which zones she is shown, and every way a
moment is written for her, across the daylight-saving changes (Hypothesis over dates and times),
for both zones members live on; subjects within the 78-character rule whatever the zone, the
day, the kind of message and the group's name; her calendar in her own TZID, at the same instants."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.groups.records import GroupRecord
from chalicelib.meetings.calendar import member_tzid, series_calendar
from chalicelib.meetings.mail import Change, MeetingEmailKind, subject_for
from chalicelib.meetings.meeting import Meeting, upcoming
from chalicelib.meetings.schedule import Schedule, describe
from chalicelib.meetings.wording import SUBJECT_MAX, subject_when, time_left
from chalicelib.meetings.zones import (
    BOTH,
    MOUNTAIN,
    PACIFIC,
    PUBLIC,
    Zones,
    at,
    clock,
    default_zone,
    long_when,
    member_zone,
    member_zones,
    parse_zone,
    short_when,
    span,
    zone_choices,
    zones_for,
)

DENVER, LOS_ANGELES = ZoneInfo(MOUNTAIN), ZoneInfo(PACIFIC)
READERS: list[Zones] = [(MOUNTAIN,), (PACIFIC,), BOTH]
# Words a reader should never have to decode (a bare "MT" also reads as Montana).
ABBREVIATIONS = re.compile(r"\b(MT|PT|MST|MDT|PST|PDT)\b")

instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(second=0, microsecond=0)
)
readers = st.sampled_from(READERS)


# ---------------------------------------------------------------- which zones she is shown


def test_montana_is_mountain_and_idaho_gets_both_until_she_says() -> None:
    assert default_zone("MT") == MOUNTAIN
    assert default_zone("ID") is None  # split: no guess
    assert zones_for(state="MT", timezone=None) == (MOUNTAIN,)
    assert zones_for(state="ID", timezone=None) == BOTH
    assert zones_for(state="ID", timezone=PACIFIC) == (PACIFIC,)
    assert zones_for(state="ID", timezone=MOUNTAIN) == (MOUNTAIN,)
    assert zones_for(state="MT", timezone=PACIFIC) == (PACIFIC,)  # her word beats her state
    assert zones_for(state=None, timezone=None) == BOTH
    # A record written before zones existed has none: it follows the state.
    assert member_zones({"state": "MT"}) == (MOUNTAIN,)
    assert member_zones({"state": "ID"}) == BOTH
    assert member_zones({"state": "ID", "timezone": "America/Boise"}) == (MOUNTAIN,)
    assert member_zones(None) == PUBLIC == BOTH


def test_posted_zones_are_one_of_the_two_or_not_sure() -> None:
    assert parse_zone(PACIFIC) == PACIFIC
    assert parse_zone(" America/Denver ") == MOUNTAIN
    assert parse_zone("") is None
    assert parse_zone(None) is None
    for bad in ("Europe/Paris", "pacific", "MT", "America/los_angeles", 7):
        with pytest.raises(ValueError, match="Please choose Mountain time or Pacific time"):
            parse_zone(bad)
    assert member_zone("Europe/Paris") is None


def test_the_choices_are_one_per_real_zone_and_say_where() -> None:
    idaho = zone_choices("ID")
    assert [value for value, _ in idaho] == [MOUNTAIN, PACIFIC, ""]
    labels = [label for _, label in idaho]
    assert len(set(labels)) == 3
    assert "Boise" in labels[0] and "Montana" in labels[0]
    assert "Coeur d'Alene" in labels[1] and "Sandpoint" in labels[1] and "Lewiston" in labels[1]
    assert labels[2] == "Not sure: show me both"
    assert zone_choices("MT")[2][1] == "Not sure: use Mountain time, as in Montana"


# ---------------------------------------------------------------- writing a moment


def test_the_words_at_fixed_instants() -> None:
    winter = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 4:00 PM MST
    summer = datetime(2027, 7, 6, 22, 0, tzinfo=UTC)  # 4:00 PM MDT
    assert at(winter, (PACIFIC,)) == "3:00 PM Pacific"
    assert at(summer, BOTH) == "4:00 PM Mountain / 3:00 PM Pacific"
    assert short_when(winter, (PACIFIC,)) == "Tue Dec 1, 3:00 PM Pacific"
    assert long_when(summer, (MOUNTAIN,)) == "Tuesday, July 6, 2027 at 4:00 PM Mountain"
    assert long_when(winter, BOTH) == "Tuesday, December 1, 2026 at 4:00 PM Mountain / 3:00 PM Pacific"
    # New Year's Eve, 12:30 AM Mountain: Pacific is still in the old year.
    midnight = datetime(2027, 1, 1, 0, 30, tzinfo=DENVER)
    assert long_when(midnight, BOTH) == (
        "Friday, January 1, 2027 at 12:30 AM Mountain / Thursday, December 31, 2026 at 11:30 PM Pacific"
    )
    assert at(midnight, BOTH) == "12:30 AM Mountain / Thu 11:30 PM Pacific"


@settings(max_examples=300, deadline=None)
@given(moment=instants, zones=readers)
def test_every_zone_shown_gets_its_own_clock_and_name(moment: datetime, zones: Zones) -> None:
    for text in (at(moment, zones), short_when(moment, zones), long_when(moment, zones)):
        assert not ABBREVIATIONS.search(text)
        for zone in zones:
            assert f"{clock(moment.astimezone(ZoneInfo(zone)))} {'Mountain' if zone == MOUNTAIN else 'Pacific'}" in text
        assert text.count(" / ") == len(zones) - 1
    first = moment.astimezone(ZoneInfo(zones[0]))
    assert long_when(moment, zones).startswith(f"{first:%A, %B} {first.day}, {first.year} at ")


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)))
def test_a_4pm_mountain_meeting_is_3pm_pacific_on_every_day_of_the_year(day: date) -> None:
    """Both zones change their clocks on the same days: one hour apart all year round."""
    start = datetime.combine(day, time(16, 0), DENVER)
    assert at(start, (PACIFIC,)) == "3:00 PM Pacific"
    assert at(start, BOTH) == "4:00 PM Mountain / 3:00 PM Pacific"
    assert describe(Schedule(starts_on=day), (PACIFIC,)).endswith(", 3:00 PM Pacific")


@settings(max_examples=300, deadline=None)
@given(start=instants, ahead=st.integers(min_value=-30, max_value=60 * 24 * 40), zones=readers)
def test_time_left_and_subject_when_name_each_zone(start: datetime, ahead: int, zones: Zones) -> None:
    now = start - timedelta(minutes=ahead)
    for text in (time_left(start, now, zones), subject_when(start, now, zones)):
        assert not ABBREVIATIONS.search(text)
        if ahead >= 100 or ahead <= 0:
            for zone in zones:
                assert clock(start.astimezone(ZoneInfo(zone))) in text


# ---------------------------------------------------------------- a stretch of time (events)

EVENT_ZONES = [MOUNTAIN, PACIFIC, "America/Boise", "America/Chicago"]


def test_an_event_span_names_its_zone_in_words() -> None:
    winter = datetime(2030, 3, 1, 17, 0, tzinfo=UTC)  # 10:00 AM MST
    assert span(winter, winter + timedelta(hours=2), ("America/Boise",)) == (
        "Friday, March 1, 2030, 10:00 AM \u2013 12:00 PM Mountain"
    )
    walk = datetime(2026, 12, 5, 10, 0, tzinfo=LOS_ANGELES)  # Coeur d'Alene
    assert span(walk, walk + timedelta(hours=2), (PACIFIC,)) == (
        "Saturday, December 5, 2026, 10:00 AM \u2013 12:00 PM Pacific"
    )
    retreat = datetime(2027, 7, 9, 15, 0, tzinfo=DENVER)
    assert span(retreat, retreat + timedelta(days=2), (MOUNTAIN,)) == (
        "Friday, July 9, 2027, 3:00 PM \u2013 Sunday, July 11, 2027, 3:00 PM Mountain"
    )
    late = datetime(2027, 1, 1, 0, 30, tzinfo=DENVER)
    assert span(late, late + timedelta(hours=1), BOTH) == (
        "Friday, January 1, 2027, 12:30 AM \u2013 1:30 AM Mountain / Thu 11:30 PM \u2013 Friday, January 1, 2027, "
        "12:30 AM Pacific"
    )


@settings(max_examples=300, deadline=None)
@given(start=instants, minutes=st.integers(min_value=1, max_value=14 * 24 * 60), zone=st.sampled_from(EVENT_ZONES))
def test_an_event_span_is_never_an_abbreviation_across_the_clock_changes(
    start: datetime, minutes: int, zone: str
) -> None:
    end = start + timedelta(minutes=minutes)
    text = span(start, end, (zone,))
    assert not ABBREVIATIONS.search(text)
    name = {"America/Chicago": "Central", PACIFIC: "Pacific"}.get(zone, "Mountain")
    assert text.endswith(f"{clock(end.astimezone(ZoneInfo(zone)))} {name}")
    begins = start.astimezone(ZoneInfo(zone))
    assert text.startswith(f"{begins:%A, %B} {begins.day}, {begins.year}, {clock(begins)} \u2013 ")


# ---------------------------------------------------------------- the 78-character subject rule

KINDS: list[MeetingEmailKind] = ["reminder", "changed", "cancelled", "back_on"]


def _meeting(start: datetime, *, moved_from: datetime | None = None, cancelled: bool = False) -> Meeting:
    scheduled = moved_from or start
    return Meeting(
        date=scheduled.astimezone(DENVER).date().isoformat(),
        starts_at=start.astimezone(DENVER),
        ends_at=start.astimezone(DENVER) + timedelta(minutes=90),
        status="cancelled" if cancelled else ("moved" if moved_from else "scheduled"),
        note=None,
        scheduled_starts_at=scheduled.astimezone(DENVER),
    )


@settings(max_examples=400, deadline=None)
@given(
    start=instants,
    ahead=st.integers(min_value=-30, max_value=60 * 24 * 40),
    zones=readers,
    kind=st.sampled_from(KINDS),
    name=st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs"]), min_size=1, max_size=120),
    moved_by=st.sampled_from([None, -60 * 24, -90, 60, 60 * 24 * 7]),
    aspects=st.sampled_from([frozenset(), frozenset({"time"}), frozenset({"join"})]),
)
def test_subjects_fit_78_characters_and_keep_the_time_whole(
    start: datetime,
    ahead: int,
    zones: Zones,
    kind: MeetingEmailKind,
    name: str,
    moved_by: int | None,
    aspects: frozenset[str],
) -> None:
    group = cast(GroupRecord, {"name": name.strip() or "Group", "schedule": {"timezone": MOUNTAIN}})
    previous = start - timedelta(minutes=moved_by) if moved_by is not None else None
    meeting = _meeting(start, moved_from=previous, cancelled=kind == "cancelled")
    change = Change(previous, aspects) if previous is not None and kind in ("reminder", "changed") else None
    now = start - timedelta(minutes=ahead)
    subject = subject_for(kind, group=group, meeting=meeting, now=now, change=change, zones=zones)
    assert len(subject) <= SUBJECT_MAX
    assert not ABBREVIATIONS.search(subject.replace(group["name"], ""))
    if kind != "changed" or (change is not None and "time" in change.aspects):
        assert at(start, zones) in subject  # the time is never what gives way


# ---------------------------------------------------------------- her calendar


def _group(start_time: str = "16:00", rrule: str = "FREQ=MONTHLY;BYDAY=1TU", zone: str = MOUNTAIN) -> GroupRecord:
    return cast(
        GroupRecord,
        {
            "id": "g",
            "name": "MBC Connection Group",
            "schedule": {
                "rrule": rrule,
                "start_time": start_time,
                "timezone": zone,
                "duration_minutes": 90,
                "starts_on": "2026-01-01",
            },
            "schedule_rev": 0,
        },
    )


def _series(group: GroupRecord, now: datetime, count: int = 12) -> list[Meeting]:
    schedule = Schedule.from_dict(dict(group["schedule"]))
    return upcoming(schedule, lambda a, b: {}, now=now, count=count)


def _expand(ics: bytes, count: int) -> list[datetime]:
    """The series' first ``count`` instants as a calendar app computes them from DTSTART and RRULE."""
    from dateutil.rrule import rrulestr
    from icalendar import Calendar

    master = next(c for c in Calendar.from_ical(ics).walk("VEVENT") if c.get("rrule") is not None)
    start = master.decoded("dtstart")
    rule = rrulestr(master["rrule"].to_ical().decode(), dtstart=start.replace(tzinfo=None))
    return [naive.replace(tzinfo=start.tzinfo).astimezone(UTC) for naive in rule[:count]]


def _tzids(ics: bytes) -> set[str]:
    return set(re.findall(r"DTSTART;TZID=([^:;]+)", ics.decode()))


@settings(max_examples=80, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2036, 1, 1), timezones=st.just(UTC)),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.sampled_from([0, 30]),
    rrule=st.sampled_from(["FREQ=MONTHLY;BYDAY=1TU", "FREQ=WEEKLY;BYDAY=SU", "FREQ=MONTHLY;BYDAY=-1FR"]),
)
@example(now=datetime(2027, 1, 10, tzinfo=UTC), hour=0, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
@example(now=datetime(2027, 1, 10, tzinfo=UTC), hour=1, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
@example(now=datetime(2027, 1, 10, tzinfo=UTC), hour=2, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
@example(now=datetime(2027, 1, 10, tzinfo=UTC), hour=3, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
@example(now=datetime(2026, 9, 1, tzinfo=UTC), hour=0, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
@example(now=datetime(2026, 9, 1, tzinfo=UTC), hour=1, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
@example(now=datetime(2026, 9, 1, tzinfo=UTC), hour=2, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
@example(now=datetime(2026, 9, 1, tzinfo=UTC), hour=3, minute=30, rrule="FREQ=WEEKLY;BYDAY=SU")  # the clock changes
def test_a_pacific_members_calendar_is_in_her_zone_at_the_same_instants(
    now: datetime, hour: int, minute: int, rrule: str
) -> None:
    group = _group(f"{hour:02d}:{minute:02d}", rrule)
    meetings = _series(group, now, count=14)
    mine = series_calendar(group, meetings, stamp=now, join_url="https://x.test/j/T", zone=PACIFIC)
    theirs = series_calendar(group, meetings, stamp=now, join_url="https://x.test/j/T")
    assert _tzids(theirs) == {MOUNTAIN}
    # Her zone whenever the meeting is clear of the night (Sunday 2 AM is when the clocks change) ...
    if hour >= 4:
        assert _tzids(mine) == {PACIFIC}
    # ... and whichever zone it is written in, across every clock change ahead (weekly: 14 weeks),
    # the same instants.
    expected = [m.scheduled_starts_at.astimezone(UTC) for m in meetings]
    assert _expand(theirs, 14) == expected
    assert _expand(mine, 14) == expected


def test_a_meeting_near_midnight_keeps_the_groups_zone_in_her_calendar() -> None:
    """12:30 AM Mountain on the first Tuesday is Monday 11:30 PM Pacific: written in Pacific, the
    rule would fall on other days. The group's zone keeps the instants right."""
    group = _group("00:30")
    meetings = _series(group, datetime(2026, 11, 20, tzinfo=UTC))
    assert member_tzid(group, meetings, PACIFIC) is None
    ics = series_calendar(group, meetings, stamp=datetime(2026, 11, 20, tzinfo=UTC), join_url=None, zone=PACIFIC)
    assert _tzids(ics) == {MOUNTAIN}
    # A Mountain member of a Pacific group is fine, and a zone outside the members' is left alone.
    pacific_group = _group("15:00", zone=PACIFIC)
    assert member_tzid(pacific_group, _series(pacific_group, datetime(2026, 11, 20, tzinfo=UTC)), MOUNTAIN) == MOUNTAIN
    chicago = _group(zone="America/Chicago")
    assert member_tzid(chicago, _series(chicago, datetime(2026, 11, 20, tzinfo=UTC)), PACIFIC) is None


def test_a_cancellation_names_the_instance_in_her_zone() -> None:
    group = _group()
    now = datetime(2026, 11, 20, tzinfo=UTC)
    meetings = _series(group, now)
    cancelled = _meeting(meetings[0].starts_at, cancelled=True)
    ics = series_calendar(
        group, meetings, stamp=now, join_url=None, instance=cancelled, method="CANCEL", zone=PACIFIC
    ).decode()
    assert "RECURRENCE-ID;TZID=America/Los_Angeles:20261201T150000" in ics
    assert "DTSTART;TZID=America/Los_Angeles:20261201T150000" in ics


def _words(group: GroupRecord, zones: Zones) -> Any:
    return describe(Schedule.from_dict(dict(group["schedule"])), zones)


def test_the_schedule_line_in_each_readers_zone() -> None:
    group = _group()
    assert _words(group, (MOUNTAIN,)) == "First Tuesday of every month, 4:00 PM Mountain"
    assert _words(group, (PACIFIC,)) == "First Tuesday of every month, 3:00 PM Pacific"
    assert _words(group, BOTH) == "First Tuesday of every month, 4:00 PM Mountain / 3:00 PM Pacific"
    assert _words(_group("00:30"), BOTH) == (
        "First Tuesday of every month, 12:30 AM Mountain / 11:30 PM Pacific the day before"
    )
