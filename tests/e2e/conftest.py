"""End-to-end tier: real processes over real HTTP (`make run`'s whole stack, or a bare
`chalice local`), the browser, and fuzzing against the live OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.engines import ddb_stack, dynamodb_engine
from tests.support.live import LiveStack, run_stack

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """`make run`'s stack (DynamoDB Local + chalice local + web/), isolated, shared by a session."""
    state = tmp_path_factory.mktemp("stack") / "local"
    with run_stack(state, {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "100000"}) as stack:
        yield stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright (its own browser download cannot work here)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make browser` (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


__all__ = ["browser", "ddb_stack", "dynamodb_engine", "live_stack"]
