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
    MEMBER_OUTBOX_PREFIX,
    SignupRecord,
    SignupStatus,
    member_pk,
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

    def find_page(
        self,
        group_id: str,
        *,
        statuses: tuple[SignupStatus, ...] | None,
        words: list[str],
        email: str | None,
        limit: int,
        start_key: dict[str, Any] | None,
        read_at_most: int = 1000,
    ) -> tuple[list[SignupRecord], dict[str, Any] | None]:
        """Up to ``limit`` records with one of ``statuses`` whose name has every word of ``words``
        at the start of one of its words (``search.py``) or whose address holds ``email``: Queries
        of the group's records (one status: its index), filtered by DynamoDB, reading at most
        ``read_at_most`` records per call, and where the next call starts (None: no more)."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        filters: list[str] = []
        if statuses is not None and len(statuses) == 1:
            kwargs: dict[str, Any] = {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :pk"}
            values[":pk"] = {"S": status_index_key(group_id, statuses[0])}
        else:
            kwargs = {"KeyConditionExpression": "pk = :pk"}
            values[":pk"] = {"S": signup_partition(group_id)}
            if statuses is not None:
                names["#status"] = "status"
                marks = []
                for n, status in enumerate(statuses):
                    values[f":s{n}"] = {"S": status}
                    marks.append(f":s{n}")
                filters.append(f"#status IN ({', '.join(marks)})")
        found_by: list[str] = []
        if words:
            names["#search"] = "search"
            parts = []
            for n, word in enumerate(words):
                values[f":w{n}"] = {"S": f" {word}"}
                parts.append(f"contains(#search, :w{n})")
            # A record written before names were searchable has no ``search``: checked below.
            all_words = parts[0] if len(parts) == 1 else f"({' AND '.join(parts)})"
            found_by.append(f"attribute_not_exists(#search) OR {all_words}")
        if email:
            names["#email"] = "email"
            values[":email"] = {"S": email}
            found_by.append("contains(#email, :email)")
        if found_by:  # DynamoDB refuses redundant parentheses
            filters.append(" OR ".join(found_by))
        if filters:
            kwargs["FilterExpression"] = (
                filters[0] if len(filters) == 1 else " AND ".join(f"({f})" if " OR " in f else f for f in filters)
            )
        if names:
            kwargs["ExpressionAttributeNames"] = names
        kwargs.update(TableName=self.table, ExpressionAttributeValues=values)
        found: list[SignupRecord] = []
        read = 0
        start = start_key
        while True:
            # Filtered: Limit counts the records read, not the ones found.
            request = {**kwargs, "Limit": read_at_most - read if filters else limit - len(found)}
            if start:
                request["ExclusiveStartKey"] = start
            resp = self.client.query(**request)
            read += int(resp.get("ScannedCount", 0))
            for item in resp.get("Items", []):
                record = without_keys(item)
                key_text = record.pop("search", None)
                if words and key_text is None:
                    from chalicelib.signups.search import matches, search_key

                    in_name = matches(search_key(str(record.get("name", ""))), words)
                    if not in_name and not (email and email in str(record.get("email", ""))):
                        continue
                found.append(cast(SignupRecord, record))
            start = resp.get("LastEvaluatedKey")
            if not start or len(found) >= limit or read >= read_at_most:
                break
        if len(found) > limit:  # a filtered page can overshoot: the rest is the next page's
            found = found[:limit]
            start = self._key_of(found[-1], group_id, statuses)
        return found, start

    @staticmethod
    def _key_of(record: SignupRecord, group_id: str, statuses: tuple[SignupStatus, ...] | None) -> dict[str, Any]:
        """The key a Query continues after this record (its index's key for one status)."""
        keys = {"pk": {"S": signup_partition(group_id)}, "sk": {"S": record["id"]}}
        if statuses is not None and len(statuses) == 1:
            keys["gsi1pk"] = {"S": status_index_key(group_id, record["status"])}
            keys["gsi1sk"] = {"S": f"{record['created_at']}#{record['id']}"}
        return keys

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

    def email_refs(self, group_id: str, signup_id: str, *, limit: int = 100) -> list[str]:
        """The ids of the outbox items written about this person, newest first (her own partition)."""
        resp = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :outbox)",
            ExpressionAttributeValues={
                ":pk": {"S": member_pk(group_id, signup_id)},
                ":outbox": {"S": MEMBER_OUTBOX_PREFIX},
            },
            ProjectionExpression="sk",
            ScanIndexForward=False,
            Limit=limit,
        )
        return [item["sk"]["S"][len(MEMBER_OUTBOX_PREFIX) :] for item in resp.get("Items", [])]

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
