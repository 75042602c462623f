"""Event items and their listing copies (see chalicelib/table.py for the layout)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.storage.dynamo import cancellation_reasons, error_code, from_item, to_item

LISTED = ("published", "cancelled")
FILTER_ALLOWANCE = 40


@dataclass(frozen=True)
class ListingQuery:
    partition: str
    low: str
    high: str | None
    ends_after: str
    fmt: str | None = None
    status: str | None = None


def event_key(event_id: str) -> dict[str, Any]:
    return to_item({"pk": f"EVENT#{event_id}", "sk": "EVENT"})


def listing_partition(visibility: str, scope: str) -> str:
    return f"EVLIST#{visibility}#{scope}"


def _listing_keys(doc: dict[str, Any], starts_utc: str) -> list[tuple[str, str]]:
    visibility = "PUB" if doc["status"] in LISTED else "DRAFT"
    sort = f"{starts_utc}#{doc['id']}"
    return [(listing_partition(visibility, scope), sort) for scope in ("ALL", *doc["states"])]


class EventConflict(Exception):
    """The version did not match (or the event vanished) while writing."""


class EventMissing(Exception):
    pass


class EventRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, event_id: str) -> dict[str, Any] | None:
        resp = self.client.get_item(TableName=self.table, Key=event_key(event_id), ConsistentRead=True)
        item = resp.get("Item")
        if not item:
            return None
        values = from_item(item)
        doc: dict[str, Any] = json.loads(values["doc"])
        return doc

    def _event_item(self, doc: dict[str, Any], starts_utc: str, ends_utc: str) -> dict[str, Any]:
        return to_item(
            {
                "pk": f"EVENT#{doc['id']}",
                "sk": "EVENT",
                "doc": json.dumps(doc, separators=(",", ":")),
                "version": doc["version"],
                "status": doc["status"],
                "starts": starts_utc,
                "ends": ends_utc,
            }
        )

    def _listing_items(self, doc: dict[str, Any], starts_utc: str, ends_utc: str) -> list[dict[str, Any]]:
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

    def create(self, doc: dict[str, Any], starts_utc: str, ends_utc: str) -> None:
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._event_item(doc, starts_utc, ends_utc),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        items += [
            {"Put": {"TableName": self.table, "Item": it}} for it in self._listing_items(doc, starts_utc, ends_utc)
        ]
        self._transact(items)

    def replace(
        self,
        old: dict[str, Any],
        old_starts_utc: str,
        new: dict[str, Any],
        starts_utc: str,
        ends_utc: str,
        expected_version: int,
    ) -> None:
        """Swap the event and its listing rows atomically, only if nobody wrote in between."""
        new_rows = self._listing_items(new, starts_utc, ends_utc)
        new_keys = {(r["pk"]["S"], r["sk"]["S"]) for r in new_rows}
        stale = [k for k in _listing_keys(old, old_starts_utc) if k not in new_keys]
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._event_item(new, starts_utc, ends_utc),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
                }
            }
        ]
        items += [{"Delete": {"TableName": self.table, "Key": to_item({"pk": pk, "sk": sk})}} for pk, sk in stale]
        items += [{"Put": {"TableName": self.table, "Item": r}} for r in new_rows]
        self._transact(items)

    def delete(self, doc: dict[str, Any], starts_utc: str, expected_version: int | None) -> None:
        cond: dict[str, Any] = {"ConditionExpression": "attribute_exists(pk)"}
        if expected_version is not None:
            cond = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
            }
        items: list[dict[str, Any]] = [{"Delete": {"TableName": self.table, "Key": event_key(doc["id"]), **cond}}]
        items += [
            {"Delete": {"TableName": self.table, "Key": to_item({"pk": pk, "sk": sk})}}
            for pk, sk in _listing_keys(doc, starts_utc)
        ]
        self._transact(items)

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self.client.transact_write_items(TransactItems=items)
        except Exception as exc:
            code = error_code(exc)
            if code == "TransactionCanceledException":
                reasons = cancellation_reasons(exc)
                if any(r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons):
                    raise EventConflict from exc
            raise

    def query(self, q: ListingQuery, start_after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """Up to ``limit`` listing docs after ``start_after`` (a sort key); and the sort key to resume from."""
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
        docs: list[tuple[str, dict[str, Any]]] = []
        exclusive: dict[str, Any] | None = {"pk": {"S": q.partition}, "sk": {"S": start_after}} if start_after else None
        first = True
        while True:
            # DynamoDB applies Limit before the filter, and the range starts 14 days before "from"
            # (an event may still be running), so recently ended events use up rows of a page. Ask
            # for FILTER_ALLOWANCE rows more than still needed, except when resuming from a cursor
            # (those rows all match): one Query per request in practice (measured in bench/).
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
                docs.append((item["sk"]["S"], json.loads(item["doc"]["S"])))
            exclusive = resp.get("LastEvaluatedKey")
            if len(docs) > limit or not exclusive:
                break
        page = docs[:limit]
        more = len(docs) > limit
        return [d for _, d in page], (page[-1][0] if more and page else None)
