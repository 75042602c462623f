"""Issue 23, warm requests: what a warm process keeps between requests answers exactly what it
would compute afresh.

- ``candidate_starts`` (the scheduled starts ``upcoming`` looks at) is kept with the span of instants
  it holds for: over any schedule and any sequence of instants, forwards and backwards, the kept
  answer equals a fresh one, and so do the meetings ``upcoming`` gives.
- ``public_page`` keys on a digest of its inputs and the organization's identity; anything pickle
  cannot take is made afresh each time.
- Cursors and member tokens are written without zlib: a token's text is what the library wrote
  before, and everything signed before still reads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import signing, templating
from chalicelib.meetings import meeting
from chalicelib.meetings.schedule import Schedule
from chalicelib.meetings.zones import long_when
from chalicelib.settings import Settings
from tests.unit.test_schedule_memo import RULES  # the same rules the schedule memo is checked with

schedules = st.builds(
    Schedule,
    rrule=st.sampled_from(RULES),
    start_time=st.sampled_from([time(16, 0), time(2, 30), time(1, 30), time(23, 45)]),
    timezone=st.sampled_from(["America/Denver", "America/Los_Angeles", "America/Boise", "Pacific/Auckland"]),
    duration_minutes=st.sampled_from([60, 90, 1440]),
    starts_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 6, 30)),
)
starts = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC))
# Steps between requests: a moment later, the instant a meeting starts or ends, weeks, or back.
steps = st.lists(
    st.one_of(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=5)),
        st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=40)),
        st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(0)),
    ),
    min_size=1,
    max_size=12,
)


def fresh_starts(schedule: Schedule, now: datetime, count: int) -> list[datetime]:
    back = schedule.starts_between(now - meeting.MOVE_WINDOW - schedule.duration, now)
    ahead = schedule.starts_between(now, now + meeting.MOVE_WINDOW) + schedule.starts_after(now, count + 2)
    return sorted(set(back + ahead))


@settings(max_examples=150, deadline=None)
@given(schedule=schedules, start=starts, moves=steps, count=st.sampled_from([1, 6, 12]))
def test_kept_candidate_starts_equal_fresh_ones_along_any_sequence_of_instants(
    schedule: Schedule, start: datetime, moves: list[timedelta], count: int
) -> None:
    meeting._starts.clear()
    now = start
    for move in [timedelta(0), *moves]:
        now += move
        kept = meeting.candidate_starts(schedule, now, count)
        assert kept == fresh_starts(schedule, now, count), (schedule, now)
        # Exactly at the edges the span was computed from: still equal.
        until = meeting._starts[(schedule, count)][1]
        if until is not None:
            for edge in (until - timedelta(microseconds=1), until):
                assert meeting.candidate_starts(schedule, edge, count) == fresh_starts(schedule, edge, count)


def reader(overrides: dict[str, Any]) -> Any:
    """The overrides as storage would give them: a new dict on every read."""
    return lambda first, last: {day: dict(record) for day, record in overrides.items()}


def reference_upcoming(schedule: Schedule, overrides: dict[str, Any], now: datetime, count: int) -> list[Any]:
    """``upcoming`` as written before anything was kept: every candidate start, its override
    applied, the ones not ended at ``now`` (aware datetimes compared), in start order."""
    applied = [
        meeting.apply_override(schedule, s, overrides.get(s.date().isoformat()))
        for s in fresh_starts(schedule, now, count)
    ]
    return sorted((m for m in applied if m.ends_at > now), key=lambda m: m.starts_at)[:count]


@settings(max_examples=80, deadline=None)
@given(schedule=schedules, start=starts, moves=steps)
def test_upcoming_with_kept_parts_equals_upcoming_as_first_written(
    schedule: Schedule, start: datetime, moves: list[timedelta]
) -> None:
    overrides: dict[str, Any] = {}
    now = start
    for i, move in enumerate([timedelta(0), *moves]):
        now += move
        candidates = fresh_starts(schedule, now, 6)
        if i % 3 == 1 and candidates:  # an organizer cancels one, then moves it back on
            overrides = {candidates[-1].date().isoformat(): {"status": "cancelled", "sequence": i}}
        elif i % 3 == 2:
            overrides = {}
        kept = meeting.upcoming(schedule, reader(overrides), now=now, count=6)
        assert kept == reference_upcoming(schedule, overrides, now, 6), (schedule, now)
        # At the very end of the first meeting, and a microsecond either side of it.
        if kept:
            for edge in (
                kept[0].ends_at - timedelta(microseconds=1),
                kept[0].ends_at,
                kept[0].ends_at + timedelta(microseconds=1),
            ):
                edge = edge.astimezone(UTC)
                got = meeting.upcoming(schedule, reader(overrides), now=edge, count=6)
                assert got == reference_upcoming(schedule, overrides, edge, 6), (schedule, edge)


def test_a_now_in_another_zone_is_computed_afresh_and_never_kept() -> None:
    from zoneinfo import ZoneInfo

    meeting._starts.clear()
    schedule = Schedule()
    now = datetime(2027, 3, 14, 3, 0, tzinfo=ZoneInfo("America/Denver"))  # the night the clocks change
    assert meeting.candidate_starts(schedule, now, 6) == fresh_starts(schedule, now, 6)
    assert not meeting._starts


def test_public_page_keys_on_every_input_and_the_organization() -> None:
    templating._public_pages.clear()
    made: list[str] = []

    def make(text: str) -> Any:
        def page() -> str:
            made.append(text)
            return text

        return page

    org_a, org_b = object(), object()
    assert templating.public_page(("t", {"x": 1}), make("a"), org=org_a) == "a"
    assert templating.public_page(("t", {"x": 1}), make("again"), org=org_a) == "a"  # kept
    assert templating.public_page(("t", {"x": 2}), make("b"), org=org_a) == "b"  # another input
    assert templating.public_page(("t", {"x": 1}), make("c"), org=org_b) == "c"  # another organization
    unpicklable = ("t", {"f": lambda: None})
    assert templating.public_page(unpicklable, make("d"), org=org_a) == "d"
    assert templating.public_page(unpicklable, make("e"), org=org_a) == "e"  # never kept
    assert made == ["a", "b", "c", "d", "e"]
    for i in range(templating.PUBLIC_PAGES_KEPT + 5):
        templating.public_page(("n", i), make(str(i)), org=org_a)
    assert len(templating._public_pages) == templating.PUBLIC_PAGES_KEPT


def test_tokens_read_as_before_and_cursors_read_either_way(tmp_path: Any, monkeypatch: Any) -> None:
    s = Settings(local_state_dir=str(tmp_path))
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1_900_000_000.0)
    payload = {"g": "mbc-connection-group", "s": "01JABCDEFGHJKMNPQRSTVWXYZ0", "n": "3"}
    library = signing._serializer(tuple(signing.keyring(s)), "member:manage", True)
    assert signing.make_token("manage", payload, s) == library.dumps(payload)  # the same text as before
    assert signing.read_token(library.dumps(payload), "manage", s) == payload
    cursor = {"s": "0123abcd", "k": "2030-03-10T17:00:00Z#EV#01J" + "A" * 23, "q": {"partition": "P" * 40}}
    compressed = signing._serializer(tuple(signing.keyring(s)), "cursor:events", False).dumps(cursor)
    assert compressed.startswith(".")  # what cursors made before this change look like
    assert signing.read_cursor(compressed, "events", s) == cursor
    written = signing.sign_cursor(cursor, "events", s)
    assert not written.startswith(".") and signing.read_cursor(written, "events", s) == cursor


def test_long_when_depends_on_the_instant_alone() -> None:
    from zoneinfo import ZoneInfo

    instant = datetime(2027, 11, 7, 8, 30, tzinfo=UTC)  # 1:30 AM Mountain, the morning the clocks go back
    zones = ("America/Denver", "America/Los_Angeles")
    words = long_when(instant, zones)
    assert words == long_when.__wrapped__(instant, zones)
    assert long_when(instant.astimezone(ZoneInfo("America/Los_Angeles")), zones) == words
    assert long_when(instant + timedelta(hours=1), zones) != words


def test_a_memo_drops_its_oldest_entries_and_tolerates_threads() -> None:
    import threading

    from chalicelib.memo import keep

    store: dict[int, int] = {}
    for i in range(10):
        assert keep(store, i, i * i, limit=4) == i * i
    assert list(store) == [6, 7, 8, 9]

    shared: dict[int, int] = {}
    errors: list[BaseException] = []

    def writer(base: int) -> None:
        try:
            for i in range(5000):
                keep(shared, base + i, i, limit=16)
        except BaseException as exc:  # any error in a thread fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n * 100_000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(shared) <= 16 + len(threads)
