"""Small helpers over the low-level DynamoDB client (the resource API costs
extra cold-start time and hides the request shape we want to see)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_ser = TypeSerializer()
_de = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in item.items():
        value = _de.deserialize(raw)
        # Numbers come back as Decimal; every number we store is an integer.
        if type(value).__name__ == "Decimal":
            value = int(value)
        out[key] = value
    return out


def query_pages(client: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of a Query, following LastEvaluatedKey."""
    while True:
        resp: dict[str, Any] = client.query(**kwargs)
        yield resp
        if "LastEvaluatedKey" not in resp:
            return
        kwargs = {**kwargs, "ExclusiveStartKey": resp["LastEvaluatedKey"]}


def query_items(client: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of a Query, across pages."""
    for page in query_pages(client, **kwargs):
        yield from page.get("Items", [])


def cancellation_reasons(exc: Exception) -> list[str]:
    """The per-item codes of a cancelled transaction ("None" for items that were fine)."""
    response = getattr(exc, "response", {}) or {}
    return [r.get("Code", "None") for r in response.get("CancellationReasons", [])]


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", ""))
