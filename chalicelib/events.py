"""Events service: validation, optimistic locking and listing, independent of HTTP."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.clock import iso_utc, utc_now
from chalicelib.constants import HOME_TIMEZONE, MAX_EVENT_DURATION, STATES
from chalicelib.errors import ApiError, conflict, not_found, pydantic_fields, validation_error
from chalicelib.signing import bad_cursor, read_cursor, sign_cursor
from chalicelib.storage.events import EventConflict, EventRepository, ListingQuery, listing_partition
from chalicelib.versioning import read_version, required_version

FORMATS = ("in_person", "virtual", "hybrid")
LIST_STATUSES = ("published", "cancelled", "draft")
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


def _validate_input(data: dict[str, Any], prefix: str = "") -> Any:
    # Imported here: the read routes never validate a model, so their cold start skips pydantic.
    from pydantic import ValidationError

    from chalicelib.models.events import EventInput

    try:
        return EventInput.model_validate(data)
    except ValidationError as exc:
        raise validation_error(pydantic_fields(exc, prefix)) from None


def _instants(doc: dict[str, Any]) -> tuple[str, str]:
    return (
        iso_utc(datetime.fromisoformat(doc["starts_at"])),
        iso_utc(datetime.fromisoformat(doc["ends_at"])),
    )


def _input_fields() -> frozenset[str]:
    from chalicelib.models.events import INPUT_FIELDS

    return INPUT_FIELDS


def _input_of(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k in _input_fields()}


class EventService:
    def __init__(self, repo: EventRepository) -> None:
        self.repo = repo

    def create(self, body: Any, now: datetime | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error({"body": "Must be a JSON object."})
        from chalicelib.models.events import event_document

        data = _validate_input(body)
        stamp = (now or utc_now()).isoformat()
        doc = event_document(uuid.uuid4().hex, 1, data, stamp, stamp)
        self.repo.create(doc, *_instants(doc))
        return doc

    def get(self, event_id: str, include_drafts: bool = False) -> dict[str, Any]:
        doc = self.repo.get(event_id) if _plausible_id(event_id) else None
        if doc is None or (doc["status"] == "draft" and not include_drafts):
            raise not_found("event")
        return doc

    def update(self, event_id: str, body: Any, if_match: str | None, now: datetime | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error({"body": "Must be a JSON object."})
        patch = dict(body)
        expected = required_version(patch.pop("version", None), if_match)
        unknown = sorted(set(patch) - _input_fields())
        if unknown:
            raise validation_error(dict.fromkeys(unknown, "Unknown field."))
        current = self.get(event_id, include_drafts=True)
        if current["version"] != expected:
            raise conflict(f"The event changed since version {expected}; it is now at version {current['version']}.")
        from chalicelib.models.events import event_document

        merged = {**_input_of(current), **patch}
        data = _validate_input(merged)
        doc = event_document(event_id, expected + 1, data, current["created_at"], (now or utc_now()).isoformat())
        try:
            self.repo.replace(current, _instants(current)[0], doc, *_instants(doc), expected_version=expected)
        except EventConflict:
            raise conflict("The event was changed by someone else; read it again and retry.") from None
        return doc

    def delete(self, event_id: str, if_match: str | None) -> None:
        expected = read_version(None, if_match, required=False)
        current = self.get(event_id, include_drafts=True)
        if expected is not None and current["version"] != expected:
            raise conflict(f"The event is at version {current['version']}, not {expected}.")
        try:
            self.repo.delete(current, _instants(current)[0], expected if expected is not None else current["version"])
        except EventConflict:
            raise conflict("The event was changed by someone else; read it again and retry.") from None

    def list_events(self, params: dict[str, str], is_organizer: bool, now: datetime | None = None) -> dict[str, Any]:
        query, limit, scope = parse_list_params(params, is_organizer, now or utc_now())
        start_after: str | None = None
        cursor = params.get("cursor")
        if cursor:
            data = read_cursor(cursor, "events")
            if data.get("s") != scope or not isinstance(data.get("k"), str):
                raise bad_cursor()
            start_after = data["k"]
            # The window ("from" defaults to now) is pinned by the first page.
            query = ListingQuery(**data["q"])
        docs, last = self.repo.query(query, start_after, limit)
        next_cursor = sign_cursor({"s": scope, "k": last, "q": query.__dict__}, "events") if last else None
        return {"events": docs, "next_cursor": next_cursor}

    def upcoming_for_feed(
        self, state: str | None, now: datetime | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Events for a calendar subscription: recent past (30 days) and everything ahead."""
        moment = now or utc_now()
        query = ListingQuery(
            partition=listing_partition("PUB", state or "ALL"),
            low=iso_utc(moment - timedelta(days=30) - MAX_EVENT_DURATION),
            high=None,
            ends_after=iso_utc(moment - timedelta(days=30)),
        )
        docs, _ = self.repo.query(query, None, limit)
        return docs


def _plausible_id(event_id: str) -> bool:
    return 1 <= len(event_id) <= 64 and event_id.isalnum()


def _parse_bound(raw: str, field: str, end_of_day: bool) -> datetime:
    """A date (whole day in Mountain time) or an ISO 8601 datetime (no offset means Mountain time)."""
    value = raw.strip()
    zone = ZoneInfo(HOME_TIMEZONE)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), zone)
            return moment - timedelta(microseconds=1) if end_of_day else moment
        parsed = datetime.fromisoformat(value.replace(" ", "+") if value.count(" ") == 1 else value)
    except ValueError:
        raise validation_error({field: "Must be a date (YYYY-MM-DD) or an ISO 8601 date-time."}) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if not 2000 <= parsed.astimezone(UTC).year <= 2100:
        raise validation_error({field: "Must be between the years 2000 and 2100."})
    return parsed


def parse_list_params(params: dict[str, str], is_organizer: bool, now: datetime) -> tuple[ListingQuery, int, str]:
    errors: dict[str, str] = {}
    state = (params.get("state") or "").strip().upper() or None
    if state is not None and state not in STATES:
        errors["state"] = "Must be ID or MT."
    fmt = (params.get("format") or "").strip() or None
    if fmt is not None and fmt not in FORMATS:
        errors["format"] = "Must be one of in_person, virtual, hybrid."
    status = (params.get("status") or "").strip() or None
    if status is not None and status not in LIST_STATUSES:
        errors["status"] = "Must be one of published, cancelled, draft."
    limit = DEFAULT_LIMIT
    raw_limit = params.get("limit")
    if raw_limit is not None:
        if not raw_limit.strip().isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            errors["limit"] = f"Must be a whole number from 1 to {MAX_LIMIT}."
        else:
            limit = int(raw_limit)
    start = now
    end: datetime | None = None
    try:
        if params.get("from"):
            start = _parse_bound(params["from"], "from", end_of_day=False)
    except ApiError as exc:
        errors.update(exc.fields)
    try:
        if params.get("to"):
            end = _parse_bound(params["to"], "to", end_of_day=True)
    except ApiError as exc:
        errors.update(exc.fields)
    if end is not None and "from" not in errors and end < start:
        errors["to"] = "Must not be before from."
    if errors:
        raise validation_error(errors)
    if status == "draft" and not is_organizer:
        raise ApiError(
            401, "unauthorized", "Listing drafts needs an organizer key.", {"status": "draft needs an organizer key."}
        )
    visibility = "DRAFT" if status == "draft" else "PUB"
    query = ListingQuery(
        partition=listing_partition(visibility, state or "ALL"),
        # An event that started up to 14 days before "from" may still be running.
        low=iso_utc(start - MAX_EVENT_DURATION),
        high=(iso_utc(end) + "#~") if end is not None else None,
        ends_after=iso_utc(start),
        fmt=fmt,
        status=status if status in ("published", "cancelled") else None,
    )
    fingerprint = json.dumps({k: params.get(k) for k in ("state", "from", "to", "format", "status")}, sort_keys=True)
    scope = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return query, limit, scope
