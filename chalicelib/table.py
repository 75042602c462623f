"""The one DynamoDB table design: keys, index and TTL, used by the app, the
local bootstrap, the tests and infra/. Change it here and nowhere else.

Single-table layout (pk / sk):

- ``EVENT#<id>`` / ``EVENT``: an event, optimistic-locked by ``version``.
- ``EVLIST#<PUB|DRAFT>#<ID|MT|ALL>`` / ``<starts_utc>#<id>``: listing copies of an
  event, one per state it serves plus ``ALL``, written in the same transaction
  as the event, so every list read is a single Query in start order.
- ``ORGS`` / ``<org_id>``: an organizer; ``ORGKEY#<sha256>`` / ``ORGKEY``: its key hash.

Later capabilities add their own prefixes; ``gsi1`` is the one secondary index
(``gsi1pk``/``gsi1sk``) and ``expires_at`` the TTL attribute (epoch seconds).
"""

from __future__ import annotations

from typing import Any

PK = "pk"
SK = "sk"
GSI1 = "gsi1"
GSI1_PK = "gsi1pk"
GSI1_SK = "gsi1sk"
TTL_ATTRIBUTE = "expires_at"
STREAM_SPECIFICATION = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

KEY_SCHEMA: list[dict[str, str]] = [
    {"AttributeName": PK, "KeyType": "HASH"},
    {"AttributeName": SK, "KeyType": "RANGE"},
]
ATTRIBUTE_DEFINITIONS: list[dict[str, str]] = [
    {"AttributeName": name, "AttributeType": "S"} for name in (PK, SK, GSI1_PK, GSI1_SK)
]
GLOBAL_SECONDARY_INDEXES: list[dict[str, Any]] = [
    {
        "IndexName": GSI1,
        "KeySchema": [
            {"AttributeName": GSI1_PK, "KeyType": "HASH"},
            {"AttributeName": GSI1_SK, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
]


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """Arguments for ``CreateTable`` (boto3) describing the whole design."""
    return {
        "TableName": table_name,
        "KeySchema": KEY_SCHEMA,
        "AttributeDefinitions": ATTRIBUTE_DEFINITIONS,
        "GlobalSecondaryIndexes": GLOBAL_SECONDARY_INDEXES,
        "BillingMode": "PAY_PER_REQUEST",
    }


def ensure_table(client: Any, table_name: str) -> bool:
    """Create the table (and enable TTL) if missing. Returns True if it was created."""
    existing = client.list_tables().get("TableNames", [])
    # list_tables pages at 100 names; a local/test engine never has that many.
    if table_name in existing:
        return False
    try:
        client.create_table(**create_table_kwargs(table_name))
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return True
