"""A prototype of the change recommended for EventRepository.query, measured by patching it in the
benchmark process only (chalicelib/ is not edited here).

Today the listing Query asks for ``Limit = limit + 1`` rows starting 14 days before ``from`` (an
event may last 14 days), with ``ends > from`` as a filter. DynamoDB applies Limit BEFORE the filter,
so every event that ended within those 14 days uses up a row of the page; with any such event the
page comes back short and the repository loops for a second Query. The prototype asks for
``ALLOWANCE`` more rows than it still needs on the first Query of a listing, and on any Query
that follows a short page (a page resumed from a cursor starts as today: its rows all match).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

ALLOWANCE = 40


def proposed_query(self: Any, q: Any, start_after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
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
        # The change: while the filter may still be dropping ended events (a first page, or any
        # page that came back short), ask for ALLOWANCE rows more than the ones still missing.
        wanted = limit + 1 - len(docs)
        extra = 0 if first and start_after else ALLOWANCE
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": key_cond,
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ProjectionExpression": "#sk, doc",
            "Limit": wanted + extra,
        }
        first = False
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


@contextlib.contextmanager
def patched() -> Iterator[None]:
    from chalicelib.storage.events import EventRepository

    original = EventRepository.query
    EventRepository.query = proposed_query  # type: ignore[method-assign]
    try:
        yield
    finally:
        EventRepository.query = original  # type: ignore[method-assign]
