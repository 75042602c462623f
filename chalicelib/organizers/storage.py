"""Organizers and the hashes of their API keys (layout in ``records.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from chalicelib.db import (
    ITEM_IS_NEW,
    Update,
    from_item,
    key,
    merge_expression,
    partition_items,
    status_is,
    to_item,
)
from chalicelib.organizers.records import (
    LEGACY_ROLE,
    ORGKEY_PREFIX,
    ORGKEY_SK,
    ORGS_PK,
    PUBLIC_FIELDS,
    OrganizerRecord,
    role_of,
)


def _key_row(key_hash: str) -> dict[str, Any]:
    return key(ORGKEY_PREFIX + key_hash, ORGKEY_SK)


class OrganizerRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def new_items(self, org: OrganizerRecord, key_hash: str | None) -> list[dict[str, Any]]:
        """Transaction items: the organizer, and (with an API key) its key-hash lookup row, which
        carries the role and groups for the authorizer."""
        values: dict[str, Any] = {"pk": ORGS_PK, "sk": org["id"], **org}
        items = []
        if key_hash is not None:
            values["key_hash"] = key_hash
            row = {
                **_key_row(key_hash),
                **to_item({"org_id": org["id"], "role": role_of(org), "groups": list(org.get("groups") or [])}),
            }
            items.append({"Put": {"TableName": self.table, "Item": row, **ITEM_IS_NEW.kwargs()}})
        items.insert(0, {"Put": {"TableName": self.table, "Item": to_item(values), **ITEM_IS_NEW.kwargs()}})
        return items

    def create(self, org: OrganizerRecord, key_hash: str | None) -> None:
        """The organizer and its key-hash lookup row are written together or not at all."""
        self.client.transact_write_items(TransactItems=self.new_items(org, key_hash))

    def lookup_key_hash(self, key_hash: str) -> dict[str, Any] | None:
        """The key row's organizer id, role and groups (one GetItem: all the authorizer may read)."""
        resp = self.client.get_item(
            TableName=self.table,
            Key=_key_row(key_hash),
            ProjectionExpression="org_id, #role, #groups",
            ExpressionAttributeNames={"#role": "role", "#groups": "groups"},
        )
        item = resp.get("Item")
        if not item:
            return None
        values = from_item(item)
        values.setdefault("role", LEGACY_ROLE)  # a key made before roles existed
        return values

    def organizer_for_key_hash(self, key_hash: str) -> str | None:
        found = self.lookup_key_hash(key_hash)
        return str(found["org_id"]) if found else None

    def get(self, org_id: str) -> OrganizerRecord | None:
        item = self.client.get_item(TableName=self.table, Key=key(ORGS_PK, org_id), ConsistentRead=True).get("Item")
        return self._public(item) if item else None

    @staticmethod
    def _public(item: dict[str, Any]) -> OrganizerRecord:
        return cast(OrganizerRecord, {k: v for k, v in from_item(item).items() if k in PUBLIC_FIELDS})

    def list(self) -> list[OrganizerRecord]:
        items = partition_items(self.client, self.table, ORGS_PK)
        return [self._public(i) for i in items]

    def set_sessions_valid_after(self, org_id: str, when: str) -> None:
        request = merge_expression(Update(sets={"sessions_valid_after": when}).request(), status_is("active"))
        try:
            self.client.update_item(TableName=self.table, Key=key(ORGS_PK, org_id), **request)
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def revoke_items(self, org_id: str, *, when: str) -> Sequence[dict[str, Any]] | None:
        """Transaction items that mark the organizer revoked and drop its key row; None if unknown
        or already revoked."""
        item = self.client.get_item(TableName=self.table, Key=key(ORGS_PK, org_id), ConsistentRead=True).get("Item")
        if not item or item.get("status", {}).get("S") == "revoked":
            return None
        update = merge_expression(Update(sets={"status": "revoked", "revoked_at": when}).request(), status_is("active"))
        items: list[dict[str, Any]] = [{"Update": {"TableName": self.table, "Key": key(ORGS_PK, org_id), **update}}]
        if "key_hash" in item:
            items.append({"Delete": {"TableName": self.table, "Key": _key_row(item["key_hash"]["S"])}})
        return items

    def revoke(self, org_id: str, *, when: str) -> bool:
        """Mark revoked and drop the key row in one transaction. False if unknown or already revoked."""
        items = self.revoke_items(org_id, when=when)
        if items is None:
            return False
        try:
            self.client.transact_write_items(TransactItems=list(items))
        except self.client.exceptions.TransactionCanceledException:
            return False
        return True
