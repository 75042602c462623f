"""Group settings items (layout in ``records.py``)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.db import ITEM_IS_NEW, key, partition_items, version_is
from chalicelib.groups.records import (
    DEFAULT_ANNOUNCE_DAYS,
    DEFAULT_JOIN_DETAILS,
    DEFAULT_JOIN_WINDOW_MINUTES,
    GROUPS_PK,
    GroupRecord,
)


def _doc(item: dict[str, Any]) -> GroupRecord:
    doc: GroupRecord = json.loads(item["doc"]["S"])
    # Groups written before these settings existed read as if they had their defaults.
    doc.setdefault("schedule_rev", 0)
    doc.setdefault("announce_days", DEFAULT_ANNOUNCE_DAYS)
    doc.setdefault("zoom_meeting_id", None)
    doc.setdefault("zoom_dial_in", [])
    doc.setdefault("join_window_minutes", DEFAULT_JOIN_WINDOW_MINUTES)
    doc.setdefault("join_details", dict(DEFAULT_JOIN_DETAILS))  # type: ignore[typeddict-item]
    return doc


class GroupConflict(Exception):
    """The id is taken, or the version changed since it was read."""


class GroupRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, group_id: str) -> GroupRecord | None:
        item = self.client.get_item(TableName=self.table, Key=key(GROUPS_PK, group_id), ConsistentRead=True).get("Item")
        return _doc(item) if item else None

    def list(self) -> list[GroupRecord]:
        items = partition_items(self.client, self.table, GROUPS_PK)
        return [_doc(item) for item in items]

    def _item(self, doc: GroupRecord) -> dict[str, Any]:
        return {
            **key(GROUPS_PK, doc["id"]),
            "doc": {"S": json.dumps(doc, separators=(",", ":"))},
            "version": {"N": str(doc["version"])},
            "status": {"S": doc["status"]},
        }

    def create(self, doc: GroupRecord) -> None:
        try:
            self.client.put_item(TableName=self.table, Item=self._item(doc), **ITEM_IS_NEW.kwargs())
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            raise GroupConflict from exc

    def replace(self, doc: GroupRecord, *, expected_version: int) -> None:
        try:
            self.client.put_item(TableName=self.table, Item=self._item(doc), **version_is(expected_version).kwargs())
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            raise GroupConflict from exc
