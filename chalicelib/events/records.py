"""Event items. Key prefixes are defined here and nowhere else.

- ``EVENT#<id>`` / ``EVENT``: an event (its JSON document), optimistic-locked by ``version``.
- ``EVLIST#<PUB|DRAFT>#<ID|MT|ALL>`` / ``<starts_utc>#<id>``: listing copies of an event, one per
  state it serves plus ``ALL``, written in the same transaction as the event, so every list read
  is a single Query in start order.
"""

from __future__ import annotations

from typing import Literal, TypedDict

EVENT_PREFIX = "EVENT#"
EVENT_SK = "EVENT"
LISTING_PREFIX = "EVLIST#"

EventFormat = Literal["in_person", "virtual", "hybrid"]
EventStatus = Literal["draft", "published", "cancelled"]
FORMATS: tuple[EventFormat, ...] = ("in_person", "virtual", "hybrid")
# Statuses that appear in the public listing (drafts are listed for organizers only).
LISTED: tuple[EventStatus, ...] = ("published", "cancelled")
LIST_STATUSES: tuple[EventStatus, ...] = ("published", "cancelled", "draft")


class VenueRecord(TypedDict):
    name: str
    street: str
    city: str
    postal_code: str


class EventRecord(TypedDict):
    """An event as stored and as the API returns it: times are ISO 8601 in the event's own zone."""

    id: str
    version: int
    title: str
    description: str
    starts_at: str
    ends_at: str
    timezone: str
    format: EventFormat
    states: list[str]
    venue: VenueRecord | None
    online_url: str | None
    registration_url: str | None
    contact_email: str | None
    tags: list[str]
    accessibility: str | None
    status: EventStatus
    cancelled: bool
    created_at: str
    updated_at: str


class EventPage(TypedDict):
    """A page of the public list."""

    events: list[EventRecord]
    next_cursor: str | None


def listing_partition(visibility: str, scope: str) -> str:
    return f"{LISTING_PREFIX}{visibility}#{scope}"
