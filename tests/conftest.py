"""Shared fixtures.

Two engines: moto (fast, in-process) for unit and HTTP tests, and the official
DynamoDB Local (one in-memory engine per session, a fresh table per test) for
anything about transactions, conditional writes, races and indexes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib import container
from chalicelib.settings import Settings, get_settings
from chalicelib.table import ensure_table
from devtools import dynamodb_local

ROOT = Path(__file__).resolve().parent.parent
_table_ids = itertools.count()


@dataclass
class Stack:
    settings: Settings
    client: Any
    outbox: Path

    @property
    def table(self) -> str:
        return self.settings.table_name


def _base_env(tmp_path: Path, table: str) -> dict[str, str]:
    return {
        "STAGE": "test",
        "TABLE_NAME": table,
        "LOCAL_STATE_DIR": str(tmp_path / "state"),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "MAIL_BACKEND": "outbox",
        "PUBLIC_API_URL": "http://api.test",
        "WEBSITE_ORIGINS": "https://www.example.org",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_REGION": "us-west-2",
    }


def _warm(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for key in ("DYNAMODB_ENDPOINT", "SIGNING_KEY_PARAM"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    container.reset()
    # Cache the settings now: chalice.test.Client re-applies the config.json
    # stage variables on each request, and these must win for the test.
    return get_settings()


@pytest.fixture
def moto_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    from moto import mock_aws

    with mock_aws():
        settings = _warm(monkeypatch, _base_env(tmp_path, "mbc-test"))
        from chalicelib.aws import dynamodb_client

        client = dynamodb_client(settings)
        ensure_table(client, settings.table_name)
        yield Stack(settings, client, Path(settings.outbox_dir))
    container.reset()


@pytest.fixture(scope="session")
def dynamodb_engine() -> Iterator[dynamodb_local.DynamoDBLocal]:
    engine = dynamodb_local.start()
    yield engine
    engine.stop()


@pytest.fixture
def ddb_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dynamodb_engine: dynamodb_local.DynamoDBLocal
) -> Iterator[Stack]:
    env = _base_env(tmp_path, f"mbc-test-{os.getpid()}-{next(_table_ids)}")
    env["DYNAMODB_ENDPOINT"] = dynamodb_engine.endpoint
    settings = _warm(monkeypatch, env)
    from chalicelib.aws import dynamodb_client

    client = dynamodb_client(settings)
    ensure_table(client, settings.table_name)
    yield Stack(settings, client, Path(settings.outbox_dir))
    client.delete_table(TableName=settings.table_name)
    container.reset()


@pytest.fixture(params=["moto", "dynamodb_local"])
def any_stack(request: pytest.FixtureRequest) -> Stack:
    """Runs a test on both engines."""
    name = "moto_stack" if request.param == "moto" else "ddb_stack"
    stack: Stack = request.getfixturevalue(name)
    return stack


def make_client(stack: Stack) -> Any:
    from chalice.test import Client

    from app import app

    return Client(app, stage_name="local", project_dir=str(ROOT))


@pytest.fixture
def api(moto_stack: Stack) -> Iterator[Any]:
    with make_client(moto_stack) as client:
        yield client


@pytest.fixture
def organizer_key(moto_stack: Stack) -> str:
    from chalicelib.auth import create_organizer

    _, key = create_organizer(container.organizers(), "Test Organizer", "organizer@example.org")
    return key


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """`make run`'s stack (DynamoDB Local + chalice local + web/), isolated, shared by a session."""
    from tests.stack import run_stack

    state = tmp_path_factory.mktemp("stack") / "local"
    with run_stack(state, {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "100000"}) as stack:
        yield stack
