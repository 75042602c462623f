"""Requests served from the unzipped deployment package in a fresh interpreter, as Lambda would:
``python -I -S -B package_child.py SPEC_JSON`` (tests/integration/test_package_contents.py).

SPEC: {"paths": [package dir, boto3-only runtime dir], "requests": [[label, event, expected status], ...]}.
The standard library only. The system's time zone data is taken away first (Lambda's image has
none: ``zoneinfo`` falls back to the packaged ``tzdata``), and an audit hook records every file
opened inside the package. Prints one JSON line: each request's status, the modules loaded, the
package files opened.
"""

from __future__ import annotations

import json
import sys
from typing import Any


class Context:
    function_name = "mbc-connect-prod"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-west-2:123456789012:function:mbc-connect-prod"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/mbc-connect-prod"
    log_stream_name = "package-test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main() -> None:
    spec = json.loads(sys.argv[1])
    package = spec["paths"][0].rstrip("/") + "/"
    sys.path[:0] = spec["paths"]
    opened: set[str] = set()

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and isinstance(args[0], str) and args[0].startswith(package):
            opened.add(args[0][len(package) :])

    sys.addaudithook(audit)
    import zoneinfo

    zoneinfo.reset_tzpath([])  # as on Lambda: no /usr/share/zoneinfo
    import app

    results = []
    for label, event, expected in spec["requests"]:
        response = app.app(event, Context())
        status = response.get("statusCode")
        results.append({"label": label, "status": status, "expected": expected})
        if status != expected:
            results[-1]["body"] = str(response.get("body"))[:400]
    print(json.dumps({"results": results, "modules": sorted(sys.modules), "opened": sorted(opened)}))


if __name__ == "__main__":
    main()
