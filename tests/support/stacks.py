"""The integration tier's stacks: a table on moto or on DynamoDB Local, and a container wired to
it (explicit settings, a test clock, the .eml outbox), installed as the process's container so
the app under chalice.test and the services under test share it.

The same variables are exported to the environment, so a CLI started as a subprocess
(``python -m chalicelib.cli``) reaches the same table and outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib import container
from chalicelib.container import Container
from chalicelib.settings import Settings
from tests.support.clock import TestClock

ROOT = Path(__file__).resolve().parent.parent.parent


def stack_env(tmp_path: Path, table: str, endpoint: str | None = None) -> dict[str, str]:
    env = {
        "STAGE": "test",
        "TABLE_NAME": table,
        "LOCAL_STATE_DIR": str(tmp_path / "state"),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "MAIL_BACKEND": "outbox",
        "PUBLIC_API_URL": "http://api.test",
        "WEBSITE_ORIGINS": "https://www.example.org",
        "MAX_SEND_RATE": "10000",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_REGION": "us-west-2",
    }
    if endpoint:
        env["DYNAMODB_ENDPOINT"] = endpoint
    return env


@dataclass
class Stack:
    settings: Settings
    client: Any
    outbox: Path
    clock: TestClock
    container: Container
    _poller: Any = None
    _markers: Any = None

    @property
    def table(self) -> str:
        return self.settings.table_name

    def build(self, **overrides: Any) -> Container:
        """Another container on the same table, settings and clock (not installed). On moto, the
        distribution runs one worker: moto is not thread-safe (concurrency is tested on DynamoDB Local)."""
        overrides.setdefault("sleep", lambda _seconds: None)
        if self.settings.dynamodb_endpoint is None:
            overrides.setdefault("workers", 1)
        overrides.setdefault("dynamodb", self.client)
        return container.build(settings=self.settings, clock=self.clock, **overrides)

    def rebuild(self, **overrides: Any) -> Container:
        """Replace the installed container (e.g. with a fake SES as its mailer)."""
        self.container = self.build(**overrides)
        container.install(self.container)
        return self.container

    def drain(self) -> int:
        """Let the outbox's handler catch up, as the stream would within a second in AWS: on DynamoDB
        Local through its stream (the poller `make run` uses), on moto (no stream API) through the
        sweep the scheduled run does. Returns how many records or items were handled.

        On DynamoDB Local a write reaches the stream a moment later (longer on a loaded machine), so
        "two empty polls" is no proof of "caught up": each round writes a marker item and waits until
        the stream shows it, then polls; rounds repeat while the handler wrote something new."""
        container.install(self.container)
        if self.settings.dynamodb_endpoint:
            if self._poller is None:
                from app import outbox_sender
                from chalicelib.aws import dynamodb_streams_client
                from devtools.stream_poller import StreamPoller

                streams = dynamodb_streams_client(self.settings)
                self._poller = StreamPoller(
                    dynamodb=self.client,
                    streams=streams,
                    table=self.table,
                    handler=outbox_sender,
                    region=self.settings.aws_region,
                )
                self._markers = StreamMarkers(self.client, streams, self.table)
            total = 0
            for _ in range(20):
                self._markers.write_and_wait()
                handed = int(self._poller.drain(quiet_polls=1))
                total += handed
                if handed == 0:
                    break
            return total
        from datetime import timedelta

        total = 0
        for _ in range(5):  # a form makes an outbox item, which the next round sends
            done = self.container.outbox.sweep(
                pending_intake=self.container.signups.pending_intakes, min_age=timedelta(0)
            )
            total += sum(done.values())
            if not done.get("processed"):
                break  # each item was offered once, as the stream would (retries come later)
        return total


class StreamMarkers:
    """A second reader of DynamoDB Local's stream, for tests only: ``write_and_wait`` puts a marker
    item (no personal data, a prefix the outbox's filter ignores) and returns once the stream shows
    it, so every write made before it is visible to the poller too; then deletes the marker."""

    PREFIX = "TESTMARK#"

    def __init__(self, client: Any, streams: Any, table: str) -> None:
        self.client = client
        self.streams = streams
        self.table = table
        self.after: dict[str, str | None] = {}
        self.count = 0

    def write_and_wait(self, timeout: float = 30.0) -> None:
        import time

        self.count += 1
        marker = f"{self.PREFIX}{self.count}"
        self.client.put_item(TableName=self.table, Item={"pk": {"S": marker}, "sk": {"S": "MARK"}})
        deadline = time.monotonic() + timeout
        while marker not in self._new_keys():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the stream did not show {marker} within {timeout} s")
            time.sleep(0.01)
        # Leave the table as the test made it (a test may read it whole); the REMOVE is filtered out.
        self.client.delete_item(TableName=self.table, Key={"pk": {"S": marker}, "sk": {"S": "MARK"}})

    def _new_keys(self) -> set[str]:
        arn = self.client.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        keys: set[str] = set()
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"].get("Shards", [])
        for shard in shards:
            shard_id = shard["ShardId"]
            after = self.after.get(shard_id)
            kwargs: dict[str, Any] = {"StreamArn": arn, "ShardId": shard_id}
            if after:
                kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
            else:
                kwargs.update(ShardIteratorType="TRIM_HORIZON")
            iterator = self.streams.get_shard_iterator(**kwargs)["ShardIterator"]
            while iterator:
                page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                records = page.get("Records", [])
                if not records:
                    break
                for record in records:
                    keys.add(record["dynamodb"].get("Keys", {}).get("pk", {}).get("S", ""))
                self.after[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                iterator = page.get("NextShardIterator")
        return keys


def open_stack(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Stack:
    for name in ("DYNAMODB_ENDPOINT", "SIGNING_KEY_PARAM", "SIGNING_KEY_PREVIOUS_PARAM", "IDENTITY_KEY_PARAM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    container.reset()
    settings = Settings.from_env(env)
    from chalicelib.aws import dynamodb_client
    from chalicelib.table import ensure_table

    client = dynamodb_client(settings)
    # No TTL: the clock is fixed, and DynamoDB Local expires items by the real clock (table.py).
    ensure_table(client, settings.table_name, time_to_live=False)
    clock = TestClock()
    stack = Stack(settings, client, Path(settings.outbox_dir), clock, container.build(settings=settings, clock=clock))
    stack.rebuild()
    return stack


class _DrainingHttp:
    """chalice.test's HTTP client, with the outbox drained after each request (as in AWS, where
    the stream delivers what a request promised within a second)."""

    def __init__(self, http: Any, stack: Stack) -> None:
        self._http = http
        self._stack = stack

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._http, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            response = method(*args, **kwargs)
            self._stack.drain()
            return response

        return call


class DrainingClient:
    def __init__(self, stack: Stack) -> None:
        from chalice.test import Client

        from app import app

        container.install(stack.container)
        self._client = Client(app, stage_name="local", project_dir=str(ROOT))
        self.http = _DrainingHttp(self._client.http, stack)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def __enter__(self) -> DrainingClient:
        self._client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.__exit__(*exc)


def make_client(stack: Stack) -> DrainingClient:
    """chalice.test's client on the app; the stack's container is the app's."""
    return DrainingClient(stack)
