"""The floor: botocore alone, a client, ``listing_floor.body`` (a Lambda handler: ``handler``)."""

from __future__ import annotations

from typing import Any

import botocore.session
import listing_floor

client = botocore.session.Session().create_client("dynamodb", **listing_floor.client_kwargs())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = listing_floor.body(client)
    return {"statusCode": 200, "headers": dict(listing_floor.HEADERS), "multiValueHeaders": {}, "body": body}
