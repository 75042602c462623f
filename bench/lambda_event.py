"""API Gateway REST proxy events (the shape chalice.local / chalice.test build) and a Lambda context.

Only the standard library: the cold-start child imports this with nothing but the package on its path.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qs


def rest_event(
    method: str,
    resource: str,
    path: str,
    query: str = "",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source_ip: str = "203.0.113.10",
) -> dict[str, Any]:
    """``resource`` is the route as declared (``/events/{event_id}``), ``path`` the concrete one."""
    hdrs = {"accept": "application/json", "host": "api.example.org", "user-agent": "bench"}
    hdrs.update({k.lower(): v for k, v in (headers or {}).items()})
    params = {}
    r_parts = resource.strip("/").split("/")
    p_parts = path.strip("/").split("/")
    for r, p in zip(r_parts, p_parts, strict=True):
        if r.startswith("{") and r.endswith("}"):
            params[r[1:-1]] = p
    multi = parse_qs(query, keep_blank_values=True) if query else None
    event: dict[str, Any] = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} if multi else None,
        "multiValueQueryStringParameters": multi,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": source_ip, "userAgent": "bench"},
        },
        "body": None,
        "isBase64Encoded": False,
    }
    if body is not None:
        if hdrs.get("content-type", "").startswith(("application/json", "application/x-www-form-urlencoded")):
            event["body"] = body.decode("utf-8")
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


class LambdaContext:
    def __init__(self, function_name: str = "mbc-connect-prod", memory_mb: int = 512, timeout_s: int = 30) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-west-2:123456789012:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)
