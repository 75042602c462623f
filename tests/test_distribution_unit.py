"""Distribution pieces without a database: the rate limiter and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from chalicelib.distribution import RateLimiter
from tests.conftest import ROOT, Stack
from tests.distribution_helpers import add_members, make_group
from tests.helpers import outbox_messages


def test_rate_limiter_holds_the_configured_rate() -> None:
    clock = [0.0]
    limiter = RateLimiter(14.0, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    for _ in range(141):
        limiter.acquire()
    assert abs(clock[0] - 10.0) < 1e-6  # 141 sends = the first at 0 s, then 140 at 1/14 s apart


def test_rate_limiter_does_not_wait_when_sends_are_slow() -> None:
    clock = [0.0]
    slept: list[float] = []
    limiter = RateLimiter(14.0, clock=lambda: clock[0], sleep=slept.append)
    for _ in range(5):
        limiter.acquire()
        clock[0] += 1.0  # each send takes a second: far below the limit
    assert slept == []


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_reminders_cli_runs_with_an_injected_clock(ddb_stack: Stack) -> None:
    make_group()
    add_members(2, state="ID")
    dry = cli("reminders", "run", "--now", "2026-12-01T15:30:00-07:00", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["planned"] == 2
    assert outbox_messages(ddb_stack.outbox) == []
    early = cli("reminders", "run", "--now", "2026-11-29T12:00:00Z")
    assert json.loads(early.stdout)["planned"] == 0
    real = cli("reminders", "run", "--now", "2026-12-01T22:30:00Z", "--group", "mbc-connection-group")
    assert json.loads(real.stdout)["sent"] == 2, real.stderr
    assert len(outbox_messages(ddb_stack.outbox)) == 2
    again = cli("reminders", "run", "--now", "2026-12-01T22:45:00Z")
    assert json.loads(again.stdout)["sent"] == 0
    assert "@example.org" not in real.stderr + again.stderr  # logs: ids and counts only
    preview = cli("reminders", "preview", "--group", "mbc-connection-group", "--now", "2026-12-01T12:00:00Z")
    assert preview.returncode == 0, preview.stderr
    previews = [m for m in outbox_messages(ddb_stack.outbox) if m["To"] == "preview@example.org"]
    assert len(previews) == 1
    assert cli("reminders", "run", "--now", "2026-12-01T22:30:00").returncode != 0  # no offset
    assert cli("reminders", "preview", "--group", "nope").returncode == 1
