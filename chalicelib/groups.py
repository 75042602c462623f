"""Groups service: organizer settings (versioned, with secrets) and the public view (never secrets)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import utc_now
from chalicelib.consent import CONSENT_TEXT, CONSENT_VERSION
from chalicelib.errors import ApiError, conflict, not_found, pydantic_fields, validation_error
from chalicelib.meetings import MOVE_WINDOW, Meeting, apply_override, parse_day, upcoming
from chalicelib.schedule import Schedule, describe
from chalicelib.storage.groups import GroupConflict, GroupRepository
from chalicelib.versioning import required_version

PUBLIC_FIELDS = ("id", "name", "description", "eligibility")


def _validate(data: dict[str, Any]) -> Any:
    # Imported here: the public read routes never validate a model (cold start without pydantic).
    from pydantic import ValidationError

    from chalicelib.models.groups import GroupInput

    try:
        return GroupInput.model_validate(data)
    except ValidationError as exc:
        raise validation_error(pydantic_fields(exc)) from None


def schedule_of(doc: dict[str, Any]) -> Schedule:
    return Schedule.from_dict(doc["schedule"])


class GroupService:
    def __init__(self, repo: GroupRepository) -> None:
        self.repo = repo

    def create(self, body: Any, now: datetime | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error({"body": "Must be a JSON object."})
        data = _validate(body)
        stamp = (now or utc_now()).isoformat()
        doc = {**data.model_dump(mode="json"), "version": 1, "created_at": stamp, "updated_at": stamp}
        try:
            self.repo.create(doc)
        except GroupConflict:
            raise ApiError(409, "conflict", "A group with this id exists.", {"id": "Already taken."}) from None
        return doc

    def get(self, group_id: str) -> dict[str, Any]:
        doc = self.repo.get(group_id) if 1 <= len(group_id) <= 64 else None
        if doc is None:
            raise not_found("group")
        return doc

    def update(self, group_id: str, body: Any, if_match: str | None, now: datetime | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error({"body": "Must be a JSON object."})
        patch = dict(body)
        version = required_version(patch.pop("version", None), if_match)
        from chalicelib.models.groups import INPUT_FIELDS

        unknown = sorted(set(patch) - (INPUT_FIELDS - {"id"}))
        if unknown:
            raise validation_error({k: "Unknown field." if k != "id" else "The id cannot change." for k in unknown})
        current = self.get(group_id)
        if current["version"] != version:
            raise conflict(f"The group changed since version {version}; it is now at version {current['version']}.")
        merged = {k: v for k, v in current.items() if k in INPUT_FIELDS}
        if isinstance(patch.get("schedule"), dict):
            patch["schedule"] = {**merged["schedule"], **patch["schedule"]}
        merged.update(patch)
        data = _validate(merged)
        doc = {
            **data.model_dump(mode="json"),
            "version": version + 1,
            "created_at": current["created_at"],
            "updated_at": (now or utc_now()).isoformat(),
        }
        try:
            self.repo.replace(doc, version)
        except GroupConflict:
            raise conflict("The group was changed by someone else; read it again and retry.") from None
        return doc

    def upcoming(self, doc: dict[str, Any], now: datetime | None = None, count: int = 1) -> list[Meeting]:
        return upcoming(schedule_of(doc), lambda a, b: self.repo.overrides(doc["id"], a, b), now or utc_now(), count)

    def next_meeting(self, doc: dict[str, Any], now: datetime | None = None) -> Meeting | None:
        """The next meeting that will take place (cancelled ones skipped)."""
        for meeting in self.upcoming(doc, now, count=6):
            if meeting.status != "cancelled":
                return meeting
        return None

    def public(self, group_id: str, now: datetime | None = None) -> dict[str, Any]:
        doc = self.get(group_id)
        meeting = self.next_meeting(doc, now)
        schedule = schedule_of(doc)
        return {
            **{k: doc[k] for k in PUBLIC_FIELDS},
            "schedule_text": describe(schedule),
            "timezone": schedule.timezone,
            "duration_minutes": schedule.duration_minutes,
            "next_meeting": (
                {
                    "date": meeting.date,
                    "starts_at": meeting.starts_at.isoformat(),
                    "ends_at": meeting.ends_at.isoformat(),
                }
                if meeting
                else None
            ),
            "requires_approval": doc["requires_approval"],
            "accepting_signups": doc["status"] == "active",
            "consent_text": CONSENT_TEXT,
            "consent_version": CONSENT_VERSION,
        }


class MeetingOverrides:
    """Organizers' per-date overrides: cancel, move or annotate one occurrence."""

    def __init__(self, groups: GroupService) -> None:
        self.groups = groups

    def put(self, group_id: str, day_text: str, body: Any, organizer_id: str, now: datetime | None = None) -> Meeting:
        doc = self.groups.get(group_id)
        schedule = schedule_of(doc)
        day = parse_day(day_text)
        scheduled = schedule.start_on(day) if day else None
        if scheduled is None:
            raise not_found("meeting on that date (use the scheduled date, YYYY-MM-DD)")
        if not isinstance(body, dict):
            raise validation_error({"body": "Must be a JSON object."})
        from pydantic import ValidationError

        from chalicelib.models.groups import MeetingOverrideInput

        try:
            data = MeetingOverrideInput.model_validate(body)
        except ValidationError as exc:
            raise validation_error(pydantic_fields(exc)) from None
        status = data.status or ("moved" if data.starts_at else "scheduled")
        if status == "moved" and data.starts_at is None:
            raise validation_error({"starts_at": "Required to move a meeting."})
        if status != "moved" and data.starts_at is not None:
            raise validation_error({"starts_at": "Only a moved meeting takes a new start."})
        if data.starts_at is not None and abs(data.starts_at - scheduled) > MOVE_WINDOW:
            raise validation_error({"starts_at": "A meeting can move at most 31 days from its scheduled date."})
        previous = self.groups.repo.overrides(group_id, day_text, day_text).get(day_text, {})
        override = {
            "status": status,
            "starts_at": data.starts_at.astimezone(UTC).isoformat() if data.starts_at else None,
            "note": data.note,
            # Calendar apps update an event only when SEQUENCE grows.
            "sequence": int(previous.get("sequence", 0)) + 1,
            "updated_at": (now or utc_now()).isoformat(),
            "updated_by": organizer_id,
        }
        self.groups.repo.put_override(group_id, day_text, override)
        return apply_override(schedule, scheduled, override)

    def delete(self, group_id: str, day_text: str) -> None:
        self.groups.get(group_id)
        if parse_day(day_text) is None or not self.groups.repo.delete_override(group_id, day_text):
            raise not_found("override for that date")

    def upcoming(self, group_id: str, count: int, now: datetime | None = None) -> list[Meeting]:
        return self.groups.upcoming(self.groups.get(group_id), now, count)
