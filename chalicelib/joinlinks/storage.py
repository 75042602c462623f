"""Join-link items (layout in ``records.py``): the click path reads one item, then the member and
the group's window in one BatchGetItem (consistent), and records the first opening with one
conditional put."""

from __future__ import annotations

import json
from typing import Any, cast

from chalicelib.db import ITEM_EXISTS, ITEM_IS_NEW, Cond, key, partition_items, to_item, without_keys
from chalicelib.distribution.records import ledger_partition, member_index_key
from chalicelib.joinlinks.records import (
    JOIN_PREFIX,
    JOIN_SK,
    LINK_INDEX_SORT_PREFIX,
    OPENED_KIND,
    WINDOW_PREFIX,
    WINDOW_SK,
    JoinLinkRecord,
    JoinWindowRecord,
)
from chalicelib.signups.records import SignupRecord, signup_key


def link_key(token_hash: str) -> dict[str, Any]:
    return key(JOIN_PREFIX + token_hash, JOIN_SK)


def window_key(group_id: str) -> dict[str, Any]:
    return key(WINDOW_PREFIX + group_id, WINDOW_SK)


class JoinLinkRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def new_link_item(self, token_hash: str, link: JoinLinkRecord) -> dict[str, Any]:
        """Transaction item: the lookup row of a member's personal link, listed in the member index
        (erasure finds every link row of the person, whatever generation wrote it)."""
        indexed = {
            **link,
            "gsi1pk": member_index_key(link["group_id"], link["signup_id"]),
            "gsi1sk": f"{LINK_INDEX_SORT_PREFIX}{token_hash}",
        }
        return {"Put": {"TableName": self.table, "Item": {**link_key(token_hash), **to_item(indexed)}}}

    def delete_link_item(self, token_hash: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.table, "Key": link_key(token_hash)}}

    def delete_link(self, token_hash: str) -> None:
        self.client.delete_item(TableName=self.table, Key=link_key(token_hash))

    def link(self, token_hash: str) -> JoinLinkRecord | None:
        item = self.client.get_item(TableName=self.table, Key=link_key(token_hash)).get("Item")
        return cast(JoinLinkRecord, without_keys(item)) if item else None

    def member_and_window(self, group_id: str, signup_id: str) -> tuple[SignupRecord | None, JoinWindowRecord | None]:
        """The member's record and the group's window, in one round trip (consistent reads)."""
        keys = [signup_key(group_id, signup_id), window_key(group_id)]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(3):  # unprocessed keys (throttling) are retried
            resp = self.client.batch_get_item(RequestItems=request)
            for item in resp.get("Responses", {}).get(self.table, []):
                found[item["pk"]["S"]] = item
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
        member = found.get(signup_key(group_id, signup_id)["pk"]["S"])
        window = found.get(WINDOW_PREFIX + group_id)
        return (
            cast(SignupRecord, without_keys(member)) if member else None,
            cast(JoinWindowRecord, json.loads(window["doc"]["S"])) if window else None,
        )

    def window(self, group_id: str) -> JoinWindowRecord | None:
        item = self.client.get_item(TableName=self.table, Key=window_key(group_id), ConsistentRead=True).get("Item")
        return cast(JoinWindowRecord, json.loads(item["doc"]["S"])) if item else None

    def window_item(self, window: JoinWindowRecord) -> dict[str, Any]:
        """Transaction item: the group's window as it stands."""
        doc = json.dumps(window, separators=(",", ":"))
        return {"Put": {"TableName": self.table, "Item": {**window_key(window["group_id"]), "doc": {"S": doc}}}}

    def window_rev(self, group_id: str) -> int | None:
        """The window item's revision (None: no window yet), read consistently before the group."""
        item = self.client.get_item(
            TableName=self.table,
            Key=window_key(group_id),
            ConsistentRead=True,
            ProjectionExpression="#rev",
            ExpressionAttributeNames={"#rev": "rev"},
        ).get("Item")
        if item is None:
            return None
        return int(item["rev"]["N"]) if "rev" in item else 0

    def put_window(self, window: JoinWindowRecord, *, seen_rev: int | None) -> bool:
        """Write the window only if nobody wrote it since its revision ``seen_rev`` was read (None: it
        did not exist); False if someone did (the caller reads again: that writer may have
        computed it from a group read before ours)."""
        if seen_rev is None:
            unchanged = ITEM_IS_NEW
        elif seen_rev == 0:
            unchanged = ITEM_EXISTS & Cond("attribute_not_exists(#rev) OR #rev = :seen", {"#rev": "rev"}, {":seen": 0})
        else:
            unchanged = Cond("#rev = :seen", {"#rev": "rev"}, {":seen": seen_rev})
        put = self.window_item(window)["Put"]
        put["Item"]["rev"] = {"N": str((seen_rev or 0) + 1)}
        try:
            self.client.put_item(**put, **unchanged.kwargs())
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_opened(self, *, group_id: str, day: str, signup_id: str, when: str, expires_at: int) -> bool:
        """The first time this member opened the link for this meeting (False if recorded before)."""
        item = to_item(
            {
                "pk": ledger_partition(group_id, day),
                "sk": f"{signup_id}#{OPENED_KIND}",
                "signup_id": signup_id,
                "kind": OPENED_KIND,
                "status": OPENED_KIND,
                "opened_at": when,
                "expires_at": expires_at,
                # In the member index, so erasure finds it whatever the schedule is by then.
                "gsi1pk": member_index_key(group_id, signup_id),
                "gsi1sk": f"{day}#{OPENED_KIND}",
            }
        )
        try:
            self.client.put_item(TableName=self.table, Item=item, **ITEM_IS_NEW.kwargs())
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete_counters(self, counter_pk: str) -> None:
        """Erasure: a personal link's per-minute counters (they expire, but TTL deletion may lag)."""
        rows = list(
            partition_items(self.client, self.table, counter_pk, ConsistentRead=True, ProjectionExpression="pk, sk")
        )
        for row in rows:  # materialised first: deleting while paging would move the pages under us
            self.client.delete_item(TableName=self.table, Key={"pk": row["pk"], "sk": row["sk"]})

    def count_hit(self, counter_pk: str, *, bucket: str, ttl: int) -> int:
        """One more use of a counter (``TOKEN_RATE_PREFIX`` or ``IP_RATE_PREFIX`` + hash) in ``bucket``."""
        resp = self.client.update_item(
            TableName=self.table,
            Key=key(counter_pk, bucket),
            UpdateExpression="SET expires_at = :ttl ADD n :one",
            ExpressionAttributeValues={":ttl": {"N": str(ttl)}, ":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(resp["Attributes"]["n"]["N"])
