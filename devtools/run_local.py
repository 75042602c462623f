"""`make run`: DynamoDB Local (persistent under .local/), table + demo data, and
`chalice local`, all stopped together on Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from devtools import dynamodb_local, web_server
from devtools.local_env import DYNAMODB_PORT, LOCAL, ROOT, RUN_FILE, WEB_PORT, local_environment, shown

# chalice local's access log prints whole request lines: member links carry tokens, organizers
# search members by name or address, cursors encode positions. Every query value is redacted but
# these few, which name nothing and no one.
_SAFE_KEYS = frozenset({"state", "from", "to", "format", "limit", "status", "show", "events", "sent", "v"})
_QUERY_VALUE = re.compile(r"([?&])([A-Za-z0-9_.-]+)=([^&\s\"]*)")


def _query_value(match: re.Match[str]) -> str:
    sep, key, value = match.groups()
    return match.group(0) if key in _SAFE_KEYS or not value else f"{sep}{key}=[redacted]"


# Personal join links carry their token in the path.
_SECRET_PATH = re.compile(r"(/j/)(?!_warm\b)[A-Za-z0-9_-]+")


def redact(line: str) -> str:
    return _SECRET_PATH.sub(r"\1[redacted]", _QUERY_VALUE.sub(_query_value, line))


def relay_redacted(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    for raw in iter(process.stdout.readline, b""):
        sys.stdout.write(redact(raw.decode("utf-8", "replace")))
        sys.stdout.flush()


def bootstrap(env: dict[str, str]) -> bool:
    """Create the table if missing and seed demo data once; returns True if it seeded."""
    os.environ.update(env)
    from chalicelib import container
    from chalicelib.signing import signing_key
    from chalicelib.table import ensure_table
    from devtools.seed import seed

    container.reset()
    c = container.current()
    signing_key(c.settings)  # generate .local/signing-key on first run
    ensure_table(c.dynamodb, c.table)
    return seed(c)


def start_outbox_poller(env: dict[str, str], stop: threading.Event) -> threading.Thread:
    """The outbox's stream handler, fed from DynamoDB Local's stream (as Lambda's event source
    mapping feeds it in AWS): emails a request promised land in the outbox within a second."""
    os.environ.update(env)
    from app import outbox_sender
    from chalicelib import container
    from chalicelib.aws import dynamodb_streams_client
    from devtools.stream_poller import StreamPoller

    c = container.current()
    poller = StreamPoller(
        dynamodb=c.dynamodb,
        streams=dynamodb_streams_client(c.settings),
        table=c.table,
        handler=outbox_sender,
        region=c.settings.aws_region,
        failures_file=LOCAL / "stream-failures.jsonl",  # the failed-events queue's stand-in
    )
    thread = threading.Thread(target=poller.run, args=(stop,), name="outbox-stream", daemon=True)
    thread.start()
    return thread


def write_run_file(api: str, web: str, dynamodb_port: int = DYNAMODB_PORT) -> None:
    """Where the running stack answers, for `make cli` (member links in emails must point here, and
    it reaches the same DynamoDB Local without DYNAMODB_PORT)."""
    RUN_FILE.write_text(json.dumps({"api": api, "web": web, "dynamodb_port": dynamodb_port, "pid": os.getpid()}))


class EngineRestarts:
    """When to start DynamoDB Local again after it stopped. The first ``QUICK`` stops within
    ``WINDOW`` seconds: at once. After that it waits, longer each time (5 s, 10 s, 20 s, ... at most
    5 minutes), and never gives up: the API stays up meanwhile and answers 503 (the error shape,
    with Retry-After), as it does in AWS while DynamoDB is unreachable."""

    QUICK = 3
    WINDOW = 600.0
    FIRST_WAIT = 5.0
    MAX_WAIT = 300.0

    def __init__(self) -> None:
        self.stops: list[float] = []

    def stopped(self, now: float) -> float:
        """It stopped (or failed to start) at ``now``: the moment to start it again."""
        self.stops = [t for t in self.stops if now - t < self.WINDOW] + [now]
        extra = len(self.stops) - self.QUICK
        if extra <= 0:
            return now
        return now + min(self.MAX_WAIT, self.FIRST_WAIT * float(2 ** (extra - 1)))


def banner(*, seeded: bool, base: str, web_port: int, dynamodb_port: int) -> str:
    """What `make run` prints once it runs: every path is where it really is (LOCAL_STATE_DIR)."""
    return f"""
mbc-connect is running ({"demo data seeded" if seeded else "existing data"})
  DynamoDB Local: 127.0.0.1:{dynamodb_port}, data in {shown(LOCAL / "dynamodb")}
  Website demo:   http://127.0.0.1:{web_port}/  (web/: signup form and events list)
  API:            {base}/events
  Calendar feed:  {base}/events/calendar.ics
  OpenAPI:        {base}/openapi.json
  Group:          {base}/groups/mbc-connection-group
  Console:        {base}/console
  Outbox (.eml):  {shown(LOCAL / "outbox")}   (reminders run every minute; log in {shown(LOCAL / "distribution.log")})
Organizer key:    make cli ARGS='organizers create --name "Your Name" --email you@example.org'
Stop with Ctrl-C.
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--web-port", type=int, default=WEB_PORT)
    args = parser.parse_args()
    # A shell without job control starts background jobs with SIGINT ignored; Ctrl-C must always stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    LOCAL.mkdir(parents=True, exist_ok=True)
    (LOCAL / "outbox").mkdir(exist_ok=True)
    if dynamodb_local.is_listening(DYNAMODB_PORT):
        print(
            f"Port {DYNAMODB_PORT} is busy: is another `make run` running? (DYNAMODB_PORT overrides)", file=sys.stderr
        )
        return 1
    env = local_environment(api_port=args.port, dynamodb_port=DYNAMODB_PORT, web_port=args.web_port)
    engine = dynamodb_local.start(DYNAMODB_PORT, str(LOCAL / "dynamodb"), str(LOCAL / "dynamodb.log"))
    restarts = EngineRestarts()
    restart_at: float | None = None  # DynamoDB Local is down: start it again then
    children: list[subprocess.Popen[bytes]] = []
    poller_stop = threading.Event()
    site: http.server.ThreadingHTTPServer | None = None

    def stop(*_: object) -> None:
        # A second Ctrl-C (or SIGTERM) must not interrupt the cleanup and orphan the children.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        poller_stop.set()
        engine.stop()
        RUN_FILE.unlink(missing_ok=True)

    try:
        seeded = bootstrap(env)
        start_outbox_poller(env, poller_stop)
        api = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "chalice"),
                "local",
                "--stage",
                "local",
                "--no-autoreload",
                "--host",
                "127.0.0.1",
                "--port",
                str(args.port),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        children.append(api)
        threading.Thread(target=relay_redacted, args=(api,), daemon=True).start()
        base = f"http://127.0.0.1:{args.port}"
        site = web_server.serve(args.web_port, base)
        write_run_file(base, f"http://127.0.0.1:{args.web_port}", DYNAMODB_PORT)
        print(banner(seeded=seeded, base=base, web_port=args.web_port, dynamodb_port=DYNAMODB_PORT), flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        next_distribution = time.monotonic() + 5
        while True:
            if time.monotonic() >= next_distribution:
                # chalice local never runs scheduled functions: run the same code every minute.
                next_distribution = time.monotonic() + 60
                distribution = subprocess.Popen(
                    [sys.executable, "-m", "chalicelib.cli", "scheduled", "run"],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=open(LOCAL / "distribution.log", "ab"),  # noqa: SIM115
                )
                children[:] = [c for c in children if c is api or c.poll() is None]
                children.append(distribution)
            if api.poll() is not None:
                print(f"chalice local exited ({api.returncode})", file=sys.stderr)
                return 1
            now = time.monotonic()
            if restart_at is None and engine.process.poll() is not None:
                # Data is on disk (-dbPath): start it again, at once or after a wait if it keeps stopping.
                restart_at = restarts.stopped(now)
                wait = restart_at - now
                print(
                    f"DynamoDB Local stopped (exit {engine.process.returncode}); "
                    + (f"starting it again in {wait:.0f} s" if wait >= 1 else "starting it again")
                    + f" (the API answers 503 meanwhile). See {shown(LOCAL / 'dynamodb.log')}.",
                    file=sys.stderr,
                    flush=True,
                )
            if restart_at is not None and now >= restart_at:
                try:
                    engine = dynamodb_local.start(DYNAMODB_PORT, str(LOCAL / "dynamodb"), str(LOCAL / "dynamodb.log"))
                except RuntimeError as exc:  # it stopped again while starting
                    restart_at = restarts.stopped(time.monotonic())
                    print(f"DynamoDB Local did not start ({exc}); trying again later.", file=sys.stderr, flush=True)
                else:
                    restart_at = None
                    print("DynamoDB Local is back.", file=sys.stderr, flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        if site is not None:
            site.shutdown()
        stop()


if __name__ == "__main__":
    raise SystemExit(main())
