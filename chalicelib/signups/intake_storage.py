"""The signups' intake items (layout in ``records.py``: ``INTAKE#<address hash>#<group>``, a
posted form and a "send me the link again" request): kept until the outbox's stream handler
processes them, withdrawn when a request answered 503, deleted by erasure. Part of
``SignupRepository`` (``storage.py``)."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.db import (
    Cond,
    Update,
    from_item,
    key,
    merge_expression,
    query_items,
    to_item,
)
from chalicelib.signups.records import (
    INTAKE_PENDING,
    INTAKE_SK,
    RESEND_SK,
    IntakeRecord,
    ResendRequest,
    intake_pk,
)

# ---- named conditions


def not_withdrawn(request_id: str) -> Cond:
    """The request that wrote this intake has not taken it back (it answered 503: nothing happens)."""
    return Cond("attribute_not_exists(withdrawn) OR withdrawn <> :wrid", values={":wrid": request_id})


def request_is(request_id: str) -> Cond:
    return Cond("request_id = :rid", values={":rid": request_id})


def not_processed(request_id: str) -> Cond:
    return Cond("attribute_not_exists(done) OR done <> :drid", values={":drid": request_id})


class IntakeStorage:
    """The intake part of ``SignupRepository`` (which sets the client and the table)."""

    client: Any
    table: str

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
