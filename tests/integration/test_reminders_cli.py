"""The reminders CLI against a DynamoDB Local table: the same code path as the scheduled run."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from chalicelib import container
from chalicelib.cli import main as cli_main
from tests.support.builders import add_members, make_group, outbox_messages
from tests.support.stacks import ROOT, Stack


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_reminders_cli_runs_with_an_injected_clock(ddb_stack: Stack) -> None:
    make_group(container.current())
    add_members(container.current(), 2, state="ID")
    dry = cli("reminders", "run", "--now", "2026-12-01T15:30:00-07:00", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["planned"] == 2
    assert outbox_messages(ddb_stack.outbox) == []
    early = cli("reminders", "run", "--now", "2026-11-29T12:00:00Z", "--past-ok")
    assert json.loads(early.stdout)["planned"] == 0
    real = cli("reminders", "run", "--now", "2026-12-01T22:30:00Z", "--group", "mbc-connection-group", "--past-ok")
    assert json.loads(real.stdout)["sent"] == 2, real.stderr
    assert len(outbox_messages(ddb_stack.outbox)) == 2
    again = cli("reminders", "run", "--now", "2026-12-01T22:45:00Z", "--past-ok")
    assert json.loads(again.stdout)["sent"] == 0
    assert "@example.org" not in real.stderr + again.stderr  # logs: ids and counts only
    preview = cli("reminders", "preview", "--group", "mbc-connection-group", "--now", "2026-12-01T12:00:00Z")
    assert preview.returncode == 0, preview.stderr
    previews = [m for m in outbox_messages(ddb_stack.outbox) if m["To"] == "preview@example.org"]
    assert len(previews) == 1
    assert cli("reminders", "run", "--now", "2026-12-01T22:30:00").returncode != 0  # no offset
    assert cli("reminders", "preview", "--group", "nope").returncode == 3  # not found


def test_a_move_and_its_reversal_through_the_cli_runs(ddb_stack: Stack) -> None:
    """As an operator would try it: `reminders run --now ...` after each organizer change."""
    c = container.current()
    make_group(c)
    add_members(c, 2)

    def run(now: str) -> dict[str, int]:
        done = cli("reminders", "run", "--now", now, "--past-ok")  # the subprocess reads the real clock
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert run("2026-11-30T16:00:00-07:00")["sent"] == 2  # the day-before reminder: 4 PM
    c.meetings.put_override(
        "mbc-connection-group", "2026-12-01", {"starts_at": "2026-12-01T17:00:00-07:00"}, organizer_id="org_1"
    )
    assert run("2026-11-30T16:15:00-07:00")["sent"] == 2
    c.meetings.delete_override("mbc-connection-group", "2026-12-01", organizer_id="org_1")
    assert run("2026-11-30T16:30:00-07:00")["sent"] == 2
    assert run("2026-11-30T16:45:00-07:00")["sent"] == 0
    subjects = [m["Subject"] for m in outbox_messages(ddb_stack.outbox) if m["To"] == "m0@example.org"]
    assert subjects == [
        "Tomorrow 4:00 PM Mountain · MBC Connection Group",
        "Moved to 5:00 PM Mountain · MBC Connection Group, Dec 1",
        "Moved to 4:00 PM Mountain · MBC Connection Group, Dec 1",
    ]


def test_a_past_now_is_refused_unless_deliberate(moto_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user ran `reminders run --now <last Tuesday>` and every member was emailed about a
    meeting already held. A --now before the present is now refused (exit 2, nothing sent) unless
    she says it is deliberate: --dry-run prints the plan, --past-ok sends."""
    c = moto_stack.container
    make_group(c)
    add_members(c, 2, state="ID")
    moto_stack.clock.set(datetime(2026, 12, 3, 18, 0, tzinfo=UTC))  # two days after the meeting
    held = "2026-12-01T22:30:00Z"
    for argv in (["reminders", "run", "--now", held], ["scheduled", "run", "--now", held]):
        assert cli_main(argv) == 2
        err = capsys.readouterr().err
        assert "--now: 2026-12-01 22:30 UTC is in the past (it is now 2026-12-03 18:00 UTC)" in err
        assert "--dry-run" in err and "--past-ok" in err
        assert outbox_messages(moto_stack.outbox) == []
    assert cli_main(["reminders", "run", "--now", "2026-12-03T17:58:00Z"]) == 0  # a moment ago is now
    capsys.readouterr()
    assert cli_main(["reminders", "run", "--now", held, "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["planned"] == 2
    assert outbox_messages(moto_stack.outbox) == []
    # --past-ok sends: test_reminders_cli_runs_with_an_injected_clock (DynamoDB Local: moto's table
    # is not safe for the distribution's concurrent sends).
