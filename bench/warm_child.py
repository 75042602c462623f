"""Warm requests in one long-lived process: ``python -I -S -B warm_child.py SPEC_JSON`` (the cold child's
SPEC: the app, or a floor's or a peer's handler module, from its unzipped package). Serves one request
per ``go`` line on stdin and answers one JSON line: the handler's time (wall clock, and this process's
CPU time, which leaves out waiting for DynamoDB Local) and the status. Standard library only.
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
import time
from typing import Any


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


def main() -> None:
    spec = json.loads(sys.argv[1])
    sys.path[:0] = spec["paths"]
    handler: Any
    if spec["mode"] == "app":
        import app

        handler = app.app
    else:
        handler = importlib.import_module(spec["module"]).handler
    context = Context()
    for _ in sys.stdin:
        event = copy.deepcopy(spec["event"])
        start, cpu = time.perf_counter(), time.process_time()
        response = handler(event, context)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(json.dumps({"s": elapsed, "cpu": cpu, "status": response.get("statusCode")}), flush=True)


if __name__ == "__main__":
    main()
