"""Feeds the app's stream handler (``app.outbox_sender``) from DynamoDB Local's own stream, as the
Lambda event source mapping does in AWS, driven by the same definition infra deploys
(chalicelib/outbox/mapping.py): the filter, the batch size, ``ReportBatchItemFailures`` (a retry
starts at the first failed record), bisecting a batch that raised, at most
``MAXIMUM_RETRY_ATTEMPTS`` retries and ``MAXIMUM_RECORD_AGE_SECONDS``, then the batch's description
to the on-failure destination (``failed``, a list; and a JSON-lines file if given) and on with the
stream. A failing record never holds the stream up for good, and never is retried forever.

Used by `make run` (a background thread) and by the tests on DynamoDB Local (``drain``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.outbox import mapping

log = logging.getLogger("mbc.stream")

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """Enough of Lambda's context object for the handler."""

    function_name = "outbox_sender"
    memory_limit_in_mb = 512
    aws_request_id = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


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


def first_failure(batch: list[dict[str, Any]], response: Any) -> int | None:
    """Where a retry starts, from the handler's answer (Lambda's rules): None if the batch
    succeeded; the lowest reported record; 0 (all) if an identifier is empty or unknown."""
    if "ReportBatchItemFailures" not in mapping.FUNCTION_RESPONSE_TYPES or not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures") or []
    if not isinstance(failures, list) or not failures:
        return None
    positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
    found: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in positions:
            return 0
        found.append(positions[identifier])
    return min(found)


class StreamPoller:
    def __init__(
        self,
        *,
        dynamodb: Any,
        streams: Any,
        table: str,
        handler: Handler,
        region: str,
        failures_file: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.dynamodb = dynamodb
        self.streams = streams
        self.table = table
        self.handler = handler
        self.region = region
        self.failures_file = failures_file
        self.clock = clock
        self.stream_arn: str | None = None
        # shard id -> last sequence number handled or skipped (None: from the start)
        self.done: dict[str, str | None] = {}
        self.closed: set[str] = set()
        # The on-failure destination: one entry per skipped batch (what AWS sends to the queue).
        self.failed: list[dict[str, Any]] = []
        self.invocations = 0

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
            kwargs.update(ShardIteratorType=mapping.STARTING_POSITION)
        return str(self.streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def poll_once(self) -> int:
        """Hand every new record that passes the filter to the handler, in batches, in order, per
        shard. Returns how many records were handed (retries not counted)."""
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
                lambda_records = [_as_lambda_record(r, self._arn(), self.region) for r in records]
                wanted = [r for r in lambda_records if mapping.wanted(r)]
                for start in range(0, len(wanted), mapping.BATCH_SIZE):
                    batch = wanted[start : start + mapping.BATCH_SIZE]
                    self._deliver(shard_id, batch)
                    handed += len(batch)
                self.done[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                iterator = page.get("NextShardIterator")
        return handed

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """One batch, as Lambda's poller does it: retries, bisecting, skipping."""
        work: list[tuple[list[dict[str, Any]], int]] = [(records, 0)]
        while work:
            batch, retries = work.pop(0)
            oldest_allowed = self.clock() - mapping.MAXIMUM_RECORD_AGE_SECONDS
            too_old = [r for r in batch if r["dynamodb"]["ApproximateCreationDateTime"] < oldest_allowed]
            if too_old:
                self._skip(shard_id, too_old, "RecordAgeExceeded", retries)
                batch = [r for r in batch if r not in too_old]
            if not batch:
                continue
            self.invocations += 1
            error = False
            try:
                failed_at = first_failure(batch, self.handler({"Records": batch}, LambdaContext()))
            except Exception as exc:  # deliberate: a function error, as Lambda sees it
                log.warning("outbox stream batch failed (%d records): %s", len(batch), type(exc).__name__)
                failed_at, error = 0, True
            if failed_at is None:
                continue
            rest = batch[failed_at:]
            if retries >= mapping.MAXIMUM_RETRY_ATTEMPTS:
                self._skip(shard_id, rest, "RetryAttemptsExhausted", retries)
            elif error and mapping.BISECT_BATCH_ON_FUNCTION_ERROR and len(rest) > 1:
                half = len(rest) // 2
                work[0:0] = [(rest[:half], retries + 1), (rest[half:], retries + 1)]
            else:
                work.insert(0, (rest, retries + 1))

    def _skip(self, shard_id: str, batch: list[dict[str, Any]], condition: str, retries: int) -> None:
        """The on-failure destination gets the batch's description (never its records' contents)."""
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        entry = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "condition": condition,
                "functionArn": "outbox_sender",
                "approximateInvokeCount": retries + 1,
            },
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first["ApproximateCreationDateTime"],
                "approximateArrivalOfLastRecord": last["ApproximateCreationDateTime"],
                "batchSize": len(batch),
                "streamArn": self._arn(),
            },
        }
        self.failed.append(entry)
        log.warning("outbox stream batch skipped to the failure destination (%s, %d records)", condition, len(batch))
        if self.failures_file is not None:
            with self.failures_file.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")

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
        """Poll until ``stop`` is set; when the stream cannot be read (the engine restarting), wait
        a growing pause (at most 30 s). Failing batches are retried and skipped by ``poll_once``."""
        pause = interval
        while not stop.is_set():
            try:
                self.poll_once()
                pause = interval
            except Exception as exc:  # deliberate: the poller outlives any one failure, as Lambda does
                log.warning("outbox stream could not be read (retrying): %s", type(exc).__name__)
                self.stream_arn = None  # the engine may have restarted: describe the stream again
                self.closed.clear()
                pause = min(30.0, pause * 2)
            stop.wait(pause)
