"""End-to-end tier: real processes over real HTTP (`make run`'s whole stack, or a bare
`chalice local`), the browser, and fuzzing against the live OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.engines import ddb_stack, dynamodb_engine
from tests.support.live import LiveStack, run_stack


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """`make run`'s stack (DynamoDB Local + chalice local + web/), isolated, shared by a session."""
    state = tmp_path_factory.mktemp("stack") / "local"
    with run_stack(state, {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "100000"}) as stack:
        yield stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright, one for the whole session (Playwright's sync API
    allows one at a time), shared by the website's and the console's browser tests."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import CHROMIUM, FLAGS

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make browser` (apt-get install chromium)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


__all__ = ["ddb_stack", "dynamodb_engine", "live_stack"]
