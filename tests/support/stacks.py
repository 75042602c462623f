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

    @property
    def table(self) -> str:
        return self.settings.table_name

    def build(self, **overrides: Any) -> Container:
        """Another container on the same table, settings and clock (not installed). On moto, the
        distribution runs one worker: moto is not thread-safe (concurrency is tested on DynamoDB Local)."""
        overrides.setdefault("sleep", lambda _seconds: None)
        if self.settings.dynamodb_endpoint is None:
            overrides.setdefault("workers", 1)
        return container.build(settings=self.settings, clock=self.clock, dynamodb=self.client, **overrides)

    def rebuild(self, **overrides: Any) -> Container:
        """Replace the installed container (e.g. with a fake SES as its mailer)."""
        self.container = self.build(**overrides)
        container.install(self.container)
        return self.container


def open_stack(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Stack:
    for name in ("DYNAMODB_ENDPOINT", "SIGNING_KEY_PARAM"):
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


def make_client(stack: Stack) -> Any:
    """chalice.test's client on the app; the stack's container is the app's."""
    from chalice.test import Client

    from app import app

    container.install(stack.container)
    return Client(app, stage_name="local", project_dir=str(ROOT))
