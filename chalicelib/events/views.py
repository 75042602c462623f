"""Reading the public list's query string into a listing query (bad parameters are ``Invalid``)."""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta

from chalicelib.clock import iso_utc
from chalicelib.constants import HOME_TIMEZONE, MAX_EVENT_DURATION, STATES
from chalicelib.errors import Invalid, NotAuthenticated
from chalicelib.events.records import FORMATS, LIST_STATUSES, listing_partition
from chalicelib.events.storage import ListingQuery

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
FEED_NAMES = {"ID": "MBC events in Idaho", "MT": "MBC events in Montana", "": "MBC events in Idaho and Montana"}


class EventListing:
    """A parsed listing request (a plain class, not a dataclass: cold start, issue 23)."""

    __slots__ = ("limit", "query", "scope")

    def __init__(self, query: ListingQuery, limit: int, scope: str) -> None:
        self.query = query
        self.limit = limit
        self.scope = scope  # binds a cursor to the filters it was issued for

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventListing) and (other.query, other.limit, other.scope) == (
            self.query,
            self.limit,
            self.scope,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EventListing(query={self.query!r}, limit={self.limit}, scope={self.scope!r})"


def parse_state(raw: str | None) -> str | None:
    state = (raw or "").strip().upper() or None
    if state is not None and state not in STATES:
        raise Invalid(fields={"state": "Must be ID or MT."})
    return state


def _parse_bound(raw: str, field: str, *, end_of_day: bool) -> datetime:
    """A date (whole day in Mountain time) or an ISO 8601 datetime (no offset means Mountain time)."""
    from zoneinfo import ZoneInfo  # only with from/to: the default listing reads no time zone (cold start)

    value = raw.strip()
    zone = ZoneInfo(HOME_TIMEZONE)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            parsed = datetime.combine(day, time(0), zone)
        else:
            parsed = datetime.fromisoformat(value.replace(" ", "+") if value.count(" ") == 1 else value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone)
    except ValueError:
        raise Invalid(fields={field: "Must be a date (YYYY-MM-DD) or an ISO 8601 date-time."}) from None
    try:
        year = parsed.astimezone(UTC).year
    except OverflowError:  # beyond what a date can hold in UTC
        year = 0
    if not 2000 <= year <= 2100:
        raise Invalid(fields={field: "Must be between the years 2000 and 2100."})
    if len(value) == 10 and end_of_day:
        return parsed + timedelta(days=1) - timedelta(microseconds=1)
    return parsed


def parse_listing(params: dict[str, str], *, is_organizer: bool, now: datetime) -> EventListing:
    errors: dict[str, str] = {}
    state: str | None = None
    try:
        state = parse_state(params.get("state"))
    except Invalid as exc:
        errors.update(exc.fields)
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
    for name in ("from", "to"):
        if not params.get(name):
            continue
        try:
            bound = _parse_bound(params[name], name, end_of_day=name == "to")
        except Invalid as exc:
            errors.update(exc.fields)
            continue
        if name == "from":
            start = bound
        else:
            end = bound
    if end is not None and "from" not in errors and end < start:
        errors["to"] = "Must not be before from."
    if errors:
        raise Invalid(fields=errors)
    if status == "draft" and not is_organizer:
        raise NotAuthenticated(
            "Listing drafts needs an organizer key.", fields={"status": "draft needs an organizer key."}
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
    return EventListing(query, limit, _scope(*(params.get(k) for k in SCOPE_PARAMS)))


SCOPE_PARAMS = ("format", "from", "state", "status", "to")


@functools.lru_cache(maxsize=256)
def _scope(*values: str | None) -> str:
    """The listing's filters as a cursor's scope (a cursor only resumes the listing it came from);
    the website asks for the same few listings over and over."""
    fingerprint = json.dumps(dict(zip(SCOPE_PARAMS, values, strict=True)), sort_keys=True)
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
