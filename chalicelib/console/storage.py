"""Console sign-in requests, sign-in links, sessions and their counters (layout in ``records.py``)."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.console.records import (
    ADDRESS_RATE_PREFIX,
    IP_RATE_PREFIX,
    SESSION_PREFIX,
    SESSION_SK,
    SIGNIN_PREFIX,
    SIGNIN_REQUEST_PREFIX,
    SIGNIN_REQUEST_SK,
    SIGNIN_SK,
    SessionRecord,
    SignInRecord,
)
from chalicelib.db import ITEM_IS_NEW, Cond, Update, key, merge_expression, to_item, without_keys
from chalicelib.signups.records import INTAKE_PENDING


def unused_and_live(now_epoch: int) -> Cond:
    """A sign-in link that was never used and has not expired."""
    return Cond(
        "attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now", values={":now": now_epoch}
    )


def session_live(now_epoch: int) -> Cond:
    return Cond("attribute_exists(pk) AND expires_at > :now", values={":now": now_epoch})


class ConsoleRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    # ---------------------------------------------------------------- counters

    def count(self, prefix: str, subject_hash: str, *, hour: str, ttl: int) -> int:
        resp = self.client.update_item(
            TableName=self.table,
            Key=key(prefix + subject_hash, hour),
            ReturnValues="UPDATED_NEW",
            **Update(sets={"expires_at": ttl}, adds={"n": 1}).request(),
        )
        return int(resp["Attributes"]["n"]["N"])

    def count_ip(self, ip_hash: str, *, hour: str, ttl: int) -> int:
        return self.count(IP_RATE_PREFIX, ip_hash, hour=hour, ttl=ttl)

    def count_address(self, address_hash: str, *, hour: str, ttl: int) -> int:
        return self.count(ADDRESS_RATE_PREFIX, address_hash, hour=hour, ttl=ttl)

    # ---------------------------------------------------------------- requests

    def put_request(self, address_hash: str, values: dict[str, Any]) -> None:
        """Keep a sign-in request for the stream handler (a later request of the address replaces it)."""
        item = to_item(
            {
                **values,
                "pk": SIGNIN_REQUEST_PREFIX + address_hash,
                "sk": SIGNIN_REQUEST_SK,
                "gsi1pk": INTAKE_PENDING,
                "gsi1sk": f"{values['received_at']}#{address_hash}",
            }
        )
        self.client.put_item(TableName=self.table, Item=item)

    def request_done_item(self, pk: str, request_id: str) -> dict[str, Any]:
        """Transaction item: drop the processed request, unless a newer one replaced it meanwhile."""
        return {
            "Delete": {
                "TableName": self.table,
                "Key": key(pk, SIGNIN_REQUEST_SK),
                **Cond("request_id = :rid", values={":rid": request_id}).kwargs(),
            }
        }

    # ---------------------------------------------------------------- sign-in links

    def new_signin_item(self, token_hash: str, record: SignInRecord) -> dict[str, Any]:
        item = {**key(SIGNIN_PREFIX + token_hash, SIGNIN_SK), **to_item(record)}
        return {"Put": {"TableName": self.table, "Item": item, **ITEM_IS_NEW.kwargs()}}

    def get_signin(self, token_hash: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.table, Key=key(SIGNIN_PREFIX + token_hash, SIGNIN_SK), ConsistentRead=True
        ).get("Item")
        return without_keys(item) if item else None

    def consume_signin(self, token_hash: str, *, now_epoch: int, when: str) -> SignInRecord | None:
        """Use the link once: None if unknown, used or expired (the condition decides, so two
        presses of the button cannot both start a session)."""
        try:
            resp = self.client.update_item(
                TableName=self.table,
                Key=key(SIGNIN_PREFIX + token_hash, SIGNIN_SK),
                ReturnValues="ALL_NEW",
                **merge_expression(Update(sets={"used_at": when}).request(), unused_and_live(now_epoch)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return cast(SignInRecord, without_keys(resp["Attributes"]))

    # ---------------------------------------------------------------- sessions

    def put_session(self, session_hash: str, record: SessionRecord) -> None:
        item = {**key(SESSION_PREFIX + session_hash, SESSION_SK), **to_item(record)}
        self.client.put_item(TableName=self.table, Item=item, **ITEM_IS_NEW.kwargs())

    def get_session(self, session_hash: str) -> SessionRecord | None:
        item = self.client.get_item(
            TableName=self.table, Key=key(SESSION_PREFIX + session_hash, SESSION_SK), ConsistentRead=True
        ).get("Item")
        return cast(SessionRecord, without_keys(item)) if item else None

    def touch_session(self, session_hash: str, *, now_epoch: int) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=key(SESSION_PREFIX + session_hash, SESSION_SK),
                **merge_expression(Update(sets={"last_seen": now_epoch}).request(), session_live(now_epoch)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def delete_session(self, session_hash: str) -> None:
        self.client.delete_item(TableName=self.table, Key=key(SESSION_PREFIX + session_hash, SESSION_SK))
