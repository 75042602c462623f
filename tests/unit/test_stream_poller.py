"""devtools/stream_poller.py plays the deployed event source mapping (chalicelib/outbox/mapping.py)
the way Lambda does: the filter, batches, ReportBatchItemFailures, bisecting, bounded retries, the
record age, and the on-failure destination. A stand-in stream (the poller's edge) feeds it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from chalicelib.outbox import mapping
from devtools.stream_poller import StreamPoller, first_failure


class FakeStreams:
    """DynamoDB Streams with one open shard holding ``records`` (each a key and an event name)."""

    def __init__(self, records: list[tuple[str, str]], *, created: float | None = None) -> None:
        stamp = created if created is not None else time.time()  # real clock: the poller ages records by it
        self.records = [
            {
                "eventID": f"e{i}",
                "eventName": name,
                "dynamodb": {
                    "Keys": {"pk": {"S": pk}, "sk": {"S": "X"}},
                    "NewImage": {"pk": {"S": pk}, "sk": {"S": "X"}},
                    "SequenceNumber": f"{i:021d}",
                    "ApproximateCreationDateTime": stamp,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
            for i, (pk, name) in enumerate(records, start=1)
        ]

    def describe_table(self, **_: Any) -> dict[str, Any]:
        return {"Table": {"LatestStreamArn": "arn:aws:dynamodb:us-west-2:0:table/t/stream/x"}}

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]:
        after = kwargs.get("SequenceNumber")
        start = next((i + 1 for i, r in enumerate(self.records) if r["dynamodb"]["SequenceNumber"] == after), 0)
        return {"ShardIterator": str(start)}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        return {"Records": self.records[start : start + Limit], "NextShardIterator": str(len(self.records))}


class Handler:
    """The function: records the batches it was given; fails as told (raise, or report)."""

    def __init__(self, *, poison: set[str] | None = None, report: set[str] | None = None) -> None:
        self.poison = poison or set()  # keys whose presence makes the invocation raise
        self.report = report or set()  # keys reported in batchItemFailures
        self.batches: list[list[str]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
        self.batches.append(keys)
        if self.poison & set(keys):
            raise RuntimeError("poison")
        failures = [
            r["dynamodb"]["SequenceNumber"] for r in event["Records"] if r["dynamodb"]["Keys"]["pk"]["S"] in self.report
        ]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failures]}


def poller(streams: FakeStreams, handler: Handler, **kwargs: Any) -> StreamPoller:
    return StreamPoller(dynamodb=streams, streams=streams, table="t", handler=handler, region="us-west-2", **kwargs)


def test_the_filter_passes_an_outbox_items_insert_only_and_every_request_write() -> None:
    streams = FakeStreams(
        [
            ("OUTBOX#1", "INSERT"),
            ("OUTBOX#1", "MODIFY"),  # claimed, retried, parked, sent: never a new invocation
            ("OUTBOX#1", "REMOVE"),
            ("INTAKE#a#g", "INSERT"),
            ("INTAKE#a#g", "MODIFY"),  # a later post of the same address replaced the form
            ("INTAKE#a#g", "REMOVE"),
            ("SIGNINREQ#a", "MODIFY"),
            ("SIGNUPS#g", "INSERT"),
            ("MAILPAUSE", "INSERT"),
        ]
    )
    handler = Handler()
    poller(streams, handler).drain()
    assert handler.batches == [["OUTBOX#1", "INTAKE#a#g", "INTAKE#a#g", "SIGNINREQ#a"]]


def test_batches_have_the_mappings_size() -> None:
    handler = Handler()
    poller(FakeStreams([(f"OUTBOX#{i}", "INSERT") for i in range(60)]), handler).drain()
    assert [len(b) for b in handler.batches] == [mapping.BATCH_SIZE, mapping.BATCH_SIZE, 10]


def test_a_reported_failure_is_retried_from_that_record_a_bounded_number_of_times_then_skipped(
    tmp_path: Path,
) -> None:
    streams = FakeStreams([(f"INTAKE#{i}", "INSERT") for i in range(5)])
    handler = Handler(report={"INTAKE#2"})
    failures = tmp_path / "failures.jsonl"
    p = poller(streams, handler, failures_file=failures)
    p.drain()
    assert handler.batches[0] == [f"INTAKE#{i}" for i in range(5)]
    retries = handler.batches[1:]
    assert retries == [["INTAKE#2", "INTAKE#3", "INTAKE#4"]] * mapping.MAXIMUM_RETRY_ATTEMPTS
    [skipped] = p.failed
    info = skipped["DDBStreamBatchInfo"]
    assert (skipped["requestContext"]["condition"], info["batchSize"]) == ("RetryAttemptsExhausted", 3)
    assert info["startSequenceNumber"] == streams.records[2]["dynamodb"]["SequenceNumber"]
    assert [json.loads(line) for line in failures.read_text().splitlines()] == [skipped]
    assert "NewImage" not in failures.read_text()  # a description of the batch, never its contents
    p.drain()
    assert len(handler.batches) == 1 + mapping.MAXIMUM_RETRY_ATTEMPTS  # never retried forever


def test_a_batch_that_raises_is_bisected_until_the_poison_record_is_alone_then_skipped() -> None:
    streams = FakeStreams([(f"INTAKE#{i}", "INSERT") for i in range(8)])
    handler = Handler(poison={"INTAKE#5"})
    p = poller(streams, handler)
    p.drain()
    handled = {key for batch in handler.batches if "INTAKE#5" not in batch for key in batch}
    assert handled == {f"INTAKE#{i}" for i in range(8)} - {"INTAKE#5"}  # everything else went through
    alone = [b for b in handler.batches if b == ["INTAKE#5"]]
    assert 1 <= len(alone) <= mapping.MAXIMUM_RETRY_ATTEMPTS
    assert len(handler.batches) <= 1 + 2 * mapping.MAXIMUM_RETRY_ATTEMPTS  # bounded
    [skipped] = p.failed
    assert skipped["DDBStreamBatchInfo"]["batchSize"] == 1


def test_records_older_than_the_maximum_age_are_skipped_without_an_invocation() -> None:
    old = time.time() - mapping.MAXIMUM_RECORD_AGE_SECONDS - 5  # real clock: the poller ages records by it
    handler = Handler()
    p = poller(FakeStreams([("OUTBOX#1", "INSERT")], created=old), handler)
    p.drain()
    assert handler.batches == [] and p.failed[0]["requestContext"]["condition"] == "RecordAgeExceeded"


def test_lambdas_rules_for_a_partial_batch_response() -> None:
    batch = FakeStreams([("A", "INSERT"), ("B", "INSERT"), ("C", "INSERT")]).records
    seq = [r["dynamodb"]["SequenceNumber"] for r in batch]
    assert first_failure(batch, None) is None
    assert first_failure(batch, {"batchItemFailures": []}) is None
    assert first_failure(batch, {"batchItemFailures": [{"itemIdentifier": seq[2]}, {"itemIdentifier": seq[1]}]}) == 1
    assert first_failure(batch, {"batchItemFailures": [{"itemIdentifier": ""}]}) == 0  # all failed
    assert first_failure(batch, {"batchItemFailures": [{"itemIdentifier": "nope"}]}) == 0
    assert first_failure(batch, {"batchItemFailures": [{"wrong": seq[1]}]}) == 0
