"""Outbox items (layout in ``records.py``): written inside the caller's transaction, then claimed,
sent and finished by the sender, each step conditional on the claim."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.db import Cond, Update, key, merge_expression, query_items, to_item, without_keys
from chalicelib.outbox.promise import outbox_item
from chalicelib.outbox.records import (
    OUTBOX_PARKED,
    OUTBOX_PENDING,
    PAUSE_PK,
    PAUSE_SK,
    OutboxRecord,
    OutboxStatus,
    PauseRecord,
    outbox_key,
)

PENDING = Cond("#status = :pending", {"#status": "status"}, {":pending": "pending"})
PARKED = Cond("#status = :parked", {"#status": "status"}, {":parked": "parked"})


def due(now: str) -> Cond:
    """A retried item waits for its next attempt, whoever offers it (the sweep, a stream record
    delivered again): the backoff holds whatever invokes the sender."""
    return Cond("attribute_not_exists(next_attempt_at) OR next_attempt_at <= :due_now", values={":due_now": now})


def lease_ran_out(now_epoch: int) -> Cond:
    return Cond(
        "#status = :sending AND lease_until < :now", {"#status": "status"}, {":sending": "sending", ":now": now_epoch}
    )


def claimed_by(run_id: str) -> Cond:
    return Cond("#status = :sending AND run_id = :run", {"#status": "status"}, {":sending": "sending", ":run": run_id})


def pause_free(now: str) -> Cond:
    """No pause is in force (none written, or the last one ended): one writer sets the next."""
    return Cond("attribute_not_exists(pk) OR #until < :pause_now", {"#until": "until"}, {":pause_now": now})


class OutboxRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def new_item(self, record: OutboxRecord) -> dict[str, Any]:
        """A transaction item that writes the outbox item (features use ``promise.promised_email``)."""
        return outbox_item(self.table, record)

    def get(self, outbox_id: str) -> OutboxRecord | None:
        item = self.client.get_item(TableName=self.table, Key=outbox_key(outbox_id), ConsistentRead=True).get("Item")
        return cast(OutboxRecord, without_keys(item)) if item else None

    def _update(self, outbox_id: str, update: Update, cond: Cond, **extra: Any) -> dict[str, Any] | None:
        """One conditional update; None when the condition did not hold."""
        try:
            resp: dict[str, Any] = self.client.update_item(
                TableName=self.table, Key=outbox_key(outbox_id), **extra, **merge_expression(update.request(), cond)
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return resp

    def claim(
        self, outbox_id: str, *, run_id: str, now: str, now_epoch: int, lease_seconds: int
    ) -> OutboxRecord | None:
        """Take a due pending item (or one whose sender died) for this sender; None if it is not
        ours to send now."""
        update = Update(
            sets={"status": "sending", "run_id": run_id, "lease_until": now_epoch + lease_seconds}, adds={"attempts": 1}
        )
        resp = self._update(outbox_id, update, (PENDING & due(now)) | lease_ran_out(now_epoch), ReturnValues="ALL_NEW")
        return cast(OutboxRecord, without_keys(resp["Attributes"])) if resp else None

    def submitting(self, outbox_id: str, *, run_id: str) -> bool:
        """Written just before SES is asked: if this sender dies before the outcome is recorded, the
        next claim sees that a send may have been accepted."""
        return self._update(outbox_id, Update(sets={"submit_run": run_id}), claimed_by(run_id)) is not None

    def finish(
        self,
        outbox_id: str,
        *,
        run_id: str,
        status: OutboxStatus,
        when: str,
        expires_at: int,
        reason: str | None = None,
        message_id: str | None = None,
    ) -> bool:
        """Record the outcome (sent, done, held, failed); the item leaves the pending index and expires."""
        sets: dict[str, Any] = {"status": status, "finished_at": when, "expires_at": expires_at}
        if status == "sent":
            sets["sent_at"] = when
        if reason:
            sets["reason"] = reason[:200]
        if message_id:
            sets["message_id"] = message_id[:400]
        update = Update(sets=sets, removes=("lease_until", "gsi1pk", "gsi1sk", "submit_run"))
        return self._update(outbox_id, update, claimed_by(run_id)) is not None

    def retry(self, outbox_id: str, *, run_id: str, next_attempt_at: str, reason: str) -> bool:
        """Pending again, due at ``next_attempt_at`` (the sweep finds it then; nothing was sent)."""
        update = Update(
            sets={
                "status": "pending",
                "next_attempt_at": next_attempt_at,
                "gsi1sk": f"{next_attempt_at}#{outbox_id}",
                "reason": reason[:200],
            },
            removes=("lease_until", "run_id", "submit_run"),
        )
        return self._update(outbox_id, update, claimed_by(run_id)) is not None

    def delay(self, outbox_id: str, *, run_id: str, next_attempt_at: str, reason: str) -> bool:
        """Pending again, not before ``next_attempt_at``, without counting the attempt (an address
        limit's spacing: nothing was tried)."""
        update = Update(
            sets={
                "status": "pending",
                "next_attempt_at": next_attempt_at,
                "gsi1sk": f"{next_attempt_at}#{outbox_id}",
                "reason": reason[:200],
            },
            removes=("lease_until", "run_id", "submit_run"),
            adds={"attempts": -1},
        )
        return self._update(outbox_id, update, claimed_by(run_id)) is not None

    def release(self, outbox_id: str, *, run_id: str) -> bool:
        """Give a claim back without counting the attempt (sending is paused for everyone): pending
        again, as due as it was."""
        update = Update(
            sets={"status": "pending"}, removes=("lease_until", "run_id", "submit_run"), adds={"attempts": -1}
        )
        return self._update(outbox_id, update, claimed_by(run_id)) is not None

    def park(self, outbox_id: str, *, run_id: str, when: str, reason: str) -> bool:
        """Stop trying: the item waits for an admin (listed by ``parked``)."""
        update = Update(
            sets={
                "status": "parked",
                "parked_at": when,
                "reason": reason[:200],
                "gsi1pk": OUTBOX_PARKED,
                "gsi1sk": f"{when}#{outbox_id}",
            },
            removes=("lease_until", "run_id", "submit_run"),
        )
        return self._update(outbox_id, update, claimed_by(run_id)) is not None

    def requeue(self, outbox_id: str, *, now: str) -> bool:
        """An admin's decision: a parked item is pending again with fresh attempts, due now."""
        update = Update(
            sets={
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "gsi1pk": OUTBOX_PENDING,
                "gsi1sk": f"{now}#{outbox_id}",
                "requeued_at": now,
            },
            removes=("parked_at",),
        )
        return self._update(outbox_id, update, PARKED) is not None

    def discard(self, outbox_id: str, *, when: str, expires_at: int) -> bool:
        """An admin's decision: a parked item is never sent; it expires like a sent one."""
        update = Update(
            sets={"status": "discarded", "finished_at": when, "expires_at": expires_at},
            removes=("gsi1pk", "gsi1sk"),
        )
        return self._update(outbox_id, update, PARKED) is not None

    def forget_member(self, group_id: str, signup_id: str) -> int:
        """Erasure: delete the parked items about this signup (they never expire on their own;
        finished ones expire with their TTL, pending ones find no record and are held)."""
        gone = 0
        for item in self.parked():
            if item.get("group_id") == group_id and item.get("signup_id") == signup_id:
                try:
                    self.client.delete_item(TableName=self.table, Key=outbox_key(item["id"]), **PARKED.kwargs())
                    gone += 1
                except self.client.exceptions.ConditionalCheckFailedException:
                    continue  # retried or discarded meanwhile
        return gone

    def pending(self, *, due_before: str | None = None, created_before: str | None = None) -> list[OutboxRecord]:
        """Items still pending (or being sent) whose next attempt is due before ``due_before``
        (``created_before``: the same bound, its earlier name; a new item is due when written)."""
        bound = due_before if due_before is not None else created_before
        if bound is None:
            raise TypeError("pending() needs due_before")
        return self._index(OUTBOX_PENDING, before=bound)

    def parked(self) -> list[OutboxRecord]:
        """Items waiting for an admin, oldest first."""
        return self._index(OUTBOX_PARKED, before="~")

    def _index(self, partition: str, *, before: str) -> list[OutboxRecord]:
        items = query_items(
            self.client,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk < :before",
            ExpressionAttributeValues={":pk": {"S": partition}, ":before": {"S": before}},
        )
        return [cast(OutboxRecord, without_keys(item)) for item in items]

    # ---------------------------------------------------------------- sending paused

    def pause(self) -> PauseRecord | None:
        item = self.client.get_item(TableName=self.table, Key=key(PAUSE_PK, PAUSE_SK), ConsistentRead=True).get("Item")
        return cast(PauseRecord, without_keys(item)) if item else None

    def set_pause(self, record: PauseRecord, *, now: str) -> bool:
        """Pause sending until ``record['until']``, unless a pause is already in force (then False:
        someone else has raised it, and its alarm line)."""
        try:
            self.client.put_item(
                TableName=self.table, Item={**key(PAUSE_PK, PAUSE_SK), **to_item(record)}, **pause_free(now).kwargs()
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def clear_pause(self) -> bool:
        """An admin's decision (the account is fixed): send again now. False if none was set."""
        old = self.client.delete_item(TableName=self.table, Key=key(PAUSE_PK, PAUSE_SK), ReturnValues="ALL_OLD")
        return "Attributes" in old
