"""One cold start, in a fresh interpreter started as ``python -I -S -B cold_child.py SPEC_JSON``.

-I -S: no site-packages, no environment paths: sys.path is the standard library plus what SPEC
puts first (the unzipped package, then a directory holding only boto3 and its dependencies, as
the Lambda runtime provides them). -B: nothing writes bytecode, like Lambda's read-only /var/task.
Standard library only; prints one JSON line.

SPEC: {"mode": "app" | "floor" | "floor-botocore", "paths": [...], "event": {...}, "query": {...}, "endpoint": "..."}
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


def run_app(spec: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    start = time.perf_counter()
    import app  # the Lambda handler is app.app

    imported = time.perf_counter()
    response = app.app(spec["event"], Context())
    done = time.perf_counter()
    return imported - start, done - imported, response


def run_floor(spec: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    """``import boto3``, a client, the same single Query, the items as JSON."""
    start = time.perf_counter()
    import boto3

    imported = time.perf_counter()
    client = boto3.client(
        "dynamodb",
        region_name="us-west-2",
        endpoint_url=spec["endpoint"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return _query(spec, client, start, imported)


def run_floor_botocore(spec: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
    """The same with botocore alone (what boto3 wraps)."""
    start = time.perf_counter()
    import botocore.session

    imported = time.perf_counter()
    client = botocore.session.Session().create_client(
        "dynamodb",
        region_name="us-west-2",
        endpoint_url=spec["endpoint"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return _query(spec, client, start, imported)


def _query(spec: dict[str, Any], client: Any, start: float, imported: float) -> tuple[float, float, dict[str, Any]]:
    resp = client.query(**spec["query"])
    body = json.dumps({"events": [json.loads(i["doc"]["S"]) for i in resp.get("Items", [])]})
    done = time.perf_counter()
    return imported - start, done - imported, {"statusCode": 200, "body": body}


def main() -> None:
    spec = json.loads(sys.argv[1])
    sys.path[:0] = spec["paths"]
    before = set(sys.modules)
    runner = {"app": run_app, "floor": run_floor, "floor-botocore": run_floor_botocore}[spec["mode"]]
    import_s, first_s, response = runner(spec)
    import resource

    body = json.loads(response["body"]) if response.get("body") else {}
    print(
        json.dumps(
            {
                "mode": spec["mode"],
                "import_s": import_s,
                "first_request_s": first_s,
                "total_s": import_s + first_s,
                "since_interpreter_start_s": time.perf_counter() - T0,
                "status": response.get("statusCode"),
                "events": len(body.get("events", [])),
                "modules": len(set(sys.modules) - before),
                "imported": {name: name in sys.modules for name in WATCHED},
                "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


if __name__ == "__main__":
    main()
