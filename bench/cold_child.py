"""One cold start, in a fresh interpreter started as ``python -I -S -B cold_child.py SPEC_JSON``.

-I -S: no site-packages, no environment paths: sys.path is the standard library plus what SPEC
puts first (the unzipped package: the app's, or a floor's or a peer's from bench/peers.py; then
a directory holding only boto3 and its dependencies, as the Lambda runtime provides them).
-B: nothing writes bytecode, like Lambda's read-only /var/task. Standard library only; prints one JSON line.

SPEC: {"mode": "app" | "module", "module": "floor_botocore" (mode module: a bench/handlers/ module),
       "paths": [...], "event": {...}, "pin_now": ISO instant (the identity check only),
       "keep_response": true (print the whole answer), "record_calls": true (print every SDK call),
       "cprofile": a path (dump a cProfile of the cold start)}
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

T0 = time.perf_counter()

# Reported for every run: which of these the run imported (the SDK, and what a read must not load).
WATCHED = (
    "botocore",
    "boto3",
    "s3transfer",
    "pydantic",
    "pydantic_core",
    "email_validator",
    "jinja2",
    "icalendar",
    "dateutil",
)


class Context:
    function_name = "mbc-connect-prod"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-west-2:123456789012:function:mbc-connect-prod"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/mbc-connect-prod"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def pin_clock(spec: dict[str, Any]) -> None:
    """The identity check (untimed): the app's clock, and the floors' and peers', at one instant, so their
    answers (a cursor holds the listing's window, which starts from now) can be compared byte for byte."""
    if not spec.get("pin_now"):
        return
    from datetime import datetime

    moment = datetime.fromisoformat(spec["pin_now"])
    if spec["mode"] == "app":
        import chalicelib.clock

        chalicelib.clock.SystemClock.now = lambda self: moment  # type: ignore[method-assign]
    else:
        import importlib

        # The module whose ``now`` the floor or peer reads (bench/handlers/; listing_floor unless named).
        importlib.import_module(spec.get("clock_module") or "listing_floor").now = lambda: moment


def run_app(spec: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    start = time.perf_counter()
    import app  # the Lambda handler is app.app

    imported = time.perf_counter()
    response = app.app(spec["event"], Context())
    done = time.perf_counter()
    return imported - start, done - imported, response


def run_module(spec: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    """A floor's or a peer's handler module (bench/handlers/): import it (its SDK and framework, its
    client at module level, as such handlers are written), then ``handler(event, context)``."""
    import importlib

    start = time.perf_counter()
    module = importlib.import_module(spec["module"])
    imported = time.perf_counter()
    response = module.handler(spec["event"], Context())
    done = time.perf_counter()
    return imported - start, done - imported, response


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM: reset at exec, unlike ru_maxrss, which keeps the
    forking parent's peak)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    spec = json.loads(sys.argv[1])
    sys.path[:0] = spec["paths"]
    before = set(sys.modules)
    pin_clock(spec)
    runner = run_app if spec["mode"] == "app" else run_module
    calls: list[list[Any]] = []
    if spec.get("record_calls"):  # the signup's identity check (untimed): every DynamoDB call it makes
        import copy

        import botocore.client

        make_call = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 (a private name)

        def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
            calls.append([operation, copy.deepcopy(params)])
            return make_call(client, operation, params)

        setattr(botocore.client.BaseClient, "_make_api_call", recording)  # noqa: B010
    profiler = None
    if spec.get("cprofile"):  # a profile of the whole cold start (bench/coldsignup.py profile), untimed
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu_start = time.process_time()
    import_s, first_s, response = runner(spec)
    cpu_s = time.process_time() - cpu_start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["cprofile"])
    import hashlib

    raw = response.get("body") or ""
    # A REST API response may put its headers in either map (Powertools uses multiValueHeaders).
    headers = {k.lower(): v[-1] for k, v in (response.get("multiValueHeaders") or {}).items() if v}
    headers.update({k.lower(): v for k, v in (response.get("headers") or {}).items()})
    # Only a JSON body is read (the signup form post answers a 303 without one, or a page).
    body = json.loads(raw) if raw and "json" in str(headers.get("content-type", "")) else {}
    print(
        json.dumps(
            {
                "mode": spec["mode"],
                "import_s": import_s,
                "first_request_s": first_s,
                "total_s": import_s + first_s,
                # The same span in this process's CPU time (every thread): what other work on a shared
                # machine disturbs least; it leaves out waiting, for DynamoDB Local's answer among others.
                "total_cpu_s": cpu_s,
                "since_interpreter_start_s": time.perf_counter() - T0,
                "status": response.get("statusCode"),
                "events": len(body.get("events", [])),
                "cursor": bool(body.get("next_cursor")),
                "body_sha256": hashlib.sha256(raw.encode()).hexdigest(),
                "body": raw if spec.get("pin_now") else None,
                "content_type": headers.get("content-type"),
                "cache_control": headers.get("cache-control"),
                # Every header of the answer (names lowercased, sorted), hashed: a redirect's Location is a
                # member's room, never printed.
                "headers_sha256": hashlib.sha256(json.dumps(sorted(headers.items())).encode()).hexdigest(),
                "modules": len(set(sys.modules) - before),
                "imported": {name: name in sys.modules for name in WATCHED},
                "max_rss_kb": peak_rss_kb(),
                # The whole answer (status, both header maps, body), when asked: the signup's identity check.
                **({"response": response} if spec.get("keep_response") else {}),
                **({"calls": calls} if spec.get("record_calls") else {}),
            }
        )
    )


if __name__ == "__main__":
    main()
