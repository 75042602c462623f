"""The delivery ledger (layout in ``records.py``): claim → send → mark, each step conditional."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from chalicelib.db import (
    CLAIMED,
    ITEM_IS_NEW,
    Cond,
    Update,
    claimed_by,
    key,
    lease_expired,
    merge_expression,
    partition_items,
    query_items,
    without_keys,
)
from chalicelib.distribution.records import (
    RESEND_GUARD_KIND,
    DeliveryRow,
    MessageType,
    ledger_partition,
    member_index_key,
    told_dates_partition,
)
from chalicelib.distribution.truth import Said


@dataclass(frozen=True)
class Slot:
    """One (meeting, member, message) row of the ledger."""

    group_id: str
    day: str
    signup_id: str
    kind: str

    @property
    def key(self) -> dict[str, Any]:
        return key(ledger_partition(self.group_id, self.day), f"{self.signup_id}#{self.kind}")


class DeliveryRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def rows(self, group_id: str, day: str) -> list[DeliveryRow]:
        items = partition_items(self.client, self.table, ledger_partition(group_id, day), ConsistentRead=True)
        return [cast(DeliveryRow, without_keys(item)) for item in items]

    def claim(
        self,
        slot: Slot,
        *,
        member_check: dict[str, Any],
        link_row: dict[str, Any] | None = None,
        message: MessageType,
        said: Said,
        seq: int,
        run_id: str,
        now_epoch: int,
        lease_seconds: int,
        expires_at: int,
    ) -> bool:
        """Take the slot for this run, only while the member is still active.

        One transaction: the ledger row is created (or taken over from a run whose lease ran out),
        and the member's record must still be ``active`` with the same generation and link revision
        (``member_check``: the signups feature's part, ``SignupService.still_member_item``).
        """
        update = Update(
            sets={
                "status": "claimed",
                "lease_until": now_epoch + lease_seconds,
                "run_id": run_id,
                "signup_id": slot.signup_id,
                "kind": slot.kind,
                "message": message,
                "said_start": said.start,
                "said_end": said.end,
                "said_status": said.status,
                "said_join": said.join,
                "seq": seq,
                "expires_at": expires_at,
                "gsi1pk": member_index_key(slot.group_id, slot.signup_id),
                "gsi1sk": f"{slot.day}#{slot.kind}",
                "claimed_at": now_epoch,
            },
            adds={"attempts": 1},
        )
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": slot.key,
                            **merge_expression(update.request(), ITEM_IS_NEW | lease_expired(now_epoch)),
                        }
                    },
                    member_check,
                    *([link_row] if link_row else []),
                    self.told_date_item(slot.group_id, slot.day, expires_at=expires_at),
                ]
            )
        except self.client.exceptions.TransactionCanceledException:
            return False
        return True

    # ---- an organizer's re-send

    def resend_guard_item(
        self, group_id: str, day: str, signup_id: str, *, now_epoch: int, cooldown_seconds: int, expires_at: int
    ) -> dict[str, Any]:
        """Transaction item of a re-send request: refused (the transaction is cancelled) while the
        last re-send to this member about this meeting is less than ``cooldown_seconds`` old."""
        update = Update(
            sets={
                "signup_id": signup_id,
                "kind": RESEND_GUARD_KIND,
                "status": "requested",
                "requested_at": now_epoch,
                "expires_at": expires_at,
                "gsi1pk": member_index_key(group_id, signup_id),  # erasure finds it
                "gsi1sk": f"{day}#{RESEND_GUARD_KIND}",
            }
        )
        cooled = Cond("requested_at <= :cutoff", values={":cutoff": now_epoch - cooldown_seconds})
        slot = Slot(group_id, day, signup_id, RESEND_GUARD_KIND)
        return {
            "Update": {
                "TableName": self.table,
                "Key": slot.key,
                **merge_expression(update.request(), ITEM_IS_NEW | cooled),
            }
        }

    # ---- the dates somebody was told about (no personal data: a group and a date)

    def told_date_item(self, group_id: str, day: str, *, expires_at: int) -> dict[str, Any]:
        """Transaction item: ``day``'s meeting was the subject of a message (idempotent)."""
        item = {**key(told_dates_partition(group_id), day), "expires_at": {"N": str(expires_at)}}
        return {"Put": {"TableName": self.table, "Item": item}}

    def mark_told_date(self, group_id: str, day: str, *, expires_at: int) -> None:
        self.client.put_item(**self.told_date_item(group_id, day, expires_at=expires_at)["Put"])

    def told_dates(self, group_id: str, *, from_date: str, to_date: str) -> list[str]:
        """Meeting dates in [from_date, to_date] somebody was sent something about (one consistent Query)."""
        items = query_items(
            self.client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={
                ":pk": {"S": told_dates_partition(group_id)},
                ":a": {"S": from_date},
                ":b": {"S": to_date},
            },
            ProjectionExpression="sk",
            ConsistentRead=True,
        )
        return [item["sk"]["S"] for item in items]

    def mark_sent(self, slot: Slot, *, run_id: str, message_id: str, when: str) -> bool:
        """Record the send. False means our claim was taken over meanwhile (a possible duplicate)."""
        return self._finish(
            slot,
            run_id=run_id,
            update=Update(sets={"status": "sent", "message_id": message_id, "sent_at": when}, removes=("lease_until",)),
        )

    def mark_failed(self, slot: Slot, *, run_id: str, reason: str, when: str) -> bool:
        update = Update(sets={"status": "failed", "reason": reason[:200], "failed_at": when}, removes=("lease_until",))
        return self._finish(slot, run_id=run_id, update=update)

    def release(self, slot: Slot, *, run_id: str) -> None:
        """Give a claim back untouched (the send did not happen), so the next run takes it at once."""
        try:
            self.client.delete_item(TableName=self.table, Key=slot.key, **(CLAIMED & claimed_by(run_id)).kwargs())
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def _finish(self, slot: Slot, *, run_id: str, update: Update) -> bool:
        try:
            self.client.update_item(
                TableName=self.table, Key=slot.key, **merge_expression(update.request(), claimed_by(run_id))
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def requeue_failed(self, group_id: str, day: str) -> int:
        """Forget the failed deliveries of one meeting, so the next run tries them again."""
        failed = Cond("#status = :failed", {"#status": "status"}, {":failed": "failed"})
        requeued = 0
        for row in self.rows(group_id, day):
            if row["status"] != "failed":
                continue
            slot = Slot(group_id, day, row["signup_id"], row["kind"])
            try:
                self.client.delete_item(TableName=self.table, Key=slot.key, **failed.kwargs())
            except self.client.exceptions.ConditionalCheckFailedException:
                continue
            requeued += 1
        return requeued

    def erase_member_of(self, group_id: str, day: str, signup_id: str) -> None:
        """Delete one person's rows of one meeting, read consistently (the index may lag a claim
        made a moment ago)."""
        rows = list(
            query_items(
                self.client,
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :member)",
                ExpressionAttributeValues={
                    ":pk": {"S": ledger_partition(group_id, day)},
                    ":member": {"S": f"{signup_id}#"},
                },
                ProjectionExpression="pk, sk",
                ConsistentRead=True,
            )
        )
        for row in rows:
            self.client.delete_item(TableName=self.table, Key={"pk": row["pk"], "sk": row["sk"]})

    def erase_member(self, group_id: str, signup_id: str) -> None:
        """Delete every row about one person listed in the member index: meeting deliveries, link
        openings (under any date, kept by the schedule or not), announcement deliveries and
        personal-link rows of every generation. The index may lag a row written a moment ago: the
        caller also reads the partitions a fresh row can be in consistently (``forget_member``)."""
        rows = list(
            query_items(
                self.client,
                TableName=self.table,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :pk",
                ExpressionAttributeValues={":pk": {"S": member_index_key(group_id, signup_id)}},
            )
        )
        for row in rows:  # materialised first: deleting while paging would move the pages under us
            self.client.delete_item(TableName=self.table, Key={"pk": row["pk"], "sk": row["sk"]})
