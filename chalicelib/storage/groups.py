"""Groups (``GROUPS`` / ``<group_id>``) and per-date meeting overrides (``GROUPMEET#<id>`` / ``<date>``)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.storage.dynamo import error_code, from_item, query_items, to_item


class GroupConflict(Exception):
    pass


def _key(group_id: str) -> dict[str, Any]:
    return to_item({"pk": "GROUPS", "sk": group_id})


class GroupRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, group_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table, Key=_key(group_id), ConsistentRead=True).get("Item")
        return json.loads(item["doc"]["S"]) if item else None

    def list(self) -> list[dict[str, Any]]:
        items = query_items(
            self.client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "GROUPS"}},
        )
        return [json.loads(item["doc"]["S"]) for item in items]

    def _item(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {
            **_key(doc["id"]),
            "doc": {"S": json.dumps(doc, separators=(",", ":"))},
            "version": {"N": str(doc["version"])},
            "status": {"S": doc["status"]},
        }

    def create(self, doc: dict[str, Any]) -> None:
        try:
            self.client.put_item(
                TableName=self.table, Item=self._item(doc), ConditionExpression="attribute_not_exists(pk)"
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise GroupConflict from exc
            raise

    def replace(self, doc: dict[str, Any], expected_version: int) -> None:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self._item(doc),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise GroupConflict from exc
            raise

    # ---------------------------------------------------------- meeting overrides

    def overrides(self, group_id: str, from_date: str, to_date: str) -> dict[str, dict[str, Any]]:
        resp = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={
                ":pk": {"S": f"GROUPMEET#{group_id}"},
                ":a": {"S": from_date},
                ":b": {"S": to_date},
            },
        )
        out: dict[str, dict[str, Any]] = {}
        for item in resp.get("Items", []):
            values = from_item(item)
            out[values["sk"]] = json.loads(values["doc"])
        return out

    def put_override(self, group_id: str, day: str, doc: dict[str, Any]) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=to_item({"pk": f"GROUPMEET#{group_id}", "sk": day, "doc": json.dumps(doc, separators=(",", ":"))}),
        )

    def delete_override(self, group_id: str, day: str) -> bool:
        resp = self.client.delete_item(
            TableName=self.table, Key=to_item({"pk": f"GROUPMEET#{group_id}", "sk": day}), ReturnValues="ALL_OLD"
        )
        return bool(resp.get("Attributes"))
