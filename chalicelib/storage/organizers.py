"""Organizers and the hashes of their API keys."""

from __future__ import annotations

from typing import Any

from chalicelib.storage.dynamo import from_item, to_item


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
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "ORGS"}},
        }
        while True:
            resp = self.client.query(**kwargs)
            for item in resp.get("Items", []):
                values = from_item(item)
                values.pop("pk", None)
                values.pop("sk", None)
                values.pop("key_hash", None)
                out.append(values)
            if "LastEvaluatedKey" not in resp:
                return out
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

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
