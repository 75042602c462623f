"""A peer: the same ``GET /events`` served by Powertools for AWS Lambda's ``APIGatewayRestResolver``
(botocore client, ``listing_floor.body``: the same Query and the same JSON as the app)."""

from __future__ import annotations

from typing import Any

import botocore.session
import listing_floor
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

client = botocore.session.Session().create_client("dynamodb", **listing_floor.client_kwargs())
app = APIGatewayRestResolver()


@app.get("/events")
def list_events() -> Response:
    headers = {k: v for k, v in listing_floor.HEADERS.items() if k != "Content-Type"}
    return Response(status_code=200, content_type="application/json", body=listing_floor.body(client), headers=headers)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
