"""Organizers and the hashes of their API keys."""

from __future__ import annotations

from typing import Any

from chalicelib.storage.dynamo import from_item, query_items, to_item


class OrganizerRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def create(self, org: dict[str, Any], key_hash: str) -> None:
        """The organizer and its key-hash lookup row are written together or not at all."""
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item({"pk": "ORGS", "sk": org["id"], **org, "key_hash": key_hash}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item({"pk": f"ORGKEY#{key_hash}", "sk": "ORGKEY", "org_id": org["id"]}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    def organizer_for_key_hash(self, key_hash: str) -> str | None:
        resp = self.client.get_item(
            TableName=self.table,
            Key=to_item({"pk": f"ORGKEY#{key_hash}", "sk": "ORGKEY"}),
            ProjectionExpression="org_id",
        )
        item = resp.get("Item")
        return str(item["org_id"]["S"]) if item else None

    def list(self) -> list[dict[str, Any]]:
        items = query_items(
            self.client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "ORGS"}},
        )
        hidden = ("pk", "sk", "key_hash")
        return [{k: v for k, v in from_item(item).items() if k not in hidden} for item in items]

    def revoke(self, org_id: str, when: str) -> bool:
        """Mark revoked and drop the key row in one transaction. False if unknown or already revoked."""
        resp = self.client.get_item(
            TableName=self.table, Key=to_item({"pk": "ORGS", "sk": org_id}), ConsistentRead=True
        )
        item = resp.get("Item")
        if not item or item.get("status", {}).get("S") == "revoked":
            return False
        key_hash = item["key_hash"]["S"]
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": to_item({"pk": "ORGS", "sk": org_id}),
                            "UpdateExpression": "SET #s = :r, revoked_at = :t",
                            "ConditionExpression": "#s = :a",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":r": {"S": "revoked"},
                                ":a": {"S": "active"},
                                ":t": {"S": when},
                            },
                        }
                    },
                    {"Delete": {"TableName": self.table, "Key": to_item({"pk": f"ORGKEY#{key_hash}", "sk": "ORGKEY"})}},
                ]
            )
        except self.client.exceptions.TransactionCanceledException:
            return False
        return True
