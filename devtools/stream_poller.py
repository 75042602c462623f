"""Feeds the app's stream handler (``app.outbox_sender``) from DynamoDB Local's own stream, as the
Lambda event source mapping does in AWS: the same handler, Lambda-shaped events, the same record
filter (OUTBOX#, INTAKE# and SIGNINREQ# items, INSERT and MODIFY), and retries of a batch that failed.

Used by `make run` (a background thread) and by the tests on DynamoDB Local (``drain``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

log = logging.getLogger("mbc.stream")

# The same filter infra gives the event source mapping (infra/mbc_infra/stage_stack.py).
PREFIXES = ("OUTBOX#", "INTAKE#", "SIGNINREQ#")
EVENTS = ("INSERT", "MODIFY")
BATCH_SIZE = 25

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """Enough of Lambda's context object for the handler."""

    function_name = "outbox_sender"
    memory_limit_in_mb = 512
    aws_request_id = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


def _wanted(record: dict[str, Any]) -> bool:
    pk = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S", "")
    return record.get("eventName") in EVENTS and pk.startswith(PREFIXES)


def _as_lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    body = dict(record["dynamodb"])
    created = body.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):  # botocore parses it; Lambda sends epoch seconds
        body["ApproximateCreationDateTime"] = created.timestamp()
    body.setdefault("ApproximateCreationDateTime", time.time())
    body.setdefault("SizeBytes", 0)
    return {
        "eventID": record.get("eventID", body.get("SequenceNumber", "")),
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }


class StreamPoller:
    def __init__(self, *, dynamodb: Any, streams: Any, table: str, handler: Handler, region: str) -> None:
        self.dynamodb = dynamodb
        self.streams = streams
        self.table = table
        self.handler = handler
        self.region = region
        self.stream_arn: str | None = None
        # shard id -> last sequence number handed to the handler successfully (None: from the start)
        self.done: dict[str, str | None] = {}
        self.closed: set[str] = set()

    def _arn(self) -> str:
        if self.stream_arn is None:
            self.stream_arn = str(self.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"])
        return self.stream_arn

    def _shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamArn": self._arn()}
        while True:
            description = self.streams.describe_stream(**kwargs)["StreamDescription"]
            shards += description.get("Shards", [])
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            kwargs["ExclusiveStartShardId"] = last

    def _iterator(self, shard_id: str) -> str:
        after = self.done.get(shard_id)
        kwargs: dict[str, Any] = {"StreamArn": self._arn(), "ShardId": shard_id}
        if after:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        else:
            kwargs.update(ShardIteratorType="TRIM_HORIZON")
        return str(self.streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def poll_once(self) -> int:
        """Hand every new record (in batches, in order, per shard) to the handler. Returns how many.
        A batch whose handler raised is offered again on the next poll (as Lambda retries it)."""
        handed = 0
        for shard in self._shards():
            shard_id = shard["ShardId"]
            if shard_id in self.closed:
                continue
            self.done.setdefault(shard_id, None)
            iterator: str | None = self._iterator(shard_id)
            while iterator:
                page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                records = page.get("Records", [])
                if not records:
                    if page.get("NextShardIterator") is None:
                        self.closed.add(shard_id)
                    break
                for start in range(0, len(records), BATCH_SIZE):
                    batch = records[start : start + BATCH_SIZE]
                    wanted = [_as_lambda_record(r, self._arn(), self.region) for r in batch if _wanted(r)]
                    if wanted:
                        self.handler({"Records": wanted}, LambdaContext())  # raises: retried next poll
                        handed += len(wanted)
                    self.done[shard_id] = batch[-1]["dynamodb"]["SequenceNumber"]
                iterator = page.get("NextShardIterator")
        return handed

    def drain(self, *, quiet_polls: int = 2, limit: int = 50) -> int:
        """Poll until nothing new arrives (what the handler writes is handled too)."""
        total, quiet = 0, 0
        for _ in range(limit):
            handed = self.poll_once()
            total += handed
            quiet = quiet + 1 if handed == 0 else 0
            if quiet >= quiet_polls:
                break
        return total

    def run(self, stop: threading.Event, *, interval: float = 0.5) -> None:
        """Poll until ``stop`` is set; a failing batch is retried with a growing pause (at most 30 s)."""
        pause = interval
        while not stop.is_set():
            try:
                self.poll_once()
                pause = interval
            except Exception as exc:  # deliberate: the poller outlives any one failure, as Lambda does
                log.warning("outbox stream batch failed (retrying): %s", type(exc).__name__)
                self.stream_arn = None  # the engine may have restarted: describe the stream again
                self.closed.clear()
                pause = min(30.0, pause * 2)
            stop.wait(pause)
