"""Outbox items (layout in ``records.py``): written inside the caller's transaction, then claimed,
sent and finished by the sender, each step conditional."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.db import ITEM_IS_NEW, Cond, Update, key, merge_expression, query_items, to_item, without_keys
from chalicelib.outbox.records import OUTBOX_PENDING, OUTBOX_PREFIX, OUTBOX_SK, OutboxRecord, OutboxStatus

PENDING = Cond("#status = :pending", {"#status": "status"}, {":pending": "pending"})


def lease_ran_out(now_epoch: int) -> Cond:
    return Cond(
        "#status = :sending AND lease_until < :now", {"#status": "status"}, {":sending": "sending", ":now": now_epoch}
    )


def claimed_by(run_id: str) -> Cond:
    return Cond("#status = :sending AND run_id = :run", {"#status": "status"}, {":sending": "sending", ":run": run_id})


def outbox_key(outbox_id: str) -> dict[str, Any]:
    return key(OUTBOX_PREFIX + outbox_id, OUTBOX_SK)


class OutboxRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def new_item(self, record: OutboxRecord) -> dict[str, Any]:
        """A transaction item that writes the outbox item (for the caller's TransactWriteItems)."""
        item = {
            **outbox_key(record["id"]),
            **to_item({**record, "gsi1pk": OUTBOX_PENDING, "gsi1sk": f"{record['created_at']}#{record['id']}"}),
        }
        return {"Put": {"TableName": self.table, "Item": item, **ITEM_IS_NEW.kwargs()}}

    def get(self, outbox_id: str) -> OutboxRecord | None:
        item = self.client.get_item(TableName=self.table, Key=outbox_key(outbox_id), ConsistentRead=True).get("Item")
        return cast(OutboxRecord, without_keys(item)) if item else None

    def claim(self, outbox_id: str, *, run_id: str, now_epoch: int, lease_seconds: int) -> OutboxRecord | None:
        """Take a pending item (or one whose sender died) for this sender; None if it is not ours to send."""
        update = Update(
            sets={"status": "sending", "run_id": run_id, "lease_until": now_epoch + lease_seconds}, adds={"attempts": 1}
        )
        try:
            resp = self.client.update_item(
                TableName=self.table,
                Key=outbox_key(outbox_id),
                ReturnValues="ALL_NEW",
                **merge_expression(update.request(), PENDING | lease_ran_out(now_epoch)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return cast(OutboxRecord, without_keys(resp["Attributes"]))

    def finish(
        self,
        outbox_id: str,
        *,
        run_id: str,
        status: OutboxStatus,
        when: str,
        expires_at: int,
        reason: str | None = None,
    ) -> bool:
        """Record the outcome (sent, held, failed); the item leaves the pending index and expires."""
        sets: dict[str, Any] = {"status": status, "finished_at": when, "expires_at": expires_at}
        if status == "sent":
            sets["sent_at"] = when
        if reason:
            sets["reason"] = reason[:200]
        update = Update(sets=sets, removes=("lease_until", "gsi1pk", "gsi1sk"))
        try:
            self.client.update_item(
                TableName=self.table,
                Key=outbox_key(outbox_id),
                **merge_expression(update.request(), claimed_by(run_id)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, outbox_id: str, *, run_id: str) -> None:
        """Give a claim back (nothing was sent): pending again, for a retry or the next sweep."""
        update = Update(sets={"status": "pending"}, removes=("lease_until", "run_id"))
        try:
            self.client.update_item(
                TableName=self.table,
                Key=outbox_key(outbox_id),
                **merge_expression(update.request(), claimed_by(run_id)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def pending(self, *, created_before: str) -> list[OutboxRecord]:
        """Items still pending that were written before ``created_before`` (the sweep's catch-up)."""
        items = query_items(
            self.client,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk < :before",
            ExpressionAttributeValues={":pk": {"S": OUTBOX_PENDING}, ":before": {"S": created_before}},
        )
        return [cast(OutboxRecord, without_keys(item)) for item in items]
