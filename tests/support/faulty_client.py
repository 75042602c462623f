"""A DynamoDB client that fails on purpose: the Nth call (of chosen operations) raises the error a
storage outage gives, so a test can stop a flow at every step and look at what it left."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WRITES = frozenset({"put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"})


def outage_error(operation: str) -> Exception:
    """What botocore raises when DynamoDB answers 503 (after its own retries)."""
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": "ServiceUnavailable", "Message": "injected outage"}, "ResponseMetadata": {}},
        operation,
    )


class FaultyClient:
    """Wraps a boto3 DynamoDB client. ``fail_at``: the 1-based number of the counted call that
    fails (counted over ``operations``); ``sticky``: every counted call from then on fails too
    (an outage that lasts), else only that one (a blip); ``lose_answer``: the failing call is
    applied first and only its answer is lost (a timeout after DynamoDB did the write)."""

    def __init__(
        self,
        client: Any,
        *,
        fail_at: int | None = None,
        operations: Iterable[str] = WRITES,
        sticky: bool = False,
        lose_answer: bool = False,
        error: Callable[[str], Exception] = outage_error,
    ) -> None:
        self._client = client
        self.fail_at = fail_at
        self.operations = frozenset(operations)
        self.sticky = sticky
        self.error = error
        self.lose_answer = lose_answer
        self.count = 0
        self.calls: list[str] = []
        self.failed: list[str] = []
        # The failed calls' arguments: a test may replay one as a write that lands late.
        self.failed_calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in self.operations or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            self.calls.append(name)
            if self.fail_at is not None and (self.count == self.fail_at or (self.sticky and self.count > self.fail_at)):
                self.failed.append(name)
                self.failed_calls.append((name, kwargs))
                if self.lose_answer:
                    attr(*args, **kwargs)
                raise self.error(name)
            return attr(*args, **kwargs)

        return call
