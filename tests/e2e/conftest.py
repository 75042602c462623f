"""End-to-end tier: real processes over real HTTP (`make run`'s whole stack, or a bare
`chalice local`), the browser, and fuzzing against the live OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.engines import ddb_stack, dynamodb_engine
from tests.support.live import LiveStack, run_stack


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """`make run`'s stack (DynamoDB Local + chalice local + web/), isolated, shared by a session."""
    state = tmp_path_factory.mktemp("stack") / "local"
    with run_stack(state, {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "100000"}) as stack:
        yield stack


__all__ = ["ddb_stack", "dynamodb_engine", "live_stack"]
