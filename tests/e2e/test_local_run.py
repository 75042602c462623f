"""`make run` as the README says, on a fresh folder (issue 21 item 13): LOCAL_STATE_DIR with
parents that do not exist yet, a banner that names that folder, `make cli` finding the stack's
DynamoDB Local from .local/run.json alone, and DynamoDB Local that keeps dying: the API stays up
answering 503 (the error shape) while the engine is started again, then answers again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.live import ROOT, run_stack


def _engine_pid(port: int) -> int:
    """The DynamoDB Local process this stack started (found by its own port)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"DynamoDBLocal.jar" in b" ".join(args) and str(port).encode() in args:
            return int(proc.name)
    raise AssertionError(f"no DynamoDB Local on port {port}")


def _status(url: str) -> tuple[int, bytes]:
    """The API's answer (0: no answer at all: a refused connection or nothing within 30 s)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _answers_until_not_ok(url: str, timeout: float) -> list[tuple[int, bytes]]:
    answers: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + timeout
    while not answers or answers[-1][0] == 200:
        assert time.monotonic() < deadline, "the API never noticed"
        answers.append(_status(url))
    return answers


def test_make_run_on_a_fresh_nested_folder_and_an_engine_that_keeps_dying(tmp_path: Path) -> None:
    state = tmp_path / "x" / "y" / "state"  # none of it exists yet
    with run_stack(state) as stack:
        port = int(stack.env["DYNAMODB_ENDPOINT"].rsplit(":", 1)[1])
        assert json.loads((state / "run.json").read_text())["dynamodb_port"] == port
        assert f"data in {state / 'dynamodb'}" in stack.log and f"log in {state / 'distribution.log'}" in stack.log
        made = stack.cli("organizers", "create", "--name", "Run Json", "--email", "runjson@example.org")
        assert made.returncode == 0, made.stderr
        env = {k: v for k, v in os.environ.items() if k not in ("DYNAMODB_PORT", "DYNAMODB_ENDPOINT", "PORT")}
        listed = subprocess.run(
            [sys.executable, "-m", "devtools.local_env", sys.executable, "-m", "chalicelib.cli", "organizers", "list"],
            cwd=ROOT,
            env={**env, "LOCAL_STATE_DIR": str(state)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert listed.returncode == 0 and "Run Json" in listed.stdout, listed.stderr  # no port variables
        group = f"{stack.api}/groups/mbc-connection-group"
        seen: list[int] = []
        for death in range(4):  # four deaths in well under ten minutes
            os.kill(_engine_pid(port), signal.SIGKILL)
            for status, body in _answers_until_not_ok(group, 60):
                seen.append(status)
                if status == 503:
                    assert json.loads(body)["error"]["code"], body  # the error shape
            _until(lambda: _status(group)[0] == 200, 120, f"the engine is back after death {death + 1}")
        assert 503 in seen and 0 not in seen  # it answered 503 every time, never refused or hung
        assert "starting it again in 5 s" in stack.log and "DynamoDB Local is back." in stack.log
