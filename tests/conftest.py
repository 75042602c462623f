"""Shared by every tier: Hypothesis profiles.

Tiers: ``tests/unit`` (no database, no network), ``tests/integration`` (moto and DynamoDB Local),
``tests/e2e`` (real HTTP, the browser, fuzzing). Each has its own conftest.py; what they share
lives in ``tests/support``.

``pytest --hypothesis-profile=thorough`` runs the property and stateful tests much longer.

``pytest --shift-wall-clock=DAYS`` runs the session under a wall clock moved DAYS ahead (or back,
if negative) with time-machine: ``datetime.now``, ``time.time`` and friends in this process say
the shifted date and keep ticking. Every container of the suite reads the injected test clock
(fixed by default), so the outcome must not change; ``make test`` proves it (``test-shifted``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shift-wall-clock",
        type=float,
        default=None,
        metavar="DAYS",
        help="run under a wall clock shifted DAYS ahead (negative: back), to prove no test reads today's date",
    )


def pytest_configure(config: pytest.Config) -> None:
    days = config.getoption("--shift-wall-clock")
    if days is None:
        return
    import time_machine

    now = datetime.now(UTC)  # real clock: the instant to shift from
    traveller = time_machine.travel(now + timedelta(days=days), tick=True)
    traveller.start()
    config.stash[_TRAVELLER] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption("--shift-wall-clock")
    if days is None:
        return None
    now = datetime.now(UTC)  # real clock: the shifted wall clock, reported in the header
    return f"wall clock shifted {days:+g} days: now is {now:%Y-%m-%d %H:%M} UTC"


_TRAVELLER: pytest.StashKey[Any] = pytest.StashKey()
