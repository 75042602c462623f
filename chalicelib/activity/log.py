"""The activity log (layout in ``records.py``): entries written with the change they describe
(as a transaction item) or right after it, and read newest first, a page at a time."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

from chalicelib.activity.records import ACTIVITY_PREFIX, ActivityRecord
from chalicelib.clock import Clock
from chalicelib.db import ITEM_IS_NEW, key, to_item, without_keys
from chalicelib.errors import InvalidCursor
from chalicelib.organizers.scope import Principal
from chalicelib.settings import Settings
from chalicelib.signing import read_cursor, sign_cursor

RETENTION = timedelta(days=365)
PAGE_SIZE = 25


class ActivityLog:
    def __init__(self, client: Any, table: str, clock: Clock, settings: Settings) -> None:
        self.client = client
        self.table = table
        self.clock = clock
        self.settings = settings

    def entry(self, scope: str, who: Principal, action: str, summary: str) -> dict[str, Any]:
        """A transaction item that records one action (written with the change it describes)."""
        now = self.clock.now()
        record: ActivityRecord = {
            "id": secrets.token_hex(4),
            "at": now.isoformat(),
            "org_id": who.org_id,
            "org_name": who.name,
            "action": action,
            "summary": summary[:500],
            "expires_at": int((now + RETENTION).timestamp()),
        }
        item = {**key(ACTIVITY_PREFIX + scope, f"{record['at']}#{record['id']}"), **to_item(record)}
        return {"Put": {"TableName": self.table, "Item": item, **ITEM_IS_NEW.kwargs()}}

    def record(self, scope: str, who: Principal, action: str, summary: str) -> None:
        """Record an action right after a change that is not one transaction."""
        self.client.put_item(**self.entry(scope, who, action, summary)["Put"])

    def page(self, scope: str, cursor: str | None = None) -> tuple[list[ActivityRecord], str | None]:
        """Newest first, ``PAGE_SIZE`` at a time (one Query)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": ACTIVITY_PREFIX + scope}},
            "ScanIndexForward": False,
            "Limit": PAGE_SIZE,
        }
        if cursor:
            data = read_cursor(cursor, "activity", self.settings)
            if data.get("s") != scope or not isinstance(data.get("k"), str):
                raise InvalidCursor()
            kwargs["ExclusiveStartKey"] = key(ACTIVITY_PREFIX + scope, data["k"])
        resp = self.client.query(**kwargs)
        entries = [cast(ActivityRecord, without_keys(i)) for i in resp.get("Items", [])]
        last = resp.get("LastEvaluatedKey")
        following = sign_cursor({"s": scope, "k": last["sk"]["S"]}, "activity", self.settings) if last else None
        return entries, following
