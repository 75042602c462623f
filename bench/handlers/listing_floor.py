"""``GET /events`` (the default request) done by hand: the floor the app is measured against, and the
work the peers' handlers share (bench/handlers/README.md).

The same work as the app's list, nothing of the app: the same Query (the listing partition from now
minus the longest event, ``Limit`` a page + 1 + the filter allowance), a page of 20, the cursor signed
with the same key (itsdangerous, as the app), the same JSON, byte for byte (the benchmark checks it).
Standard library, itsdangerous, and the DynamoDB client the caller made (boto3 or botocore).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

PAGE = 20  # chalicelib/events/views.py DEFAULT_LIMIT
FILTER_ALLOWANCE = 40  # chalicelib/events/storage.py
MAX_EVENT_DURATION = timedelta(days=14)  # chalicelib/constants.py
PARTITION = "EVLIST#PUB#ALL"  # chalicelib/events/records.py listing_partition("PUB", "ALL")
HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "public, max-age=60",
    "X-Content-Type-Options": "nosniff",
}
_keys: list[bytes] = []


def now() -> datetime:
    """The clock (the benchmark's identity check pins it, and the app's, to one instant)."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def query_kwargs(table: str, moment: datetime) -> dict[str, Any]:
    return {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk AND #sk >= :lo",
        "FilterExpression": "#ends > :from",
        "ExpressionAttributeNames": {"#pk": "pk", "#sk": "sk", "#ends": "ends"},
        "ExpressionAttributeValues": {
            ":pk": {"S": PARTITION},
            ":lo": {"S": _iso(moment - MAX_EVENT_DURATION)},
            ":from": {"S": _iso(moment)},
        },
        "ProjectionExpression": "#sk, doc",
        "Limit": PAGE + 1 + FILTER_ALLOWANCE,
    }


def signing_keys() -> list[bytes]:
    """The app's signing key, read once per container (in AWS the app reads it from SSM once)."""
    if not _keys:
        with open(os.path.join(os.environ["LOCAL_STATE_DIR"], "signing-key"), "rb") as fh:
            _keys.append(fh.read().strip())
    return _keys


_writers: list[Any] = []


def _cursor_writer() -> Any:
    """itsdangerous's URL-safe serializer writing the payload without trying zlib (as the app
    writes cursors, chalicelib/signing.py), made once per container."""
    if not _writers:
        from itsdangerous import URLSafeSerializer
        from itsdangerous.encoding import base64_encode
        from itsdangerous.serializer import Serializer

        class Uncompressed(URLSafeSerializer):
            def dump_payload(self, obj: Any) -> bytes:
                return base64_encode(Serializer.dump_payload(self, obj))

        _writers.append(Uncompressed(signing_keys(), salt="cursor:events"))
    return _writers[0]


def body(client: Any) -> str:
    """The response body of the default ``GET /events``."""
    moment = now()
    resp = client.query(**query_kwargs(os.environ["TABLE_NAME"], moment))
    items = resp.get("Items", [])
    page = items[:PAGE]
    cursor = None
    if len(items) > PAGE:
        # The same scope (the query string's filters, none here) and payload as the app's cursor.
        filters = json.dumps(dict.fromkeys(("state", "from", "to", "format", "status")), sort_keys=True)
        query = {
            "partition": PARTITION,
            "low": _iso(moment - MAX_EVENT_DURATION),
            "high": None,
            "ends_after": _iso(moment),
            "fmt": None,
            "status": None,
        }
        payload = {"s": hashlib.sha256(filters.encode()).hexdigest()[:16], "k": page[-1]["sk"]["S"], "q": query}
        cursor = _cursor_writer().dumps(payload)
    docs = [json.loads(item["doc"]["S"]) for item in page]
    return json.dumps({"events": docs, "next_cursor": cursor}, separators=(",", ":"))


def client_kwargs() -> dict[str, Any]:
    return {"region_name": os.environ["AWS_REGION"], "endpoint_url": os.environ.get("DYNAMODB_ENDPOINT")}
