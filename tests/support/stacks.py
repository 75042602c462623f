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
        sweep the scheduled run does. Returns how many records or items were handled."""
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
            return self._poller.drain()
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
    ensure_table(client, settings.table_name)
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
