"""Events service: validation, optimistic locking and listing, independent of HTTP."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import Clock, iso_utc
from chalicelib.constants import MAX_EVENT_DURATION
from chalicelib.errors import Invalid, InvalidCursor, NotFound, StaleVersion, validate_model
from chalicelib.events.records import EventRecord, listing_partition
from chalicelib.events.storage import EventConflict, EventRepository, ListingQuery
from chalicelib.events.views import EventListing
from chalicelib.signing import read_cursor, sign_cursor
from chalicelib.versioning import read_version, required_version


def _instants(doc: EventRecord) -> tuple[str, str]:
    return iso_utc(datetime.fromisoformat(doc["starts_at"])), iso_utc(datetime.fromisoformat(doc["ends_at"]))


def _input_fields() -> frozenset[str]:
    from chalicelib.events.models import INPUT_FIELDS

    return INPUT_FIELDS


@functools.lru_cache(maxsize=256)
def _facts(row: str) -> tuple[str, str] | None:
    """(status, version) of a stored event's JSON text; None if it is not an event's."""
    doc = json.loads(row)
    if not isinstance(doc, dict) or "status" not in doc or "version" not in doc:
        return None
    return str(doc["status"]), str(doc["version"])


def _plausible_id(event_id: str) -> bool:
    return 1 <= len(event_id) <= 64 and event_id.isalnum()


class EventService:
    def __init__(self, repo: EventRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def create(self, body: Any) -> EventRecord:
        from chalicelib.events.models import EventInput, event_document

        data = validate_model(EventInput, body)
        stamp = self.clock.now().isoformat()
        doc = event_document(uuid.uuid4().hex, 1, data, created_at=stamp, updated_at=stamp)
        starts, ends = _instants(doc)
        self.repo.create(doc, starts_utc=starts, ends_utc=ends)
        return doc

    def get(self, event_id: str, *, include_drafts: bool = False) -> EventRecord:
        doc = self.repo.get(event_id) if _plausible_id(event_id) else None
        if doc is None or (doc["status"] == "draft" and not include_drafts):
            raise NotFound("event")
        return doc

    def get_json(self, event_id: str, *, include_drafts: bool = False) -> tuple[str, str]:
        """``get``'s event as the API writes it, and its version: the stored text, which is that JSON
        already (``json.dumps(doc, separators=(",", ":"))``, as Chalice writes a body), never parsed
        and written again; what is read of it (status, version) is kept per text."""
        row = self.repo.get_row(event_id) if _plausible_id(event_id) else None
        facts = _facts(row) if row is not None else None
        if row is None or facts is None or (facts[0] == "draft" and not include_drafts):
            raise NotFound("event")
        return row, facts[1]

    def download(self, event_id: str) -> tuple[str, str, str]:
        """A published (or cancelled) event as an .ics download: (file name, ETag, calendar text);
        ``NotFound`` for a draft or an unknown id. Made once per stored text of the event
        (``feed.event_download``): an event people add to their calendars is read, never parsed again."""
        from chalicelib.events.feed import event_download

        row = self.repo.get_row(event_id) if _plausible_id(event_id) else None
        made = event_download(row) if row is not None else None
        if made is None:
            raise NotFound("event")
        return made

    def update(self, event_id: str, body: Any, *, if_match: str | None) -> EventRecord:
        if not isinstance(body, dict):
            raise Invalid(fields={"body": "Must be a JSON object."})
        patch = dict(body)
        expected = required_version(patch.pop("version", None), if_match)
        unknown = sorted(set(patch) - _input_fields())
        if unknown:
            raise Invalid(fields=dict.fromkeys(unknown, "Unknown field."))
        current = self.get(event_id, include_drafts=True)
        if current["version"] != expected:
            raise StaleVersion(
                f"The event changed since version {expected}; it is now at version {current['version']}."
            )
        from chalicelib.events.models import EventInput, event_document

        merged = {**{k: v for k, v in current.items() if k in _input_fields()}, **patch}
        data = validate_model(EventInput, merged)
        doc = event_document(
            event_id, expected + 1, data, created_at=current["created_at"], updated_at=self.clock.now().isoformat()
        )
        starts, ends = _instants(doc)
        try:
            self.repo.replace(current, doc, old_starts_utc=_instants(current)[0], starts_utc=starts, ends_utc=ends)
        except EventConflict:
            raise StaleVersion("The event was changed by someone else; read it again and retry.") from None
        return doc

    def delete(self, event_id: str, *, if_match: str | None) -> None:
        expected = read_version(None, if_match, required=False)
        current = self.get(event_id, include_drafts=True)
        if expected is not None and current["version"] != expected:
            raise StaleVersion(f"The event is at version {current['version']}, not {expected}.")
        try:
            self.repo.delete(
                current,
                starts_utc=_instants(current)[0],
                expected_version=expected if expected is not None else current["version"],
            )
        except EventConflict:
            raise StaleVersion("The event was changed by someone else; read it again and retry.") from None

    def list_events(self, listing: EventListing, *, cursor: str | None) -> dict[str, Any]:
        rows, next_cursor = self._page(listing, cursor)
        return {"events": [json.loads(row) for row in rows], "next_cursor": next_cursor}

    def list_event_rows(self, listing: EventListing, *, cursor: str | None) -> tuple[list[str], str | None]:
        """``list_events``'s page as stored: each event's JSON text (unparsed), and the next cursor. The
        text is the event's whole content, so a page rendered from it may be kept per text."""
        return self._page(listing, cursor)

    def list_events_json(self, listing: EventListing, *, cursor: str | None) -> str:
        """``list_events``'s answer as the API writes it (``json.dumps(..., separators=(",", ":"))``, byte
        for byte): the stored docs are that JSON already, so they are joined, never parsed and written again."""
        rows, next_cursor = self._page(listing, cursor)
        return '{"events":[' + ",".join(rows) + '],"next_cursor":' + json.dumps(next_cursor) + "}"

    def _page(self, listing: EventListing, cursor: str | None) -> tuple[list[str], str | None]:
        query = listing.query
        start_after: str | None = None
        if cursor:
            data = read_cursor(cursor, "events")
            if data.get("s") != listing.scope or not isinstance(data.get("k"), str):
                raise InvalidCursor()
            start_after = data["k"]
            # The window ("from" defaults to now) is pinned by the first page.
            query = ListingQuery(**data["q"])
        rows, last = self.repo.query_rows(query, start_after=start_after, limit=listing.limit)
        next_cursor = sign_cursor({"s": listing.scope, "k": last, "q": query.__dict__}, "events") if last else None
        return rows, next_cursor

    def upcoming_for_feed(self, state: str | None, *, limit: int = 500) -> list[EventRecord]:
        """Events for a calendar subscription: recent past (30 days) and everything ahead."""
        return [json.loads(row) for row in self.feed_rows(state, limit=limit)]

    def feed_rows(self, state: str | None, *, limit: int = 500) -> list[str]:
        """``upcoming_for_feed``'s events as stored (each one's JSON, unparsed): the feed's memo is
        keyed on them, so a poll that finds the feed unchanged parses nothing."""
        moment = self.clock.now()
        query = ListingQuery(
            partition=listing_partition("PUB", state or "ALL"),
            low=iso_utc(moment - timedelta(days=30) - MAX_EVENT_DURATION),
            high=None,
            ends_after=iso_utc(moment - timedelta(days=30)),
        )
        rows, _ = self.repo.query_rows(query, start_after=None, limit=limit)
        return rows
