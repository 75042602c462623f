"""Integration tier: a fresh table per test on moto (fast, in-process) or on the official
DynamoDB Local (one in-memory engine per session) for anything about transactions, conditional
writes, races and indexes: moto does not serialise concurrent conditional writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.engines import ddb_stack, dynamodb_engine, moto_stack
from tests.support.stacks import Stack, make_client

__all__ = ["ddb_stack", "dynamodb_engine", "moto_stack"]


@pytest.fixture(params=["moto", "dynamodb_local"])
def any_stack(request: pytest.FixtureRequest) -> Stack:
    """Runs a test on both engines."""
    name = "moto_stack" if request.param == "moto" else "ddb_stack"
    stack: Stack = request.getfixturevalue(name)
    return stack


@pytest.fixture
def api(moto_stack: Stack) -> Iterator[Any]:
    with make_client(moto_stack) as client:
        yield client


@pytest.fixture
def organizer_key(moto_stack: Stack) -> str:
    _, key = moto_stack.container.organizers.create(name="Test Organizer", email="organizer@example.org")
    return key


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs on DynamoDB Local (``-m "not ddblocal"`` selects the moto tier)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_engine = "ddb_stack" in names or "dynamodb_engine" in names
        if "any_stack" in names and callspec is not None and callspec.params.get("any_stack") == "dynamodb_local":
            on_engine = True
        if on_engine:
            item.add_marker(pytest.mark.ddblocal)
