"""Signups, abuse counters and suppressions (layout in ``records.py``). The repository is one
class; its intake items (``intake_storage.py``) and its reads of a group's records
(``listing_storage.py``) are kept in their own modules."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.db import (
    ITEM_IS_NEW,
    Cond,
    Transaction,
    TransactionCancelled,
    Update,
    from_item,
    key,
    merge_expression,
    partition_items,
    query_items,
    status_in,
    status_is,
    to_item,
    version_is,
    without_keys,
)
from chalicelib.outbox.records import outbox_key
from chalicelib.signups.intake_storage import IntakeStorage
from chalicelib.signups.listing_storage import ListingStorage
from chalicelib.signups.records import (
    ADDRESS_RATE_PREFIX,
    ERASURE_PENDING,
    ERASURE_SK,
    IP_RATE_PREFIX,
    MEMBER_OUTBOX_PREFIX,
    NOTICE_PREFIX,
    SUPPRESS_PREFIX,
    SUPPRESS_SK,
    ErasureRecord,
    SignupRecord,
    SignupStatus,
    erasure_key,
    erasure_pk,
    member_pk,
    signup_key,
    signup_partition,
    status_index_key,
)


class StateConflict(Exception):
    """The record was not in a state that allows this change (or is gone)."""


# ---- named conditions

NO_ERASURE_UNDER_WAY = ITEM_IS_NEW  # (on the erasure marker's key)


def replaceable_signup(now_epoch: int) -> Cond:
    """A new signup may replace a record only after the person left, or an expired pending one."""
    return (
        ITEM_IS_NEW
        | status_is("unsubscribed")
        | Cond(
            "#status = :pending AND expires_at < :now",
            {"#status": "status"},
            {":pending": "pending_confirmation", ":now": now_epoch},
        )
    )


def importable_signup(now_epoch: int) -> Cond:
    """An imported person may take the place of nobody, or of an expired unconfirmed signup; never
    of someone who left (only they can join again)."""
    return ITEM_IS_NEW | Cond(
        "#status = :pending AND expires_at < :now",
        {"#status": "status"},
        {":pending": "pending_confirmation", ":now": now_epoch},
    )


def generation_is(gen: str) -> Cond:
    """Links carry the generation of the record they were made for."""
    return Cond("gen = :gen", values={":gen": gen})


def member_active(gen: str) -> Cond:
    """The member is still active, and is the same signup a run planned for (not a later one)."""
    return Cond("#status = :active AND gen = :gen", {"#status": "status"}, {":active": "active", ":gen": gen})


def link_still(link_rev: int) -> Cond:
    """The member's personal link is still the one the email will carry: an organizer may have
    replaced it since the run planned (the claim would otherwise write the revoked link's row back
    and send it)."""
    if link_rev == 0:
        return Cond("attribute_not_exists(link_rev) OR link_rev = :rev", values={":rev": 0})
    return Cond("link_rev = :rev", values={":rev": link_rev})


def address_slot_free(*, now_epoch: int, min_interval: int, per_day: int, count_confirmations: bool = True) -> Cond:
    """No email to this address within ``min_interval`` seconds (confirmation emails, stamped
    apart, count only if ``count_confirmations``), and fewer than ``per_day`` today."""
    cutoff = {":cutoff": now_epoch - min_interval}
    spaced = Cond("attribute_not_exists(#last) OR #last <= :cutoff", {"#last": "last"}, cutoff)
    if count_confirmations:
        spaced = spaced & Cond("attribute_not_exists(#lastc) OR #lastc <= :cutoff", {"#lastc": "last_confirm"}, cutoff)
    under_cap = Cond("attribute_not_exists(n) OR n < :max", values={":max": per_day})
    return spaced & under_cap


def waiting_free(outbox_id: str, *, stale_before: int) -> Cond:
    """No other email waits for this address's spacing (or the one that did is long gone)."""
    return Cond(
        "attribute_not_exists(#w) OR #w = :me OR #wu < :stale",
        {"#w": "waiting", "#wu": "waiting_until"},
        {":me": outbox_id, ":stale": stale_before},
    )


# A waiting mark older than this (after its time) is from an item that is gone (erased, discarded).
WAITING_STALE_SECONDS = 6 * 3600


class SignupRepository(IntakeStorage, ListingStorage):
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    # ------------------------------------------------------------------ records

    def get(self, group_id: str, signup_id: str) -> SignupRecord | None:
        item = self.client.get_item(TableName=self.table, Key=signup_key(group_id, signup_id), ConsistentRead=True).get(
            "Item"
        )
        return cast(SignupRecord, without_keys(item)) if item else None

    def _record_item(self, record: SignupRecord) -> dict[str, Any]:
        return to_item(
            {
                **record,
                "pk": signup_partition(record["group_id"]),
                "sk": record["id"],
                "gsi1pk": status_index_key(record["group_id"], record["status"]),
                "gsi1sk": f"{record['created_at']}#{record['id']}",
            }
        )

    def put_new(self, record: SignupRecord, *, now_epoch: int) -> bool:
        """Create (or restart) a signup; False if another live record is there."""
        try:
            self.client.put_item(
                TableName=self.table, Item=self._record_item(record), **replaceable_signup(now_epoch).kwargs()
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def new_record_item(self, record: SignupRecord, *, now_epoch: int) -> dict[str, Any]:
        """Transaction item: create (or restart) a signup, unless another live record is there."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": self._record_item(record),
                **replaceable_signup(now_epoch).kwargs(),
            }
        }

    def imported_record_item(self, record: SignupRecord, *, now_epoch: int) -> dict[str, Any]:
        """Transaction item: create a signup from an organizer's list (``importable_signup``)."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": self._record_item(record),
                **importable_signup(now_epoch).kwargs(),
            }
        }

    def propose_item(self, group_id: str, signup_id: str, proposal: dict[str, Any]) -> dict[str, Any]:
        """Transaction item: keep new details for a still-pending signup beside the current ones;
        only a confirmation link sent to the address (carrying the proposal's id) applies them."""
        request = merge_expression(Update(sets={"proposal": proposal}).request(), status_is("pending_confirmation"))
        return {"Update": {"TableName": self.table, "Key": signup_key(group_id, signup_id), **request}}

    def transition_item(
        self,
        group_id: str,
        signup_id: str,
        *,
        from_statuses: tuple[SignupStatus, ...],
        to_status: SignupStatus,
        set_values: dict[str, Any],
        gen: str | None = None,
        remove: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Transaction item: move a record between statuses (only from ``from_statuses``)."""
        update = Update(
            sets={**set_values, "status": to_status, "gsi1pk": status_index_key(group_id, to_status)},
            removes=remove,
            adds={"version": 1},
        )
        condition = status_in(from_statuses)
        if gen is not None:
            condition = condition & generation_is(gen)
        return {
            "Update": {
                "TableName": self.table,
                "Key": signup_key(group_id, signup_id),
                **merge_expression(update.request(), condition),
            }
        }

    def transition(
        self,
        group_id: str,
        signup_id: str,
        *,
        from_statuses: tuple[SignupStatus, ...],
        to_status: SignupStatus,
        set_values: dict[str, Any],
        gen: str | None = None,
        remove: tuple[str, ...] = (),
    ) -> SignupRecord:
        """Move a record between statuses atomically; returns the new record or raises StateConflict."""
        request = self.transition_item(
            group_id,
            signup_id,
            from_statuses=from_statuses,
            to_status=to_status,
            set_values=set_values,
            gen=gen,
            remove=remove,
        )["Update"]
        try:
            resp = self.client.update_item(ReturnValues="ALL_NEW", **request)
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            raise StateConflict from exc
        return cast(SignupRecord, without_keys(resp["Attributes"]))

    # -------------------------------------------- parts of other features' transactions

    def still_member_item(
        self, group_id: str, signup_id: str, *, gen: str, link_rev: int | None = None
    ) -> dict[str, Any]:
        """Transaction item: the member is still active in the same signup (generation) and, when
        ``link_rev`` is given, still has that personal link (a delivery ledger's claim)."""
        condition = member_active(gen) if link_rev is None else member_active(gen) & link_still(link_rev)
        return {
            "ConditionCheck": {"TableName": self.table, "Key": signup_key(group_id, signup_id), **condition.kwargs()}
        }

    def link_renewed_item(self, record: SignupRecord, *, now: str) -> dict[str, Any]:
        """Transaction item: the member's personal link moves to the next revision, only if the
        record is still at the generation and version that were read."""
        update = Update(sets={"link_rev": int(record.get("link_rev", 0)) + 1, "updated_at": now}, adds={"version": 1})
        current = generation_is(record["gen"]) & version_is(int(record["version"]))
        return {
            "Update": {
                "TableName": self.table,
                "Key": signup_key(record["group_id"], record["id"]),
                **merge_expression(update.request(), current),
            }
        }

    def delete(self, group_id: str, signup_id: str) -> bool:
        """Delete the record; False if there was none."""
        deleted = self.client.delete_item(
            TableName=self.table, Key=signup_key(group_id, signup_id), ReturnValues="ALL_OLD"
        ).get("Attributes")
        return bool(deleted)

    def delete_address_counters(self, email_hash: str) -> None:
        """The per-address email counters mention the person too (by keyed hash)."""
        rows = list(
            partition_items(self.client, self.table, ADDRESS_RATE_PREFIX + email_hash, ProjectionExpression="pk, sk")
        )
        for row in rows:  # materialised first: deleting while paging would move the pages under us
            self.client.delete_item(TableName=self.table, Key={"pk": row["pk"], "sk": row["sk"]})

    # ---------------------------------------------------------------- erasure

    def start_erasure(self, marker: ErasureRecord, *, version: int) -> bool:
        """One transaction: the erasure's marker is written and the record deleted (only at the
        version read). From then on no claim, click or confirmation can act on the person."""
        item = to_item(
            {
                **marker,
                "pk": erasure_pk(marker["group_id"], marker["signup_id"]),
                "sk": ERASURE_SK,
                "gsi1pk": ERASURE_PENDING,
                "gsi1sk": f"{marker['started_at']}#{marker['group_id']}#{marker['signup_id']}",
            }
        )
        tx = Transaction()
        tx.add("marker", {"Put": {"TableName": self.table, "Item": item}})
        tx.add(
            "signup",
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": signup_key(marker["group_id"], marker["signup_id"]),
                    **version_is(version).kwargs(),
                }
            },
        )
        try:
            tx.commit(self.client)
        except TransactionCancelled:
            return False
        return True

    def erasure(self, group_id: str, signup_id: str) -> ErasureRecord | None:
        item = self.client.get_item(
            TableName=self.table, Key=erasure_key(group_id, signup_id), ConsistentRead=True
        ).get("Item")
        return cast(ErasureRecord, without_keys(item)) if item else None

    def pending_erasures(self) -> list[ErasureRecord]:
        """Erasures an interruption left unfinished (the index only lists them; each is read again)."""
        items = query_items(
            self.client,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": ERASURE_PENDING}},
        )
        return [cast(ErasureRecord, without_keys(item)) for item in items]

    def finish_erasure(self, group_id: str, signup_id: str) -> None:
        self.client.delete_item(TableName=self.table, Key=erasure_key(group_id, signup_id))

    def no_erasure_item(self, group_id: str, signup_id: str) -> dict[str, Any]:
        """Transaction item: no erasure of this signup is under way (a new signup waits for it)."""
        return {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": erasure_key(group_id, signup_id),
                **NO_ERASURE_UNDER_WAY.kwargs(),
            }
        }

    def member_ref_item(self, group_id: str, signup_id: str, outbox_id: str, *, expires_at: int) -> dict[str, Any]:
        """Transaction item: this outbox item is about this person (erasure finds it by this key)."""
        item = {
            **key(member_pk(group_id, signup_id), MEMBER_OUTBOX_PREFIX + outbox_id),
            "expires_at": {"N": str(expires_at)},
        }
        return {"Put": {"TableName": self.table, "Item": item}}

    def erase_member_refs(self, group_id: str, signup_id: str) -> int:
        """Delete every outbox item written about the person, and the references (consistent Query)."""
        rows = list(
            partition_items(
                self.client,
                self.table,
                member_pk(group_id, signup_id),
                ConsistentRead=True,
                ProjectionExpression="pk, sk",
            )
        )
        for row in rows:  # materialised first: deleting while paging would move the pages under us
            sort = row["sk"]["S"]
            if sort.startswith(MEMBER_OUTBOX_PREFIX):
                self.client.delete_item(TableName=self.table, Key=outbox_key(sort[len(MEMBER_OUTBOX_PREFIX) :]))
            self.client.delete_item(TableName=self.table, Key={"pk": row["pk"], "sk": row["sk"]})
        return len(rows)

    # ---------------------------------------------------------------- counters

    def claim_address_send(
        self,
        email_hash: str,
        *,
        day: str,
        now_epoch: int,
        min_interval: int,
        per_day: int,
        confirmation: bool = False,
        count_confirmations: bool = True,
        outbox_id: str | None = None,
    ) -> bool | int:
        """Atomically take one of the address's email slots (concurrent callers: one wins): True.
        Held back by the spacing: the epoch second it may go (this ``outbox_id`` is then the one
        email that waits for the address; another one waiting already: False). Over the daily cap:
        False. A confirmation email is stamped apart (``last_confirm``), so an email that does not
        count confirmations (her link, once she is a member) is not held back by one."""
        stamp = "last_confirm" if confirmation else "last"
        update = Update(sets={stamp: now_epoch, "expires_at": now_epoch + 2 * 86400}, adds={"n": 1})
        slot = address_slot_free(
            now_epoch=now_epoch, min_interval=min_interval, per_day=per_day, count_confirmations=count_confirmations
        )
        slot_key = key(ADDRESS_RATE_PREFIX + email_hash, day)
        try:
            self.client.update_item(TableName=self.table, Key=slot_key, **merge_expression(update.request(), slot))
        except self.client.exceptions.ConditionalCheckFailedException:
            return self._wait_for_slot(
                slot_key,
                now_epoch=now_epoch,
                min_interval=min_interval,
                per_day=per_day,
                count_confirmations=count_confirmations,
                outbox_id=outbox_id,
            )
        if outbox_id is not None:
            self._stop_waiting(slot_key, outbox_id)
        return True

    def _wait_for_slot(
        self,
        slot_key: dict[str, Any],
        *,
        now_epoch: int,
        min_interval: int,
        per_day: int,
        count_confirmations: bool,
        outbox_id: str | None,
    ) -> bool | int:
        item = self.client.get_item(TableName=self.table, Key=slot_key, ConsistentRead=True).get("Item") or {}
        slot = from_item(item)
        if int(slot.get("n", 0)) >= per_day or outbox_id is None:
            return False  # the daily cap: held for good
        stamps = [int(slot.get("last", 0))] + ([int(slot.get("last_confirm", 0))] if count_confirmations else [])
        until = max(max(stamps) + min_interval, now_epoch + 1)
        update = Update(sets={"waiting": outbox_id, "waiting_until": until})
        try:
            self.client.update_item(
                TableName=self.table,
                Key=slot_key,
                **merge_expression(
                    update.request(), waiting_free(outbox_id, stale_before=now_epoch - WAITING_STALE_SECONDS)
                ),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False  # another email already waits for this address: it brings the news
        return until

    def _stop_waiting(self, slot_key: dict[str, Any], outbox_id: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=slot_key,
                **merge_expression(
                    Update(removes=("waiting", "waiting_until")).request(),
                    Cond("#w = :me", {"#w": "waiting"}, {":me": outbox_id}),
                ),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return  # it was not waiting (the usual case)

    def release_address_send(self, email_hash: str, *, day: str) -> None:
        """Give back a slot whose email could not be sent, so the person can try again."""
        update = Update(removes=("last", "last_confirm"), adds={"n": -1})
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key(ADDRESS_RATE_PREFIX + email_hash, day),
                **merge_expression(update.request(), Cond("attribute_exists(n) AND n > :zero", values={":zero": 0})),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return  # taken on another day (midnight passed meanwhile), or already given back

    def count_ip(self, ip_hash: str, *, hour: str, ttl: int) -> int:
        resp = self.client.update_item(
            TableName=self.table,
            Key=key(IP_RATE_PREFIX + ip_hash, hour),
            ReturnValues="UPDATED_NEW",
            **Update(sets={"expires_at": ttl}, adds={"n": 1}).request(),
        )
        return int(resp["Attributes"]["n"]["N"])

    # ------------------------------------------------------------- organizers' notices

    def claim_notice(self, group_id: str, recipient: str, *, due: str, now: str, outbox_id: str, ttl: int) -> bool:
        """May the batched notice due at ``due`` be sent (rendered now)? Not if a notice to the same
        recipient was rendered at or after ``due``: that one counted this batch's signups too. The
        same item may render again (a retry after a failed send)."""
        update = Update(sets={"at": now, "by": outbox_id, "expires_at": ttl})
        cond = Cond(
            "attribute_not_exists(#at) OR #at < :due OR #by = :me",
            {"#at": "at", "#by": "by"},
            {":due": due, ":me": outbox_id},
        )
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key(f"{NOTICE_PREFIX}{group_id}", recipient),
                **merge_expression(update.request(), cond),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # ------------------------------------------------------------- suppression

    def is_suppressed(self, email_hash: str) -> bool:
        item = self.client.get_item(TableName=self.table, Key=key(SUPPRESS_PREFIX + email_hash, SUPPRESS_SK)).get(
            "Item"
        )
        return item is not None

    def suppress(self, email_hash: str, *, reason: str, when: str) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={**key(SUPPRESS_PREFIX + email_hash, SUPPRESS_SK), **to_item({"reason": reason, "at": when})},
        )
