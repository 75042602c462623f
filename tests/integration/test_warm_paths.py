"""The warm public paths' shortcuts answer byte for byte what the plain way answers: GET /events joins
the stored docs instead of parsing and writing them again, the calendar feed's memo is keyed on the
stored rows, cursors and member tokens come from one serializer per key ring."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib import signing
from chalicelib.errors import InvalidCursor
from chalicelib.events import feed
from chalicelib.events.views import FEED_NAMES, parse_listing
from tests.support.builders import as_json, event_body, send
from tests.support.stacks import Stack

TITLES = ['Café "Ünïcode" <walk> & talk', "Emoji day \U0001f338", "Back\\slash / slash", "Plain"]


def _events(api: Any, key: str, count: int) -> list[dict[str, Any]]:
    made = []
    for n in range(count):
        body = event_body(
            title=f"{TITLES[n % len(TITLES)]} {n}",
            description=f"Line one\nline two, «quoted» {n}\u2028",
            starts_at=f"2030-07-{n % 27 + 1:02d}T10:00:00-06:00",
            ends_at=f"2030-07-{n % 27 + 1:02d}T12:30:00-06:00",
        )
        response = send(api, "POST", "/events", body, key)
        assert response.status_code == 201, response.body
        made.append(as_json(response))
    return made


def test_the_events_page_is_byte_for_byte_the_docs_written_again(
    api: Any, organizer_key: str, moto_stack: Stack
) -> None:
    _events(api, organizer_key, 27)
    service = moto_stack.container.events
    cursor: str | None = None
    pages = 0
    for params in ({"from": "2030-01-01"}, {"from": "2030-01-01", "limit": "5", "state": "MT"}):
        cursor = None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            listing = parse_listing(query, is_organizer=False, now=moto_stack.clock.now())
            plain = json.dumps(service.list_events(listing, cursor=cursor), separators=(",", ":"))
            assert service.list_events_json(listing, cursor=cursor) == plain
            http = api.http.get("/events?" + "&".join(f"{k}={v}" for k, v in query.items()))
            assert http.status_code == 200
            assert http.body == plain.encode()
            assert http.headers["Content-Type"] == "application/json"
            pages += 1
            cursor = json.loads(plain)["next_cursor"]
            if cursor is None:
                break
    assert pages >= 3  # a page of 20 and the rest, then pages of 5 with cursors


def test_an_empty_page_too(moto_stack: Stack) -> None:
    listing = parse_listing({"from": "2099-01-01"}, is_organizer=False, now=moto_stack.clock.now())
    assert moto_stack.container.events.list_events_json(listing, cursor=None) == '{"events":[],"next_cursor":null}'


def test_the_feed_memo_is_keyed_on_the_stored_rows(api: Any, organizer_key: str, moto_stack: Stack) -> None:
    made = _events(api, organizer_key, 3)
    first = api.http.get("/events/calendar.ics")
    rows = moto_stack.container.events.feed_rows(None)
    rendered = feed.events_calendar_of_rows(rows, FEED_NAMES[""])
    assert feed.events_calendar_of_rows(list(rows), FEED_NAMES[""]) is rendered  # served from the memo
    assert first.body == rendered
    # The same events rendered from their parsed docs: the same bytes.
    assert feed._render_events_calendar([json.loads(r) for r in rows], FEED_NAMES[""]) == rendered
    # Another name, or any change of a row, renders afresh.
    assert feed.events_calendar_of_rows(rows, FEED_NAMES["MT"]) != rendered
    send(api, "PATCH", f"/events/{made[0]['id']}", {"version": 1, "title": "Renamed walk"}, organizer_key)
    changed = api.http.get("/events/calendar.ics").body
    assert b"Renamed walk" in changed and changed != first.body


def test_one_serializer_per_key_ring_and_a_new_key_is_a_new_one(tmp_path: Path, moto_stack: Stack) -> None:
    settings = replace(moto_stack.settings, local_state_dir=str(tmp_path / "a"))
    other = replace(moto_stack.settings, local_state_dir=str(tmp_path / "b"))
    for s in (settings, other):
        Path(s.local_state_dir).mkdir()
    cursor = signing.sign_cursor({"k": "x"}, "events", settings)
    assert signing.sign_cursor({"k": "x"}, "events", settings) == cursor
    assert signing.read_cursor(cursor, "events", settings) == {"k": "x"}
    token = signing.make_token("confirm", {"id": "s1"}, settings)
    assert signing.read_token(token, "confirm", settings) == {"id": "s1"}
    # Another key ring (another key file: a rotation) never verifies with the first one's serializer.
    assert signing.keyring(settings) != signing.keyring(other)
    with pytest.raises(InvalidCursor):
        signing.read_cursor(cursor, "events", other)
    with pytest.raises(signing.TokenError, match="invalid"):
        signing.read_token(token, "confirm", other)
    # And the salt still separates scopes and purposes.
    with pytest.raises(signing.TokenError, match="invalid"):
        signing.read_token(token, "erase", settings)
    with pytest.raises(InvalidCursor):
        signing.read_cursor(cursor, "announcements", settings)
