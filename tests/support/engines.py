"""Stack fixtures shared by the integration and e2e tiers (each tier's conftest imports them)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib import container
from devtools import dynamodb_local
from tests.support.stacks import Stack, open_stack, stack_env

_table_ids = itertools.count()


@pytest.fixture
def moto_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    from moto import mock_aws

    with mock_aws():
        yield open_stack(monkeypatch, stack_env(tmp_path, "mbc-test"))
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
    table = f"mbc-test-{os.getpid()}-{next(_table_ids)}"
    stack = open_stack(monkeypatch, stack_env(tmp_path, table, dynamodb_engine.endpoint))
    yield stack
    stack.client.delete_table(TableName=table)
    container.reset()
