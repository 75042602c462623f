"""Meeting overrides (layout in ``records.py``): one item per occurrence, its revision counter
incremented atomically with every change."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.db import ITEM_EXISTS, ITEM_IS_NEW, Cond, Update, from_item, key, merge_expression
from chalicelib.meetings.records import OVERRIDE_PREFIX, MeetingStatus, OverrideRecord

_OVERRIDE_FIELDS = (
    "status",
    "starts_at",
    "note",
    "sequence",
    "updated_at",
    "updated_by",
    "announce",
    "announce_from",
)
# An override that was removed is "scheduled" with neither a new start nor a note.
IN_EFFECT = ITEM_EXISTS & Cond(
    "#status <> :scheduled OR attribute_exists(note)", {"#status": "status"}, {":scheduled": "scheduled"}
)


def unchanged_since(sequence: int | None) -> Cond:
    """Optimistic lock on an occurrence: its override is still at the revision the writer read
    (``None``: there was no item at all)."""
    if sequence is None:
        return ITEM_IS_NEW
    return ITEM_EXISTS & Cond("#sequence = :seen", {"#sequence": "sequence"}, {":seen": sequence})


class OverrideChanged(Exception):
    """Another organizer changed the occurrence between our read and our write."""


def _record(item: dict[str, Any]) -> OverrideRecord:
    values = from_item(item)
    record = {k: values.get(k) for k in _OVERRIDE_FIELDS if k in values}
    record.setdefault("starts_at", None)
    record.setdefault("note", None)
    return cast(OverrideRecord, record)


class OverrideRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def between(self, group_id: str, *, from_date: str, to_date: str) -> dict[str, OverrideRecord]:
        """Overrides keyed by scheduled date, for dates in [from_date, to_date] (one consistent Query)."""
        resp = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={
                ":pk": {"S": OVERRIDE_PREFIX + group_id},
                ":a": {"S": from_date},
                ":b": {"S": to_date},
            },
            ConsistentRead=True,
        )
        return {item["sk"]["S"]: _record(item) for item in resp.get("Items", [])}

    def get(self, group_id: str, day: str) -> OverrideRecord | None:
        item = self.client.get_item(
            TableName=self.table, Key=key(OVERRIDE_PREFIX + group_id, day), ConsistentRead=True
        ).get("Item")
        return _record(item) if item else None

    def put(
        self,
        group_id: str,
        day: str,
        *,
        status: MeetingStatus,
        starts_at: str | None,
        note: str | None,
        updated_at: str,
        updated_by: str,
        announce: bool,
        seen_sequence: int | None,
        announce_from: str | None = None,
    ) -> OverrideRecord:
        """Set the override and add one to its revision, atomically, only if the occurrence is still
        at the revision the caller read (``seen_sequence``; None: no item); returns the new record.
        Raises ``OverrideChanged`` otherwise."""
        update = Update(
            sets={"status": status, "updated_at": updated_at, "updated_by": updated_by, "announce": announce},
            removes=tuple(
                name
                for name, value in (("starts_at", starts_at), ("note", note), ("announce_from", announce_from))
                if value is None
            ),
            adds={"sequence": 1},
        )
        for name, value in (("starts_at", starts_at), ("note", note), ("announce_from", announce_from)):
            if value is not None:
                update.sets[name] = value
        try:
            resp = self.client.update_item(
                TableName=self.table,
                Key=key(OVERRIDE_PREFIX + group_id, day),
                ReturnValues="ALL_NEW",
                **merge_expression(update.request(), unchanged_since(seen_sequence)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise OverrideChanged(day) from None
        return _record(resp["Attributes"])

    def clear(self, group_id: str, day: str, *, updated_at: str, updated_by: str, announce: bool) -> bool:
        """Remove the override but keep (and grow) its revision; False if none was in effect."""
        update = Update(
            sets={"status": "scheduled", "updated_at": updated_at, "updated_by": updated_by, "announce": announce},
            removes=("starts_at", "note", "announce_from"),
            adds={"sequence": 1},
        )
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key(OVERRIDE_PREFIX + group_id, day),
                **merge_expression(update.request(), IN_EFFECT),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True
