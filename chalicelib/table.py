"""The one DynamoDB table design: keys, index and TTL, used by the app, the
local bootstrap, the tests and infra/. Change it here and nowhere else.

Single table (``pk`` / ``sk``, both strings). Each feature defines its own key prefixes in
its ``chalicelib/<feature>/records.py``; ``gsi1`` is the one secondary index (``gsi1pk`` /
``gsi1sk``), ``expires_at`` the TTL attribute (epoch seconds), and the stream (new and old
images) feeds the transactional outbox.
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
        # The transactional outbox is sent from the table's stream (chalicelib/outbox).
        "StreamSpecification": STREAM_SPECIFICATION,
    }


def ensure_table(client: Any, table_name: str, *, time_to_live: bool = True) -> bool:
    """Create the table (with TTL and its stream) if missing; turn the stream on for a table made
    before it existed. Returns True if the table was created.

    ``time_to_live=False`` is for tests whose clock is fixed: DynamoDB Local deletes expired items
    by the real clock within seconds, so an item stamped at a test's fixed "now" would vanish
    mid-test. AWS deletes expired items only within days; the code never relies on the deletion
    (reads check ``expires_at`` where it matters), so tables without it behave as AWS does."""
    existing = client.list_tables().get("TableNames", [])
    # list_tables pages at 100 names; a local/test engine never has that many.
    if table_name in existing:
        description = client.describe_table(TableName=table_name)["Table"]
        if not description.get("StreamSpecification", {}).get("StreamEnabled"):
            client.update_table(TableName=table_name, StreamSpecification=STREAM_SPECIFICATION)
        return False
    try:
        client.create_table(**create_table_kwargs(table_name))
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    if not time_to_live:
        return True
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return True
