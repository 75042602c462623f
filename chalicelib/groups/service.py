"""Groups service: create, read and change a group's settings (optimistic locking)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from chalicelib.clock import Clock
from chalicelib.errors import AlreadyExists, Conflict, Invalid, NotFound, StaleVersion, validate_model
from chalicelib.groups.records import TRUTH_FIELDS, GroupRecord
from chalicelib.groups.storage import GroupConflict, GroupRepository
from chalicelib.versioning import required_version


def not_silently(told: int, what: str = "an upcoming meeting") -> Conflict:
    """A change asked not to be announced, though members already heard about the meeting it changes."""
    return Conflict(
        f"{told} member{'s were' if told != 1 else ' was'} already told about {what}, so the change "
        "must reach them: send it without notify=false.",
        fields={"notify": "Only for a change before anyone was told."},
    )


def _input_fields() -> frozenset[str]:
    from chalicelib.groups.models import INPUT_FIELDS

    return INPUT_FIELDS


# How many members were already told something about an upcoming meeting of this group.
ToldUpcoming = Callable[[GroupRecord], int]
# After a group is created or changed (personal links must lead to the room as it stands).
Saved = Callable[[GroupRecord], object]


class GroupService:
    def __init__(
        self,
        repo: GroupRepository,
        clock: Clock,
        *,
        told_upcoming: ToldUpcoming | None = None,
        on_saved: Saved | None = None,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.told_upcoming = told_upcoming
        self.on_saved = on_saved

    def create(self, body: Any) -> GroupRecord:
        from chalicelib.groups.models import GroupInput

        data = validate_model(GroupInput, body)
        stamp = self.clock.now().isoformat()
        doc = cast(
            GroupRecord,
            {**data.model_dump(mode="json"), "version": 1, "schedule_rev": 0, "created_at": stamp, "updated_at": stamp},
        )
        try:
            self.repo.create(doc)
        except GroupConflict:
            raise AlreadyExists("A group with this id exists.", fields={"id": "Already taken."}) from None
        self._saved(doc)
        return doc

    def _saved(self, doc: GroupRecord) -> None:
        if self.on_saved is not None:
            self.on_saved(doc)

    def get(self, group_id: str) -> GroupRecord:
        doc = self.repo.get(group_id) if 1 <= len(group_id) <= 64 else None
        if doc is None:
            raise NotFound("group")
        return doc

    def find(self, group_id: str) -> GroupRecord | None:
        """The group, or None if there is none (e.g. removed since it was named somewhere)."""
        return self.repo.get(group_id)

    def all(self) -> list[GroupRecord]:
        return self.repo.list()

    def update(self, group_id: str, body: Any, *, if_match: str | None) -> GroupRecord:
        if not isinstance(body, dict):
            raise Invalid(fields={"body": "Must be a JSON object."})
        patch = dict(body)
        version = required_version(patch.pop("version", None), if_match)
        notify = patch.pop("notify", True)
        if not isinstance(notify, bool):
            raise Invalid(fields={"notify": "Must be true or false."})
        allowed = _input_fields() - {"id"}
        unknown = sorted(set(patch) - allowed)
        if unknown:
            raise Invalid(fields={k: "Unknown field." if k != "id" else "The id cannot change." for k in unknown})
        current = self.get(group_id)
        if current["version"] != version:
            raise StaleVersion(f"The group changed since version {version}; it is now at version {current['version']}.")
        merged: dict[str, Any] = {k: v for k, v in current.items() if k in _input_fields()}
        if isinstance(patch.get("schedule"), dict):
            patch["schedule"] = {**merged["schedule"], **patch["schedule"]}
        merged.update(patch)
        from chalicelib.groups.models import GroupInput

        data = validate_model(GroupInput, merged)
        values = data.model_dump(mode="json")
        truth_changed = any(values.get(name) != current.get(name) for name in TRUTH_FIELDS)
        if truth_changed and not notify and self.told_upcoming is not None:
            told = self.told_upcoming(current)
            if told:
                raise not_silently(told)
        doc = cast(
            GroupRecord,
            {
                **values,
                "version": version + 1,
                "schedule_rev": current.get("schedule_rev", 0) + (1 if truth_changed else 0),
                "created_at": current["created_at"],
                "updated_at": self.clock.now().isoformat(),
            },
        )
        try:
            self.repo.replace(doc, expected_version=version)
        except GroupConflict:
            raise StaleVersion("The group was changed by someone else; read it again and retry.") from None
        self._saved(doc)
        return doc
