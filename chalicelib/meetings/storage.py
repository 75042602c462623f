"""Meeting overrides (layout in ``records.py``)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.db import key, to_item
from chalicelib.meetings.records import OVERRIDE_PREFIX, OverrideRecord


class OverrideRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def between(self, group_id: str, *, from_date: str, to_date: str) -> dict[str, OverrideRecord]:
        """Overrides keyed by scheduled date, for dates in [from_date, to_date] (one Query)."""
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
        return {item["sk"]["S"]: json.loads(item["doc"]["S"]) for item in resp.get("Items", [])}

    def get(self, group_id: str, day: str) -> OverrideRecord | None:
        return self.between(group_id, from_date=day, to_date=day).get(day)

    def put(self, group_id: str, day: str, doc: OverrideRecord) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=to_item({"pk": OVERRIDE_PREFIX + group_id, "sk": day, "doc": json.dumps(doc, separators=(",", ":"))}),
        )

    def delete(self, group_id: str, day: str) -> bool:
        resp = self.client.delete_item(
            TableName=self.table, Key=key(OVERRIDE_PREFIX + group_id, day), ReturnValues="ALL_OLD"
        )
        return bool(resp.get("Attributes"))
