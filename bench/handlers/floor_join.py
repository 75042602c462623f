"""The floor of ``GET /j/{token}`` inside a meeting's opening window: botocore alone, a client, the
click path by hand (a Lambda handler: ``handler``; bench/coldjoin.py).

The same work as the app's (chalicelib/joinlinks/click.py and storage.py), nothing of the app: the
token's SHA-256; GetItem of the link; one consistent BatchGetItem of the member and the group's
window; UpdateItem of the link's per-minute counter; the conditional PutItem of the member's first
opening of this meeting; then the same 303 to the room with the same headers (the benchmark checks
both). Standard library and botocore only. The key layouts are written out here, as a hand-written
handler would: the identity check fails if they drift from the app's.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session

client = botocore.session.Session().create_client(
    "dynamodb", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ.get("DYNAMODB_ENDPOINT")
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}
PER_TOKEN_PER_MINUTE = 20
OPENED_RETENTION = timedelta(days=90)


def now() -> datetime:
    """The clock (the benchmark's identity check pins it, and the app's, to one instant)."""
    return datetime.now(UTC)  # real clock: a hand-written handler reads the time as Lambda gives it


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = os.environ["TABLE_NAME"]
    token = event["pathParameters"]["token"]
    moment = now()
    hashed = hashlib.sha256(token.encode()).hexdigest()
    link = client.get_item(TableName=table, Key={"pk": {"S": "JOIN#" + hashed}, "sk": {"S": "JOIN"}})["Item"]
    group_id, signup_id = link["group_id"]["S"], link["signup_id"]["S"]
    member_pk, window_pk = "SIGNUPS#" + group_id, "JOINWIN#" + group_id
    keys = [{"pk": {"S": member_pk}, "sk": {"S": signup_id}}, {"pk": {"S": window_pk}, "sk": {"S": "JOINWIN"}}]
    resp = client.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    found = {item["pk"]["S"]: item for item in resp["Responses"][table]}
    member, window = found[member_pk], json.loads(found[window_pk]["doc"]["S"])
    if (
        member["status"]["S"] != "active"
        or member["gen"]["S"] != link["gen"]["S"]
        or int(member.get("link_rev", {"N": "0"})["N"]) != int(link["link_rev"]["N"])
    ):
        raise RuntimeError("the benchmark's member cannot open her link")
    counted = client.update_item(
        TableName=table,
        Key={"pk": {"S": "RATE#join#" + hashed[:32]}, "sk": {"S": moment.strftime("%Y-%m-%dT%H:%M")}},
        UpdateExpression="SET expires_at = :ttl ADD n :one",
        ExpressionAttributeValues={":ttl": {"N": str(int(moment.timestamp()) + 600)}, ":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    if int(counted["Attributes"]["n"]["N"]) > PER_TOKEN_PER_MINUTE:
        raise RuntimeError("the benchmark's link was rate-limited")
    for meeting in window["meetings"]:
        end = datetime.fromisoformat(meeting["end"])
        if end > moment and meeting["status"] != "cancelled" and datetime.fromisoformat(meeting["opens"]) <= moment:
            day = meeting["date"]
            item = {
                "pk": {"S": f"DELIVERIES#{group_id}#{day}"},
                "sk": {"S": f"{signup_id}#opened"},
                "signup_id": {"S": signup_id},
                "kind": {"S": "opened"},
                "status": {"S": "opened"},
                "opened_at": {"S": moment.isoformat()},
                "expires_at": {"N": str(int((end + OPENED_RETENTION).timestamp()))},
                "gsi1pk": {"S": f"MEMBERDELIV#{group_id}#{signup_id}"},
                "gsi1sk": {"S": f"{day}#opened"},
            }
            # Not contextlib.suppress: that would build the client's exception classes on every call, which
            # the app (an ``except`` clause, evaluated only on a failure) does not.
            try:  # noqa: SIM105
                client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
            except client.exceptions.ConditionalCheckFailedException:
                pass  # opened before for this meeting
            headers = {"Location": window["zoom_url"], **HEADERS}
            return {"statusCode": 303, "headers": headers, "multiValueHeaders": {}, "body": ""}
    raise RuntimeError("no meeting of the benchmark's window is open")
