"""Reading a group's signup records: a page (the API and the console), every record (by the
status index, or consistently from the table for a decision), counts, and names for the activity
log. Part of ``SignupRepository`` (``storage.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from chalicelib.db import (
    query_items,
    query_pages,
    without_keys,
)
from chalicelib.signups.records import (
    SignupRecord,
    SignupStatus,
    signup_key,
    signup_partition,
    status_index_key,
)


class ListingStorage:
    """The reading part of ``SignupRepository`` (which sets the client and the table)."""

    client: Any
    table: str

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
