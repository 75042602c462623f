"""The warm public paths' shortcuts answer byte for byte what the plain way answers: GET /events joins
the stored docs instead of parsing and writing them again, the calendar feed's memo is keyed on the
stored rows, cursors and member tokens come from one serializer per key ring."""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import signing
from chalicelib.errors import Conflict, InvalidCursor
from chalicelib.events import feed
from chalicelib.events.views import FEED_NAMES, parse_listing
from chalicelib.meetings import calendar
from tests.support.builders import GROUP_ID, as_json, event_body, group_body, send
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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stamp=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)),
    note=st.sampled_from([None, "Bring a friend", "DTSTAMP:19000101T000000Z in a note"]),
)
def test_the_group_calendar_memo_writes_the_stamp_as_icalendar_does(
    moto_stack: Stack, stamp: datetime, note: str | None
) -> None:
    c = moto_stack.container
    with suppress(Conflict):
        c.groups.create(group_body())
    group = dict(c.groups.get(GROUP_ID))
    group["description"] = f"Monthly video meeting. {note or ''}"
    meetings = c.meetings.upcoming(group, count=12)  # type: ignore[arg-type]
    memoized = calendar.meeting_calendar(group, meetings, stamp=stamp)  # type: ignore[arg-type]
    fresh = calendar._meeting_calendar(group, meetings, stamp=stamp, join_url=None, method="PUBLISH")  # type: ignore[arg-type]
    assert memoized == fresh
    assert calendar.meeting_calendar(group, meetings, stamp=stamp) == fresh  # type: ignore[arg-type]


def test_the_group_calendar_memo_renders_a_changed_group_afresh(moto_stack: Stack) -> None:
    c = moto_stack.container
    c.groups.create(group_body())
    group = dict(c.groups.get(GROUP_ID))
    meetings = c.meetings.upcoming(group, count=12)  # type: ignore[arg-type]
    stamp = datetime(2026, 12, 6, 13, 0, 5, 123456, tzinfo=UTC)
    before = calendar.meeting_calendar(group, meetings, stamp=stamp)  # type: ignore[arg-type]
    renamed = {**group, "name": "MBC Evening Group"}
    after = calendar.meeting_calendar(renamed, meetings, stamp=stamp)  # type: ignore[arg-type]
    assert b"MBC Evening Group" in after and b"MBC Evening Group" not in before
    fewer = calendar.meeting_calendar(group, meetings[:3], stamp=stamp)  # type: ignore[arg-type]
    assert fewer.count(b"BEGIN:VEVENT") == 3 and before.count(b"BEGIN:VEVENT") == 12
    # A stamp in another zone than UTC is rendered in full (icalendar writes its TZID).
    denver = stamp.astimezone(ZoneInfo("America/Denver"))
    assert calendar.meeting_calendar(group, meetings, stamp=denver) == calendar._meeting_calendar(  # type: ignore[arg-type]
        group,  # type: ignore[arg-type]
        meetings,
        stamp=denver,
        join_url=None,
        method="PUBLISH",
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stamp=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)),
    token=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=27, max_size=27
    ),
    zone=st.sampled_from([None, "America/Denver", "America/Los_Angeles"]),
    which=st.sampled_from(["series", "instance", "cancel", "no link", "odd link"]),
)
def test_a_members_calendar_from_the_memo_is_the_full_render(
    moto_stack: Stack, stamp: datetime, token: str, zone: str | None, which: str
) -> None:
    c = moto_stack.container
    with suppress(Conflict):
        c.groups.create(group_body(zoom_meeting_id="987 6543 2100", zoom_dial_in=["+1 669 900 6833"]))
    group: Any = c.groups.get(GROUP_ID)
    meetings = c.meetings.upcoming(group, count=12)
    join_url: str | None = f"https://api.example.org/j/{token}"
    if which == "no link":
        join_url = None
    elif which == "odd link":
        join_url = f"https://api.example.org/j/{token};x,y"  # characters icalendar escapes: rendered in full
    instance = meetings[2] if which in ("instance", "cancel") else None
    method = "CANCEL" if which == "cancel" else "PUBLISH"
    kwargs: dict[str, Any] = {"join_url": join_url, "instance": instance, "method": method, "zone": zone}
    full = bytes(calendar._series_lines(group, meetings, stamp=stamp, **kwargs).to_ical())
    assert calendar.series_calendar(group, meetings, stamp=stamp, **kwargs) == full
    assert calendar.series_calendar(group, meetings, stamp=stamp, **kwargs) == full  # from the memo
    if join_url is not None:
        assert join_url.encode() in full.replace(b"\r\n ", b"")


def test_a_members_calendar_memo_renders_a_changed_group_afresh(moto_stack: Stack) -> None:
    c = moto_stack.container
    c.groups.create(group_body())
    group: Any = c.groups.get(GROUP_ID)
    meetings = c.meetings.upcoming(group, count=12)
    stamp = datetime(2026, 12, 6, 13, 0, 5, tzinfo=UTC)
    link = "https://api.example.org/j/" + "a" * 27
    before = calendar.series_calendar(group, meetings, stamp=stamp, join_url=link)
    changed = {**group, "zoom_passcode": "777777", "name": "MBC Evening Group"}
    after = calendar.series_calendar(changed, meetings, stamp=stamp, join_url=link)
    assert b"MBC Evening Group" in after and b"MBC Evening Group" not in before
    later = calendar.series_calendar(group, meetings[1:], stamp=stamp, join_url=link)
    assert later != before
    other = "https://api.example.org/j/" + "b" * 27
    assert calendar.series_calendar(group, meetings, stamp=stamp, join_url=other) == before.replace(
        b"a" * 27, b"b" * 27
    )


def test_the_openapi_document_is_written_once_and_answered_as_chalice_writes_it(api: Any) -> None:
    from chalicelib.web.openapi import openapi_document, openapi_json

    response = api.http.get("/openapi.json")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.body == json.dumps(openapi_document(), separators=(",", ":")).encode()
    assert openapi_json() is openapi_json()


def test_one_events_calendar_is_rendered_once_per_version_of_the_event(
    api: Any, organizer_key: str, moto_stack: Stack
) -> None:
    [event] = _events(api, organizer_key, 1)
    first = api.http.get(f"/events/{event['id']}.ics")
    assert first.status_code == 200
    doc = moto_stack.container.events.get(event["id"])
    assert feed.event_calendar(doc) is feed.event_calendar(dict(doc))  # type: ignore[arg-type]
    assert first.body == feed._render_events_calendar([doc], doc["title"])
    send(api, "PATCH", f"/events/{event['id']}", {"version": 1, "title": "Renamed walk"}, organizer_key)
    changed = api.http.get(f"/events/{event['id']}.ics").body
    assert b"Renamed walk" in changed and changed != first.body


def test_the_embed_pages_event_cards_are_kept_per_stored_text_and_follow_every_change(
    api: Any, organizer_key: str, moto_stack: Stack
) -> None:
    from chalicelib.website import embed

    moto_stack.container.groups.create(group_body())
    made = _events(api, organizer_key, 3)
    page = f"/embed/{GROUP_ID}?show=events&events=3"
    first = api.http.get(page)
    assert first.status_code == 200
    listing = parse_listing({"limit": "3"}, is_organizer=False, now=moto_stack.clock.now())
    rows, _ = moto_stack.container.events.list_event_rows(listing, cursor=None)
    api_url = moto_stack.container.settings.public_api_url
    for row in rows:  # the kept card is the card of the parsed doc, and kept (the same object)
        kept = embed.event_view_of_row(row, api_url)
        assert kept == embed.event_view(json.loads(row), api_url)
        assert embed.event_view_of_row(row, api_url) is kept
    assert api.http.get(page).body == first.body
    # Any change of an event (here its title, a new version) is another text: the card follows it.
    send(api, "PATCH", f"/events/{made[0]['id']}", {"version": 1, "title": "Renamed walk"}, organizer_key)
    changed = api.http.get(page).body
    assert b"Renamed walk" in changed and changed != first.body
    # Bounded: a full memo is emptied, never grown past its size.
    for n in range(embed.VIEWS_KEPT + 5):
        embed.event_view_of_row(rows[0].replace('"Plain', f'"Plain {n}'), f"{api_url}/{n}")
    assert len(embed._VIEWS) <= embed.VIEWS_KEPT
