"""RFC 5545 feeds built with `icalendar`, so calendar apps can subscribe."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.events.records import EventRecord
from chalicelib.memo import keep

PRODID = "-//MBC Connect//Events//EN"
UID_DOMAIN = "mbc-connect"


def _location(doc: EventRecord) -> str:
    venue = doc.get("venue")
    parts: list[str] = []
    if venue:
        parts = [venue["name"], venue["street"], f"{venue['city']} {venue['postal_code']}"]
    if doc.get("format") in ("virtual", "hybrid"):
        parts.append("Online")
    return ", ".join(parts)


# The last feed rendered by this container: calendar apps poll every hour, and rendering
# (icalendar builds, folds and adds VTIMEZONEs) costs ~8x the Query. Keyed by every event's id
# and version (or, from stored rows, by their whole text), so any change renders afresh.
_last_feed: dict[tuple[Any, ...], bytes] = {}


def events_calendar(docs: list[EventRecord], name: str) -> bytes:
    key = (name, *((d["id"], d["version"]) for d in docs))
    cached = _last_feed.get(key)
    if cached is None:
        cached = _render_events_calendar(docs, name)
        _last_feed.clear()
        _last_feed[key] = cached
    return cached


def events_calendar_of_rows(rows: list[str], name: str) -> bytes:
    """``events_calendar`` of the events stored as ``rows`` (each one's JSON, as the listing stores it),
    memoized on the rows themselves: a poll that finds every event as it was parses none of them."""
    key = (name, *rows)
    cached = _last_feed.get(key)
    if cached is None:
        cached = _render_events_calendar([json.loads(row) for row in rows], name)
        _last_feed.clear()
        _last_feed[key] = cached
    return cached


def event_calendar(doc: EventRecord) -> bytes:
    """One event as a calendar of its own ("Add to calendar"): the same VEVENT as in the feeds, so
    a later subscription updates it (same UID, SEQUENCE). Memoized on the whole event (its DTSTAMP
    is the event's own ``updated_at``: the render depends on nothing else)."""
    key = json.dumps(doc, sort_keys=True)
    cached = _event_calendars.get(key)
    if cached is None:
        cached = _render_events_calendar([doc], doc["title"])
        keep(_event_calendars, key, cached, limit=64)  # the oldest goes first
    return cached


# event_calendar's renders, by the event's whole JSON: the events people add to their calendars.
_event_calendars: dict[str, bytes] = {}


@lru_cache(maxsize=64)
def event_download(row: str) -> tuple[str, str, str] | None:
    """An event's .ics download made from its stored JSON text: (file name, ETag, calendar text);
    None for a draft (never downloadable). Kept per text: the text is the whole event."""
    import re

    doc: EventRecord = json.loads(row)
    if doc["status"] == "draft":
        return None
    name = re.sub(r"[^a-z0-9]+", "-", doc["title"].lower()).strip("-")[:60] or "event"
    return f"{name}.ics", f'"{doc["version"]}"', event_calendar(doc).decode("utf-8")


def _render_events_calendar(docs: list[EventRecord], name: str) -> bytes:
    from icalendar import Calendar, Event, vText

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "America/Denver")
    cal.add("refresh-interval", vText("PT1H"), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for doc in docs:
        zone = ZoneInfo(doc["timezone"])
        ev = Event()
        ev.add("uid", f"event-{doc['id']}@{UID_DOMAIN}")
        ev.add("dtstamp", datetime.fromisoformat(doc["updated_at"]))
        ev.add("last-modified", datetime.fromisoformat(doc["updated_at"]))
        ev.add("created", datetime.fromisoformat(doc["created_at"]))
        ev.add("sequence", int(doc["version"]))
        ev.add("dtstart", datetime.fromisoformat(doc["starts_at"]).astimezone(zone))
        ev.add("dtend", datetime.fromisoformat(doc["ends_at"]).astimezone(zone))
        ev.add("summary", ("CANCELLED: " if doc["cancelled"] else "") + doc["title"])
        description = doc.get("description") or ""
        if doc.get("accessibility"):
            description += f"\n\nAccessibility: {doc['accessibility']}"
        if doc.get("registration_url"):
            description += f"\n\nRegister: {doc['registration_url']}"
        if description.strip():
            ev.add("description", description.strip())
        location = _location(doc)
        if location:
            ev.add("location", location)
        url = doc.get("registration_url") or doc.get("online_url")
        if url:
            ev.add("url", url)
        if doc.get("tags"):
            ev.add("categories", doc["tags"])
        ev.add("status", "CANCELLED" if doc["cancelled"] else "CONFIRMED")
        cal.add_component(ev)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
