"""Signups, abuse counters and suppressions (layout in ``records.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
    query_pages,
    status_in,
    status_is,
    to_item,
    version_is,
    without_keys,
)
from chalicelib.outbox.storage import outbox_key
from chalicelib.signups.records import (
    ADDRESS_RATE_PREFIX,
    ERASURE_PENDING,
    ERASURE_SK,
    INTAKE_PENDING,
    INTAKE_SK,
    IP_RATE_PREFIX,
    MEMBER_OUTBOX_PREFIX,
    RESEND_SK,
    SUPPRESS_PREFIX,
    SUPPRESS_SK,
    ErasureRecord,
    IntakeRecord,
    ResendRequest,
    SignupRecord,
    SignupStatus,
    erasure_pk,
    intake_pk,
    member_pk,
    signup_partition,
    status_index_key,
)


class StateConflict(Exception):
    """The record was not in a state that allows this change (or is gone)."""


def signup_key(group_id: str, signup_id: str) -> dict[str, Any]:
    return key(signup_partition(group_id), signup_id)


def erasure_key(group_id: str, signup_id: str) -> dict[str, Any]:
    return key(erasure_pk(group_id, signup_id), ERASURE_SK)


# ---- named conditions

NO_ERASURE_UNDER_WAY = ITEM_IS_NEW  # (on the erasure marker's key)


def not_withdrawn(request_id: str) -> Cond:
    """The request that wrote this intake has not taken it back (it answered 503: nothing happens)."""
    return Cond("attribute_not_exists(withdrawn) OR withdrawn <> :wrid", values={":wrid": request_id})


def request_is(request_id: str) -> Cond:
    return Cond("request_id = :rid", values={":rid": request_id})


def not_processed(request_id: str) -> Cond:
    return Cond("attribute_not_exists(done) OR done <> :drid", values={":drid": request_id})


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


def generation_is(gen: str) -> Cond:
    """Links carry the generation of the record they were made for."""
    return Cond("gen = :gen", values={":gen": gen})


def address_slot_free(*, now_epoch: int, min_interval: int, per_day: int) -> Cond:
    """No email to this address within ``min_interval`` seconds, and fewer than ``per_day`` today."""
    spaced = Cond(
        "attribute_not_exists(#last) OR #last <= :cutoff", {"#last": "last"}, {":cutoff": now_epoch - min_interval}
    )
    under_cap = Cond("attribute_not_exists(n) OR n < :max", values={":max": per_day})
    return spaced & under_cap


class SignupRepository:
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

    # ------------------------------------------------------------------ intake

    def put_intake(self, intake: IntakeRecord, *, address_hash: str) -> None:
        """Keep a posted form until the handler processes it (a later post of the address replaces it)."""
        item = to_item(
            {
                **intake,
                "pk": intake_pk(address_hash, intake["group_id"]),
                "sk": INTAKE_SK,
                "gsi1pk": INTAKE_PENDING,
                "gsi1sk": f"{intake['received_at']}#{address_hash}",
            }
        )
        # A copy of this write that lands after the request withdrew it (and answered 503) is refused.
        try:
            self.client.put_item(TableName=self.table, Item=item, **not_withdrawn(intake["request_id"]).kwargs())
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def withdraw_intake(
        self, address_hash: str, group_id: str, request_id: str, *, expires_at: int, sk: str = INTAKE_SK
    ) -> bool:
        """Take back a posted form whose write may or may not have landed (its answer was lost): from
        now on it is never processed, and a late copy of the write is refused. False if it was
        already processed (the request did succeed)."""
        update = Update(sets={"withdrawn": request_id, "expires_at": expires_at})
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key(intake_pk(address_hash, group_id), sk),
                **merge_expression(update.request(), not_processed(request_id)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def drop_withdrawn(self, address_hash: str, group_id: str, request_id: str, *, sk: str = INTAKE_SK) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=key(intake_pk(address_hash, group_id), sk),
                **Cond("request_id = :rid AND withdrawn = :rid", values={":rid": request_id}).kwargs(),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def put_resend(self, request: ResendRequest, *, address_hash: str) -> None:
        """Keep a "send me the link again" request for the handler (a newer one replaces it)."""
        item = to_item(
            {
                **request,
                "pk": intake_pk(address_hash, request["group_id"]),
                "sk": RESEND_SK,
                "gsi1pk": INTAKE_PENDING,
                "gsi1sk": f"{request['received_at']}#{address_hash}#resend",
            }
        )
        # As a form: a copy of this write that lands after the request withdrew it is refused.
        try:
            self.client.put_item(TableName=self.table, Item=item, **not_withdrawn(request["request_id"]).kwargs())
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def resend_done_item(
        self, address_hash: str, group_id: str, request_id: str, *, expires_at: int, tombstone: bool
    ) -> dict[str, Any]:
        """Transaction item: the processed request goes, or becomes a tombstone (as a form's, below)."""
        return self.intake_done_item(
            address_hash, group_id, request_id, expires_at=expires_at, tombstone=tombstone, sk=RESEND_SK
        )

    def intake_done_item(
        self,
        address_hash: str,
        group_id: str,
        request_id: str,
        *,
        expires_at: int,
        tombstone: bool,
        sk: str = INTAKE_SK,
    ) -> dict[str, Any]:
        """Transaction item: the processed form goes, unless a newer post replaced it meanwhile or
        the request withdrew it. ``tombstone`` (an email was promised): it is replaced by a tombstone
        holding only its request id instead, so a request whose answer was lost can tell it
        succeeded; when nothing was promised, "nothing happened" is true either way."""
        condition = (request_is(request_id) & not_withdrawn(request_id)).kwargs()
        if not tombstone:
            return {"Delete": {"TableName": self.table, "Key": key(intake_pk(address_hash, group_id), sk), **condition}}
        stone = {**key(intake_pk(address_hash, group_id), sk), **to_item({"done": request_id})}
        stone["expires_at"] = {"N": str(expires_at)}
        return {
            "Put": {
                "TableName": self.table,
                "Item": stone,
                **condition,
            }
        }

    def pending_intakes(self, *, received_before: str) -> list[dict[str, Any]]:
        items = query_items(
            self.client,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk < :before",
            ExpressionAttributeValues={":pk": {"S": INTAKE_PENDING}, ":before": {"S": received_before}},
        )
        return [from_item(item) for item in items]

    def delete_intake(self, address_hash: str, group_id: str, *, received_before: str | None = None) -> None:
        """Erasure: the posted form (or its tombstone) and any "send me the link again" request.
        ``received_before``: keep a form posted after the erasure started (a new signup waiting)."""
        pk = intake_pk(address_hash, group_id)
        condition: dict[str, Any] = {}
        if received_before is not None:
            older = "attribute_not_exists(received_at) OR received_at < :started"
            condition = Cond(older, values={":started": received_before}).kwargs()
        # A form posted since the erasure started (a new signup waiting for it to finish) is kept.
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.delete_item(TableName=self.table, Key=key(pk, INTAKE_SK), **condition)
        self.client.delete_item(TableName=self.table, Key=key(pk, RESEND_SK))

    def page(
        self, group_id: str, *, status: SignupStatus | None, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[SignupRecord], dict[str, Any] | None]:
        if status:
            kwargs: dict[str, Any] = {
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": status_index_key(group_id, status)}},
            }
        else:
            kwargs = {
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": signup_partition(group_id)}},
            }
        kwargs.update(TableName=self.table, Limit=limit)
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        resp = self.client.query(**kwargs)
        return [cast(SignupRecord, without_keys(i)) for i in resp.get("Items", [])], resp.get("LastEvaluatedKey")

    def all(self, group_id: str, *, status: SignupStatus | None = None) -> Iterator[SignupRecord]:
        start: dict[str, Any] | None = None
        while True:
            records, start = self.page(group_id, status=status, limit=1000, start_key=start)
            yield from records
            if not start:
                return

    def all_consistent(self, group_id: str, *, status: SignupStatus) -> Iterator[SignupRecord]:
        """The group's records of one status read from the table itself (consistent), not through
        the status index, which may lag a change made a moment ago: for decisions about people."""
        items = query_items(
            self.client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="#status = :status",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":pk": {"S": signup_partition(group_id)}, ":status": {"S": status}},
            ConsistentRead=True,
        )
        for item in items:
            yield cast(SignupRecord, without_keys(item))

    def count(self, group_id: str, status: SignupStatus) -> int:
        pages = query_pages(
            self.client,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": status_index_key(group_id, status)}},
            Select="COUNT",
        )
        return sum(int(page.get("Count", 0)) for page in pages)

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

    def names(self, group_id: str, signup_ids: list[str]) -> dict[str, str]:
        """The current names of these signups (consistent reads); an erased one is absent."""
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(signup_ids))
        for start in range(0, len(ids), 100):
            request: dict[str, Any] = {
                self.table: {
                    "Keys": [signup_key(group_id, i) for i in ids[start : start + 100]],
                    "ConsistentRead": True,
                    "ProjectionExpression": "sk, #name",
                    "ExpressionAttributeNames": {"#name": "name"},
                }
            }
            for _ in range(5):  # unprocessed keys (throttling) are asked again
                resp = self.client.batch_get_item(RequestItems=request)
                for item in resp.get("Responses", {}).get(self.table, []):
                    found[item["sk"]["S"]] = item["name"]["S"]
                request = resp.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

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

    def claim_address_send(self, email_hash: str, *, day: str, now_epoch: int, min_interval: int, per_day: int) -> bool:
        """Atomically take one of the address's email slots. Concurrent callers: one wins."""
        update = Update(sets={"last": now_epoch, "expires_at": now_epoch + 2 * 86400}, adds={"n": 1})
        slot = address_slot_free(now_epoch=now_epoch, min_interval=min_interval, per_day=per_day)
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key(ADDRESS_RATE_PREFIX + email_hash, day),
                **merge_expression(update.request(), slot),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_address_send(self, email_hash: str, *, day: str) -> None:
        """Give back a slot whose email could not be sent, so the person can try again."""
        update = Update(removes=("last",), adds={"n": -1})
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

    # ------------------------------------------------------------- her time zone

    def zone_item(
        self,
        group_id: str,
        signup_id: str,
        *,
        zone: str | None,
        when: str,
        statuses: tuple[SignupStatus, ...],
        gen: str | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """Transaction item: set (``zone`` None: remove) the time she lives on, only while the
        record is in one of ``statuses`` (and of generation ``gen``, at ``version``, when given).
        The generation and the link revision are left alone: her links and ledger rows stay hers."""
        update = Update(
            sets={"updated_at": when, **({"timezone": zone} if zone else {})},
            removes=() if zone else ("timezone",),
            adds={"version": 1},
        )
        condition = status_in(statuses)
        if gen is not None:
            condition = condition & generation_is(gen)
        if version is not None:
            condition = condition & version_is(version)
        return {
            "Update": {
                "TableName": self.table,
                "Key": signup_key(group_id, signup_id),
                **merge_expression(update.request(), condition),
            }
        }
