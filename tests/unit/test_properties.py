"""Property tests (Hypothesis): tokens, cursors and the meeting calendar."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.errors import InvalidCursor
from chalicelib.meetings.schedule import Schedule
from chalicelib.settings import Settings
from chalicelib.signing import TokenError, make_token, read_cursor, read_token, sign_cursor

PURPOSES = ["confirm", "unsubscribe", "erase"]
payloads = st.fixed_dictionaries(
    {"g": st.text(min_size=1, max_size=20), "s": st.text(max_size=32), "n": st.text(max_size=16)}
)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(local_state_dir=str(tmp_path_factory.mktemp("keys")))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads, purpose=st.sampled_from(PURPOSES), other=st.sampled_from(PURPOSES))
def test_tokens_round_trip_only_for_their_purpose(
    keyed: Settings, payload: dict[str, str], purpose: str, other: str
) -> None:
    token = make_token(purpose, payload, keyed)
    assert read_token(token, purpose, keyed) == payload
    if other != purpose:
        with pytest.raises(TokenError):
            read_token(token, other, keyed)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads, position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_any_tampering_is_refused(keyed: Settings, payload: dict[str, str], position: int, replacement: str) -> None:
    token = make_token("confirm", payload, keyed)
    i = position % len(token)
    tampered = token[:i] + replacement + token[i + 1 :]
    if tampered == token:
        return
    try:
        decoded = read_token(tampered, "confirm", keyed)
    except TokenError:
        return
    # base64 padding quirks may decode to the same bytes; never to different data
    assert decoded == payload


def test_tokens_from_another_key_are_refused(keyed: Settings, tmp_path: Path) -> None:
    stranger = Settings(local_state_dir=str(tmp_path))
    with pytest.raises(TokenError):
        read_token(make_token("confirm", {"g": "x"}, stranger), "confirm", keyed)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(age_hours=st.floats(min_value=0, max_value=200))
def test_confirm_tokens_expire_after_72_hours(
    keyed: Settings, age_hours: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = time.time()  # real clock: itsdangerous stamps member tokens with it; ages are set relative to it
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real - age_hours * 3600)
        token = make_token("confirm", {"g": "x"}, keyed)
    if age_hours < 71.99:
        assert read_token(token, "confirm", keyed) == {"g": "x"}
    elif age_hours > 72.01:
        with pytest.raises(TokenError) as info:
            read_token(token, "confirm", keyed)
        assert info.value.reason == "expired"


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.text(max_size=40), scope=st.sampled_from(["a", "b"]), junk=st.text(max_size=60))
def test_cursors_verify_and_refuse_junk(keyed: Settings, key: str, scope: str, junk: str) -> None:
    cursor = sign_cursor({"k": key}, scope, keyed)
    assert read_cursor(cursor, scope, keyed) == {"k": key}
    with pytest.raises(InvalidCursor) as info:
        read_cursor(cursor, "b" if scope == "a" else "a", keyed)
    assert info.value.fields == {"cursor": "Not valid for this query."}
    if junk != cursor:
        with pytest.raises(InvalidCursor):
            read_cursor(junk, scope, keyed)


@settings(max_examples=200)
@given(
    moment=st.datetimes(min_value=datetime(2026, 1, 2), max_value=datetime(2035, 12, 1), timezones=st.just(UTC)),
    count=st.integers(min_value=1, max_value=6),
    hour=st.integers(min_value=0, max_value=23),
    zone=st.sampled_from(["America/Denver", "America/Boise", "America/Los_Angeles"]),
)
def test_calendar_meetings_are_first_tuesdays_at_local_time_in_order(
    moment: datetime, count: int, hour: int, zone: str
) -> None:
    from datetime import time as clock

    schedule = Schedule(start_time=clock(hour, 0), timezone=zone)
    starts = schedule.starts_after(moment, count)
    assert len(starts) == count
    assert all(s > moment for s in starts)
    assert starts == sorted(starts)
    assert len(set(starts)) == count
    for start in starts:
        local = start.astimezone(ZoneInfo(zone))
        assert local.weekday() == 1 and local.day <= 7
        # 2am on a spring-forward day does not exist: zoneinfo then shows 3am; every other hour is exact
        assert local.hour == hour or (hour == 2 and local.hour == 3)
    # nothing skipped: computed by hand, the first meeting after `moment` is this month's first
    # Tuesday (if still ahead) or next month's
    local_now = moment.astimezone(ZoneInfo(zone))
    year, month = local_now.year, local_now.month
    for _ in range(2):
        first = next(date(year, month, d) for d in range(1, 8) if date(year, month, d).weekday() == 1)
        candidate = datetime.combine(first, clock(hour, 0), ZoneInfo(zone))
        if candidate > moment:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    assert starts[0].date() == candidate.date()
    assert schedule.start_on(starts[0].date()) == starts[0]
