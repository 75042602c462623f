"""The floor as most handlers are written: ``import boto3``, a client, ``listing_floor.body``."""

from __future__ import annotations

from typing import Any

import boto3
import listing_floor

client = boto3.client("dynamodb", **listing_floor.client_kwargs())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = listing_floor.body(client)
    return {"statusCode": 200, "headers": dict(listing_floor.HEADERS), "multiValueHeaders": {}, "body": body}
