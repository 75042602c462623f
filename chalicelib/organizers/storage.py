"""Organizers and the hashes of their API keys (layout in ``records.py``)."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.db import ITEM_IS_NEW, from_item, key, query_items, status_is, to_item
from chalicelib.organizers.records import ORGKEY_PREFIX, ORGKEY_SK, ORGS_PK, PUBLIC_FIELDS, OrganizerRecord


def _key_row(key_hash: str) -> dict[str, Any]:
    return key(ORGKEY_PREFIX + key_hash, ORGKEY_SK)


class OrganizerRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def create(self, org: OrganizerRecord, key_hash: str) -> None:
        """The organizer and its key-hash lookup row are written together or not at all."""
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item({"pk": ORGS_PK, "sk": org["id"], **org, "key_hash": key_hash}),
                        **ITEM_IS_NEW.kwargs(),
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {**_key_row(key_hash), "org_id": {"S": org["id"]}},
                        **ITEM_IS_NEW.kwargs(),
                    }
                },
            ]
        )

    def organizer_for_key_hash(self, key_hash: str) -> str | None:
        resp = self.client.get_item(TableName=self.table, Key=_key_row(key_hash), ProjectionExpression="org_id")
        item = resp.get("Item")
        return str(item["org_id"]["S"]) if item else None

    def list(self) -> list[OrganizerRecord]:
        items = query_items(
            self.client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": ORGS_PK}},
        )
        return [cast(OrganizerRecord, {k: v for k, v in from_item(i).items() if k in PUBLIC_FIELDS}) for i in items]

    def revoke(self, org_id: str, *, when: str) -> bool:
        """Mark revoked and drop the key row in one transaction. False if unknown or already revoked."""
        item = self.client.get_item(TableName=self.table, Key=key(ORGS_PK, org_id), ConsistentRead=True).get("Item")
        if not item or item.get("status", {}).get("S") == "revoked":
            return False
        still_active = status_is("active")
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": key(ORGS_PK, org_id),
                            "UpdateExpression": "SET #status = :revoked, revoked_at = :when",
                            "ConditionExpression": still_active.text,
                            "ExpressionAttributeNames": dict(still_active.names),
                            "ExpressionAttributeValues": {
                                **still_active.kwargs()["ExpressionAttributeValues"],
                                ":revoked": {"S": "revoked"},
                                ":when": {"S": when},
                            },
                        }
                    },
                    {"Delete": {"TableName": self.table, "Key": _key_row(item["key_hash"]["S"])}},
                ]
            )
        except self.client.exceptions.TransactionCanceledException:
            return False
        return True
