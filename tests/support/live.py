"""Real processes for the e2e tier: the whole local stack exactly as `make run` starts it
(devtools.run_local), isolated in a temporary state folder on free ports; and a bare
`chalice local` for tests that need real HTTP only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devtools.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class LiveStack:
    api: str
    web: str
    state_dir: Path
    env: dict[str, str]
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def outbox(self) -> Path:
        return self.state_dir / "outbox"

    @property
    def log(self) -> str:
        """Everything `make run` printed so far (its own lines and chalice local's access log)."""
        return (self.state_dir.parent / f"{self.state_dir.name}-run.log").read_text("utf-8", "replace")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "chalicelib.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def organizer_key(self) -> str:
        """An admin's key, made once per stack with the CLI (tests of a session share the stack)."""
        if "key" not in self.keys:
            made = self.cli("organizers", "create", "--name", "Test Organizer", "--email", "organizer@example.org")
            assert made.returncode == 0, made.stderr
            self.keys["key"] = next(line for line in made.stdout.splitlines() if line.startswith("mbck_"))
        return self.keys["key"]


@contextmanager
def run_stack(state_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[LiveStack]:
    api_port, web_port, ddb_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "LOCAL_STATE_DIR": str(state_dir),
        "DYNAMODB_PORT": str(ddb_port),
        "WEB_PORT": str(web_port),
        **(extra_env or {}),
    }
    for key in ("TABLE_NAME", "DYNAMODB_ENDPOINT", "OUTBOX_DIR", "STAGE", "PUBLIC_API_URL", "WEBSITE_ORIGINS"):
        env.pop(key, None)
    state_dir.parent.mkdir(parents=True, exist_ok=True)  # for the log; the state folder is make run's to create
    log = open(state_dir.parent / f"{state_dir.name}-run.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.run_local", "--port", str(api_port), "--web-port", str(web_port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{api_port}"
    web = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{api}/groups/mbc-connection-group", timeout=2)
                urllib.request.urlopen(f"{web}/", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local stack did not start; see " + log.name) from None
                time.sleep(0.3)
        cli_env = {
            **env,
            "DYNAMODB_ENDPOINT": f"http://127.0.0.1:{ddb_port}",
            "TABLE_NAME": "mbc-connect-local",
            "OUTBOX_DIR": str(state_dir / "outbox"),
            "PUBLIC_API_URL": api,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": "us-west-2",
        }
        yield LiveStack(api, web, state_dir, cli_env)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@contextmanager
def chalice_local(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, **(extra_env or {}), "PUBLIC_API_URL": f"http://127.0.0.1:{port}"}
    chalice = str(Path(sys.executable).parent / "chalice")
    proc = subprocess.Popen(
        [chalice, "local", "--stage", "local", "--no-autoreload", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read().decode() if proc.stdout else ""
                    raise RuntimeError(f"chalice local did not start: {output}") from None
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
