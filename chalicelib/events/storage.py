"""Event items and their listing copies (layout in ``records.py``)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.db import ITEM_EXISTS, ITEM_IS_NEW, Cond, cancellation_reasons, key, to_item, version_is
from chalicelib.events.records import EVENT_PREFIX, EVENT_SK, LISTED, EventRecord, listing_partition

# DynamoDB applies Limit before the filter, and a listing's range starts 14 days before "from"
# (an event may still be running), so recently ended events use up rows of a page. The first
# Query asks for this many rows more than still needed (measured in bench/: one Query per request).
FILTER_ALLOWANCE = 40


class ListingQuery:
    """One Query of a listing partition. Its ``__dict__`` (in this order) is the cursor's ``q``.

    A plain class, not a dataclass: generating a dataclass's methods costs every cold ``GET /events``
    (issue 23); nothing here needs more than these few lines."""

    def __init__(
        self,
        *,
        partition: str,
        low: str,
        high: str | None,
        ends_after: str,
        fmt: str | None = None,
        status: str | None = None,
    ) -> None:
        self.partition = partition
        self.low = low
        self.high = high
        self.ends_after = ends_after
        self.fmt = fmt
        self.status = status

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ListingQuery) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ListingQuery({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class EventConflict(Exception):
    """The version did not match (or the event vanished) while writing."""


def event_key(event_id: str) -> dict[str, Any]:
    return key(EVENT_PREFIX + event_id, EVENT_SK)


def _listing_keys(doc: EventRecord, starts_utc: str) -> list[tuple[str, str]]:
    visibility = "PUB" if doc["status"] in LISTED else "DRAFT"
    sort = f"{starts_utc}#{doc['id']}"
    return [(listing_partition(visibility, scope), sort) for scope in ("ALL", *doc["states"])]


class EventRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, event_id: str) -> EventRecord | None:
        row = self.get_row(event_id)
        if row is None:
            return None
        doc: EventRecord = json.loads(row)
        return doc

    def get_row(self, event_id: str) -> str | None:
        """``get``'s event as stored: its JSON text, unparsed (what is made of it may be kept per text)."""
        item = self.client.get_item(TableName=self.table, Key=event_key(event_id), ConsistentRead=True).get("Item")
        return str(item["doc"]["S"]) if item else None

    def _event_item(self, doc: EventRecord, *, starts_utc: str, ends_utc: str) -> dict[str, Any]:
        return {
            **event_key(doc["id"]),
            **to_item(
                {
                    "doc": json.dumps(doc, separators=(",", ":")),
                    "version": doc["version"],
                    "status": doc["status"],
                    "starts": starts_utc,
                    "ends": ends_utc,
                }
            ),
        }

    def _listing_items(self, doc: EventRecord, *, starts_utc: str, ends_utc: str) -> list[dict[str, Any]]:
        body = json.dumps(doc, separators=(",", ":"))
        return [
            to_item(
                {
                    "pk": pk,
                    "sk": sk,
                    "doc": body,
                    "format": doc["format"],
                    "status": doc["status"],
                    "ends": ends_utc,
                    "event_id": doc["id"],
                }
            )
            for pk, sk in _listing_keys(doc, starts_utc)
        ]

    def create(self, doc: EventRecord, *, starts_utc: str, ends_utc: str) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._event_item(doc, starts_utc=starts_utc, ends_utc=ends_utc),
                    **ITEM_IS_NEW.kwargs(),
                }
            }
        ]
        items += [
            {"Put": {"TableName": self.table, "Item": it}}
            for it in self._listing_items(doc, starts_utc=starts_utc, ends_utc=ends_utc)
        ]
        self._transact(items)

    def replace(
        self, old: EventRecord, new: EventRecord, *, old_starts_utc: str, starts_utc: str, ends_utc: str
    ) -> None:
        """Swap the event and its listing rows atomically, only if nobody wrote in between."""
        new_rows = self._listing_items(new, starts_utc=starts_utc, ends_utc=ends_utc)
        new_keys = {(r["pk"]["S"], r["sk"]["S"]) for r in new_rows}
        stale = [k for k in _listing_keys(old, old_starts_utc) if k not in new_keys]
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._event_item(new, starts_utc=starts_utc, ends_utc=ends_utc),
                    **version_is(old["version"]).kwargs(),
                }
            }
        ]
        items += [{"Delete": {"TableName": self.table, "Key": key(pk, sk)}} for pk, sk in stale]
        items += [{"Put": {"TableName": self.table, "Item": r}} for r in new_rows]
        self._transact(items)

    def delete(self, doc: EventRecord, *, starts_utc: str, expected_version: int | None) -> None:
        condition: Cond = version_is(expected_version) if expected_version is not None else ITEM_EXISTS
        items: list[dict[str, Any]] = [
            {"Delete": {"TableName": self.table, "Key": event_key(doc["id"]), **condition.kwargs()}}
        ]
        items += [
            {"Delete": {"TableName": self.table, "Key": key(pk, sk)}} for pk, sk in _listing_keys(doc, starts_utc)
        ]
        self._transact(items)

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self.client.transact_write_items(TransactItems=items)
        except self.client.exceptions.TransactionCanceledException as exc:
            if any(r in ("ConditionalCheckFailed", "TransactionConflict") for r in cancellation_reasons(exc)):
                raise EventConflict from exc
            raise

    def query(self, q: ListingQuery, *, start_after: str | None, limit: int) -> tuple[list[EventRecord], str | None]:
        """Up to ``limit`` listing docs after ``start_after`` (a sort key); and the sort key to resume from."""
        rows, last = self.query_rows(q, start_after=start_after, limit=limit)
        return [json.loads(d) for d in rows], last

    def query_rows(self, q: ListingQuery, *, start_after: str | None, limit: int) -> tuple[list[str], str | None]:
        """``query``'s docs as stored: each one's JSON, compact (``json.dumps(doc, separators=(",", ":"))``,
        as ``_listing_items`` writes it), unparsed; and the sort key to resume from."""
        names = {"#pk": "pk", "#sk": "sk", "#ends": "ends"}
        values: dict[str, Any] = {":pk": {"S": q.partition}, ":lo": {"S": q.low}, ":from": {"S": q.ends_after}}
        if q.high is not None:
            key_cond = "#pk = :pk AND #sk BETWEEN :lo AND :hi"
            values[":hi"] = {"S": q.high}
        else:
            key_cond = "#pk = :pk AND #sk >= :lo"
        filters = ["#ends > :from"]
        if q.fmt:
            names["#fmt"] = "format"
            values[":fmt"] = {"S": q.fmt}
            filters.append("#fmt = :fmt")
        if q.status:
            names["#st"] = "status"
            values[":st"] = {"S": q.status}
            filters.append("#st = :st")
        # Rows as (sort key, stored JSON): only the page's are parsed (the extra rows just say there is more).
        docs: list[tuple[str, str]] = []
        exclusive: dict[str, Any] | None = key(q.partition, start_after) if start_after else None
        first = True
        while True:
            # Rows resumed from a cursor all match: no allowance on that first Query.
            allowance = 0 if first and start_after else FILTER_ALLOWANCE
            first = False
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": key_cond,
                "FilterExpression": " AND ".join(filters),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ProjectionExpression": "#sk, doc",
                # One extra row tells us whether another page exists.
                "Limit": limit + 1 - len(docs) + allowance,
            }
            if exclusive:
                kwargs["ExclusiveStartKey"] = exclusive
            resp = self.client.query(**kwargs)
            for item in resp.get("Items", []):
                docs.append((item["sk"]["S"], item["doc"]["S"]))
            exclusive = resp.get("LastEvaluatedKey")
            if len(docs) > limit or not exclusive:
                break
        page = docs[:limit]
        more = len(docs) > limit
        return [d for _, d in page], (page[-1][0] if more and page else None)
