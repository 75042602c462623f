"""The events calendar feed, parsed back with icalendar as a calendar app would."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from icalendar import Calendar

from tests.support.builders import as_json, event_body, send
from tests.support.clock import DEFAULT_NOW

SOON = DEFAULT_NOW.year + 1  # the stack's clock starts at DEFAULT_NOW


def _create(api: Any, key: str, **overrides: Any) -> dict[str, Any]:
    response = send(api, "POST", "/events", event_body(**overrides), key)
    assert response.status_code == 201
    return as_json(response)


def test_feed_has_stable_uids_zones_and_cancellations(api: Any, organizer_key: str) -> None:
    north = _create(
        api,
        organizer_key,
        title="CdA walk",
        states=["ID"],
        timezone="America/Los_Angeles",
        starts_at=f"{SOON}-07-01T10:00:00-07:00",
        ends_at=f"{SOON}-07-01T12:00:00-07:00",
    )
    winter = _create(
        api,
        organizer_key,
        title="Helena winter meetup",
        starts_at=f"{SOON}-01-12T16:00:00-07:00",
        ends_at=f"{SOON}-01-12T17:00:00-07:00",
    )
    send(api, "PATCH", f"/events/{winter['id']}", {"version": 1, "status": "cancelled"}, organizer_key)
    _create(api, organizer_key, title="Hidden draft", status="draft")

    response = api.http.get("/events/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.body)
    events = {str(ev["SUMMARY"]): ev for ev in cal.walk("VEVENT")}
    assert set(events) == {"CdA walk", "CANCELLED: Helena winter meetup"}
    walk = events["CdA walk"]
    assert str(walk["UID"]) == f"event-{north['id']}@mbc-connect"
    assert walk["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert walk.decoded("DTSTART").utcoffset().total_seconds() == -7 * 3600
    cancelled = events["CANCELLED: Helena winter meetup"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 2
    assert cancelled.decoded("DTSTART").astimezone(UTC).hour == 23  # 16:00 MST
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"America/Los_Angeles", "America/Denver"}
    again = Calendar.from_ical(api.http.get("/events/calendar.ics").body)
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == {str(e["UID"]) for e in cal.walk("VEVENT")}

    idaho = Calendar.from_ical(api.http.get("/events/calendar.ics?state=ID").body)
    assert [str(e["SUMMARY"]) for e in idaho.walk("VEVENT")] == ["CdA walk"]
    assert api.http.get("/events/calendar.ics?state=WA").status_code == 400
    send(api, "PATCH", f"/events/{north['id']}", {"version": 1, "title": "CdA lakeside walk"}, organizer_key)
    changed = Calendar.from_ical(api.http.get("/events/calendar.ics").body)  # not a stale cached copy
    assert "CdA lakeside walk" in {str(e["SUMMARY"]) for e in changed.walk("VEVENT")}
