"""Shared DynamoDB plumbing: marshalling, paging, and condition expressions built from named parts.

Our own few lines of marshalling instead of boto3's: importing the boto3 package (and with it
s3transfer and multiprocessing) costs a cold start ~15 ms for nothing we use; the resource API
would cost more and hide the request shape.

Repositories state each condition as a named ``Cond`` (``ITEM_IS_NEW``, ``lease_expired(now)``,
...) and combine them with ``&`` / ``|``; they catch the exact exceptions of the client
(``client.exceptions.ConditionalCheckFailedException``, ``TransactionCanceledException``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A whole item; None values are left out (an absent attribute, not a NULL)."""
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: from_attr(raw) for key, raw in item.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def without_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored item as a record: unmarshalled, without the table's key attributes."""
    values = from_item(item)
    for name in ("pk", "sk", "gsi1pk", "gsi1sk"):
        values.pop(name, None)
    return values


# Cond, Update and Transaction are plain classes, not dataclasses: this module is imported by every
# cold start, and generating a dataclass's methods at import costs more than these lines (issue 23).


class Cond:
    """A condition expression and the placeholders it uses (values as plain Python)."""

    __slots__ = ("names", "text", "values")

    def __init__(
        self, text: str, names: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None
    ) -> None:
        self.text = text
        self.names: Mapping[str, str] = {} if names is None else names
        self.values: Mapping[str, Any] = {} if values is None else values

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cond) and (other.text, other.names, other.values) == (
            self.text,
            self.names,
            self.values,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Cond(text={self.text!r}, names={self.names!r}, values={self.values!r})"

    def _join(self, other: Cond, op: str) -> Cond:
        for placeholder, value in other.values.items():
            if placeholder in self.values and self.values[placeholder] != value:
                raise ValueError(f"conditions disagree on {placeholder}")
        return Cond(
            f"{_grouped(self.text)} {op} {_grouped(other.text)}",
            {**self.names, **other.names},
            {**self.values, **other.values},
        )

    def __and__(self, other: Cond) -> Cond:
        return self._join(other, "AND")

    def __or__(self, other: Cond) -> Cond:
        return self._join(other, "OR")

    def kwargs(self) -> dict[str, Any]:
        """ConditionExpression with its names and values, ready for a request."""
        out: dict[str, Any] = {"ConditionExpression": self.text}
        if self.names:
            out["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            out["ExpressionAttributeValues"] = {k: to_attr(v) for k, v in self.values.items()}
        return out


def _grouped(text: str) -> str:
    """Parenthesise a compound operand (DynamoDB refuses redundant parentheses, so only then)."""
    if " AND " not in text and " OR " not in text:
        return text
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and i < len(text) - 1:
            return f"({text})"  # the text is not one parenthesised whole
    return text if text.startswith("(") else f"({text})"


ITEM_IS_NEW = Cond("attribute_not_exists(pk)")
ITEM_EXISTS = Cond("attribute_exists(pk)")


def version_is(expected: int) -> Cond:
    """Optimistic lock: the stored item is still at the version the writer read."""
    return Cond("#version = :expected_version", {"#version": "version"}, {":expected_version": expected})


def status_in(statuses: tuple[str, ...] | list[str]) -> Cond:
    placeholders = {f":status{i}": s for i, s in enumerate(statuses)}
    return Cond(f"#status IN ({', '.join(placeholders)})", {"#status": "status"}, placeholders)


def status_is(status: str) -> Cond:
    return Cond("#status = :status_is", {"#status": "status"}, {":status_is": status})


# A row claimed for one run with a lease (the delivery ledgers: a meeting's, an announcement's).
CLAIMED = Cond("#status = :claimed", {"#status": "status"}, {":claimed": "claimed"})


def lease_expired(now_epoch: int) -> Cond:
    """Claimed by a run whose lease ran out (it died): another run may take the row over."""
    return CLAIMED & Cond("lease_until < :now", values={":now": now_epoch})


def claimed_by(run_id: str) -> Cond:
    return Cond("run_id = :run", values={":run": run_id})


def merge_expression(request: dict[str, Any], cond: Cond) -> dict[str, Any]:
    """Add a condition to a request that may already carry names and values (an update)."""
    extra = cond.kwargs()
    out = {**request, "ConditionExpression": extra["ConditionExpression"]}
    for part in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        merged = {**request.get(part, {}), **extra.get(part, {})}
        if merged:
            out[part] = merged
    return out


class Update:
    """An UpdateExpression built from named assignments (SET/REMOVE/ADD), placeholders generated."""

    __slots__ = ("adds", "removes", "sets")

    def __init__(
        self, sets: dict[str, Any] | None = None, removes: tuple[str, ...] = (), adds: dict[str, int] | None = None
    ) -> None:
        self.sets: dict[str, Any] = {} if sets is None else sets
        self.removes = removes
        self.adds: dict[str, int] = {} if adds is None else adds

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Update) and (other.sets, other.removes, other.adds) == (
            self.sets,
            self.removes,
            self.adds,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Update(sets={self.sets!r}, removes={self.removes!r}, adds={self.adds!r})"

    def request(self) -> dict[str, Any]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        clauses: list[str] = []
        if self.sets:
            parts = []
            for i, (attr, value) in enumerate(self.sets.items()):
                names[f"#s{i}"] = attr
                values[f":s{i}"] = to_attr(value)
                parts.append(f"#s{i} = :s{i}")
            clauses.append("SET " + ", ".join(parts))
        if self.removes:
            for i, attr in enumerate(self.removes):
                names[f"#r{i}"] = attr
            clauses.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(self.removes))))
        if self.adds:
            parts = []
            for i, (attr, amount) in enumerate(self.adds.items()):
                names[f"#a{i}"] = attr
                values[f":a{i}"] = {"N": str(amount)}
                parts.append(f"#a{i} :a{i}")
            clauses.append("ADD " + ", ".join(parts))
        out: dict[str, Any] = {"UpdateExpression": " ".join(clauses), "ExpressionAttributeNames": names}
        if values:
            out["ExpressionAttributeValues"] = values
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


def partition_items(client: Any, table: str, pk: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of one partition (``kwargs``: ConsistentRead, ProjectionExpression, ...)."""
    return query_items(
        client,
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        **kwargs,
    )


# DynamoDB (or the network to it) is not answering: worth a retry in a little while.
_UNAVAILABLE_CODES = {
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
}


def is_unavailable(exc: BaseException) -> bool:
    """Is this a storage (or AWS) outage rather than a bug? botocore is imported only to tell."""
    if not type(exc).__module__.startswith("botocore"):
        return False
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, (ConnectionError, HTTPClientError)):
        return True
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return error.get("Code") in _UNAVAILABLE_CODES or status >= 500
    return False


def cancellation_reasons(exc: Exception) -> list[str]:
    """The per-item codes of a cancelled transaction ("None" for items that were fine)."""
    response = getattr(exc, "response", {}) or {}
    return [r.get("Code", "None") for r in response.get("CancellationReasons", [])]


class TransactionCancelled(Exception):
    """A transaction was refused; ``reasons`` has one code per item ("None" where it was fine)."""

    def __init__(self, reasons: list[str], labels: list[str]) -> None:
        super().__init__(", ".join(f"{label}={reason}" for label, reason in zip(labels, reasons, strict=False)))
        self.reasons = reasons
        self.labels = labels

    def failed(self, label: str) -> bool:
        """Did the item added under ``label`` fail its condition?"""
        return any(
            lbl == label and reason == "ConditionalCheckFailed"
            for lbl, reason in zip(self.labels, self.reasons, strict=False)
        )


class Transaction:
    """Items from several repositories written together or not at all (one TransactWriteItems).

    Repositories hand out items (``{"Put": ...}``, ``{"Update": ...}``, ...); services add them
    under a label and commit. A refused condition raises ``TransactionCancelled`` naming the labels."""

    __slots__ = ("items", "labels")

    def __init__(self, items: list[dict[str, Any]] | None = None, labels: list[str] | None = None) -> None:
        self.items: list[dict[str, Any]] = [] if items is None else items
        self.labels: list[str] = [] if labels is None else labels

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Transaction) and (other.items, other.labels) == (self.items, self.labels)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Transaction(labels={self.labels!r})"  # the items may hold personal data

    def add(self, label: str, item: dict[str, Any]) -> Transaction:
        self.items.append(item)
        self.labels.append(label)
        return self

    def commit(self, client: Any) -> None:
        if not self.items:
            return
        try:
            client.transact_write_items(TransactItems=self.items)
        except client.exceptions.TransactionCanceledException as exc:
            raise TransactionCancelled(cancellation_reasons(exc), self.labels) from exc
