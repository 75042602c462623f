"""Event models: what organizers may send, and what the API returns."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, cast
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field, StrictInt, model_validator

from chalicelib.constants import DEFAULT_TIMEZONE, MAX_EVENT_DURATION, StateCode
from chalicelib.events.records import EventFormat, EventRecord, EventStatus
from chalicelib.validation import (
    AwareYear,
    Description,
    Email,
    HttpsUrl,
    IsoText,
    Notes,
    PostalCode,
    ShortText,
    StrictModel,
    Tag,
    TimeZoneName,
    Title,
)

EventInstant = Annotated[AwareDatetime, IsoText, AwareYear]


class Venue(StrictModel):
    name: ShortText
    street: ShortText
    city: Annotated[ShortText, Field(max_length=100)]
    postal_code: PostalCode


class EventInput(StrictModel):
    """A complete event as an organizer describes it (POST body; PATCH merges into this)."""

    title: Title
    description: Description = ""
    starts_at: EventInstant = Field(description="ISO 8601 with a UTC offset.")
    ends_at: EventInstant = Field(description="ISO 8601 with a UTC offset; after starts_at, at most 14 days later.")
    timezone: TimeZoneName | None = Field(
        default=None,
        description="IANA zone the event is held in. Default: America/Denver for MT (or both), "
        "America/Boise for ID; north Idaho events use America/Los_Angeles.",
    )
    format: EventFormat
    states: Annotated[list[StateCode], Field(min_length=1, max_length=2)]
    venue: Venue | None = Field(default=None, description="Required for in_person and hybrid; null for virtual.")
    online_url: HttpsUrl | None = None
    registration_url: HttpsUrl | None = None
    contact_email: Email | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = Field(default_factory=list)
    accessibility: Notes | None = None
    status: EventStatus = "published"

    @model_validator(mode="after")
    def _rules(self) -> EventInput:
        errors: list[str] = []
        if len(set(self.states)) != len(self.states):
            raise ValueError("states: must not repeat a state.")
        if self.ends_at <= self.starts_at:
            errors.append("ends_at: must be after starts_at.")
        elif self.ends_at - self.starts_at > MAX_EVENT_DURATION:
            errors.append("ends_at: an event may last at most 14 days.")
        if self.format in ("in_person", "hybrid") and self.venue is None:
            errors.append(f"venue: required for {self.format} events.")
        if self.format == "virtual" and self.venue is not None:
            errors.append("venue: must be absent or null for virtual events.")
        if errors:
            raise ValueError(" | ".join(errors))
        self.states = sorted(self.states)  # type: ignore[assignment]
        self.tags = list(dict.fromkeys(self.tags))
        if self.timezone is None:
            self.timezone = DEFAULT_TIMEZONE["MT" if "MT" in self.states else "ID"]
        offsets = [
            f"{name}: {problem}"
            for name in ("starts_at", "ends_at")
            if (problem := offset_problem(getattr(self, name), self.zone())) is not None
        ]
        if offsets:
            raise ValueError(" | ".join(offsets))
        return self

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or DEFAULT_TIMEZONE["MT"])


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def offset_problem(moment: datetime, zone: ZoneInfo) -> str | None:
    """Why the instant's UTC offset is neither UTC nor the one the event's zone has then (a wrong
    summer or winter offset would shift the event by an hour), or None."""
    local = moment.astimezone(zone)
    if moment.utcoffset() in (local.utcoffset(), timedelta(0)):
        return None  # the zone's own offset, or UTC ("Z"): either names the instant unambiguously
    from chalicelib.meetings.zones import zone_name

    words = f"{zone_name(zone.key)} time"  # the zone's name as everywhere (meetings/zones.py)
    return f"{_offset_text(moment)} is not {words} on {local.date().isoformat()}; use {_offset_text(local)}."


class EventPatch(StrictModel):
    """Documentation-only shape of a PATCH: any EventInput field, plus the version read."""

    version: StrictInt | None = Field(default=None, ge=1, description="The version you read; or send If-Match.")
    title: Title | None = None
    description: Description | None = None
    starts_at: EventInstant | None = None
    ends_at: EventInstant | None = None
    timezone: TimeZoneName | None = None
    format: EventFormat | None = None
    states: Annotated[list[StateCode], Field(min_length=1, max_length=2)] | None = None
    venue: Venue | None = None
    online_url: HttpsUrl | None = None
    registration_url: HttpsUrl | None = None
    contact_email: Email | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    accessibility: Notes | None = None
    status: EventStatus | None = None


def event_document(event_id: str, version: int, data: EventInput, *, created_at: str, updated_at: str) -> EventRecord:
    """The stored and returned JSON document of an event (times in its own zone)."""
    zone = data.zone()
    doc = data.model_dump(mode="json")
    doc["starts_at"] = data.starts_at.astimezone(zone).isoformat()
    doc["ends_at"] = data.ends_at.astimezone(zone).isoformat()
    doc.update(
        id=event_id,
        version=version,
        cancelled=data.status == "cancelled",
        created_at=created_at,
        updated_at=updated_at,
    )
    return cast(EventRecord, doc)


INPUT_FIELDS = frozenset(EventInput.model_fields)
