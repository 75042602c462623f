"""One cold request, in a fresh interpreter: ``python tests/unit/cold_child.py`` with a JSON spec on
stdin. The table (created on moto, its items written as raw DynamoDB items) is set up before
anything of the app is imported, so the modules this prints are exactly those that ``import app``
and serving the one request loaded. Used by tests/unit/test_cold_imports.py."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.path.insert(0, str(ROOT))
    import boto3
    from moto import mock_aws

    from bench.lambda_event import LambdaContext, rest_event

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-west-2")
        client.create_table(**spec["table"])
        for item in spec["items"]:
            client.put_item(TableName=spec["table"]["TableName"], Item=item)
        assert not [m for m in sys.modules if m == "app" or m.startswith("chalicelib")]

        import app  # the Lambda handler is app.app
        from chalicelib import container  # already loaded by app
        from chalicelib.clock import FixedClock  # already loaded by container

        container.install(container.build(clock=FixedClock(datetime.fromisoformat(spec["now"]))))
        request = spec["request"]
        body = request["body"].encode() if request.get("body") is not None else None
        event = rest_event(
            request["method"], request["resource"], request["path"], request.get("query", ""), body, request["headers"]
        )
        response = app.app(event, LambdaContext())
    loaded = sorted(m for m in sys.modules if m == "app" or m.startswith("chalicelib"))
    print(json.dumps({"status": response["statusCode"], "modules": loaded, "zoneinfo": "zoneinfo" in sys.modules}))


if __name__ == "__main__":
    main()
