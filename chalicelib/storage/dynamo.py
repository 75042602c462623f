"""Small helpers over the low-level DynamoDB client. Our own few lines of marshalling instead of
boto3's: importing the boto3 package (and with it s3transfer and multiprocessing) costs a cold
start ~15 ms for nothing we use; the resource API would cost more and hide the request shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def to_attr(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value. We store text, whole numbers, booleans,
    lists and maps only (floats would lose precision: refuse them)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, (list, tuple)):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def from_attr(attr: dict[str, Any]) -> Any:
    (kind, raw), *_ = attr.items()
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "L":
        return [from_attr(v) for v in raw]
    if kind == "M":
        return {k: from_attr(v) for k, v in raw.items()}
    if kind == "SS":
        return set(raw)
    raise TypeError(f"unexpected DynamoDB attribute type {kind}")


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """A whole item; None values are left out (an absent attribute, not a NULL)."""
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: from_attr(raw) for key, raw in item.items()}


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
