"""``POST /groups/{id}/signups`` done by hand, as a browser without JavaScript sends it (an urlencoded
form) and as the website's widget does (JSON, with CORS): the floor the app's cold signup is measured
against (bench/coldsignup.py). A Lambda handler: ``handler``.

The same work as the app's form post, nothing of the app: botocore alone and a client at module
level; the form read with the standard library and checked as a hand-written handler would (the
fields the form has, their lengths, the address's shape, the two states, the consent and its
version, the honeypot); the same three DynamoDB calls with the same parameters (``calls``: GetItem
the group, UpdateItem the per-IP counter keyed by an HMAC of the address, PutItem the ``INTAKE#``
item, conditional on not being withdrawn); the same answer: for the form, a 303 to the thank-you page
with a link back to the page the form was on when it is on the website's origin; for JSON, the 202
with the CORS headers of an allowed origin. The benchmark checks the calls
against the app's recorded ones and the answer byte for byte (bench/coldsignup.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import botocore.session

CONSENT_VERSION = "2026-11-26"  # chalicelib/signups/consent.py (the benchmark compares the stored item)
STATES = ("ID", "MT")
TRUTHY = ("on", "yes", "true", "1")
FIELDS = frozenset({"name", "email", "state", "consent", "consent_version", "website"})
ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_key: list[bytes] = []

client: Any = botocore.session.Session().create_client(
    "dynamodb", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ.get("DYNAMODB_ENDPOINT")
)


def now() -> datetime:
    return datetime.now(UTC)  # real clock: a hand-written handler reads the time as Lambda gives it


def identity_key() -> bytes:
    """The key of the hashes standing for an address or an IP, read once per container (the app's file)."""
    if not _key:
        with open(os.path.join(os.environ["LOCAL_STATE_DIR"], "identity-key"), "rb") as fh:
            _key.append(fh.read().strip())
    return _key[0]


def keyed(value: str, purpose: str) -> str:
    return hmac.new(identity_key(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name, "")
    return value.strip() if isinstance(value, str) else "\0"  # not a string: refused below


def check(fields: dict[str, Any]) -> dict[str, str]:
    """The checked form (urlencoded or JSON), or the names of the bad fields (a ValueError)."""
    bad = sorted(str(k) for k in set(fields) - FIELDS)
    name = _text(fields, "name")
    email = _text(fields, "email")
    if not 1 <= len(name) <= 100 or not name.isprintable():
        bad.append("name")
    if len(email) > 254 or not email.isascii() or not ADDRESS.fullmatch(email):
        bad.append("email")
    if fields.get("state") not in STATES:
        bad.append("state")
    consent = fields.get("consent")
    if consent is not True and (not isinstance(consent, str) or consent.strip().lower() not in TRUTHY):
        bad.append("consent")
    if fields.get("consent_version", CONSENT_VERSION) != CONSENT_VERSION:
        bad.append("consent_version")
    if not isinstance(fields.get("website", ""), str):
        bad.append("website")
    if bad:
        raise ValueError(bad)
    return {"name": name, "email": email.lower(), "state": str(fields["state"])}


def calls(
    *, table: str, group_id: str, form: dict[str, str], ip: str, moment: datetime, request_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """The request's three DynamoDB calls (operation, parameters)."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    received = moment.isoformat()
    address = keyed(form["email"], "email")
    item = {
        "group_id": {"S": group_id},
        "request_id": {"S": request_id},
        "received_at": {"S": received},
        "name": {"S": form["name"]},
        "email": {"S": form["email"]},
        "state": {"S": form["state"]},
        "consent_version": {"S": CONSENT_VERSION},
        "expires_at": {"N": str(int((moment + timedelta(days=1)).timestamp()))},
        "pk": {"S": f"INTAKE#{address}#{group_id}"},
        "sk": {"S": "INTAKE"},
        "gsi1pk": {"S": "INTAKE#pending"},
        "gsi1sk": {"S": f"{received}#{address}"},
    }
    return [
        (
            "GetItem",
            {"TableName": table, "Key": {"pk": {"S": "GROUPS"}, "sk": {"S": group_id}}, "ConsistentRead": True},
        ),
        (
            "UpdateItem",
            {
                "TableName": table,
                "Key": {"pk": {"S": "RATE#ip#" + keyed(ip, "ip")}, "sk": {"S": hour.strftime("%Y-%m-%dT%H")}},
                "ReturnValues": "UPDATED_NEW",
                "UpdateExpression": "SET #s0 = :s0 ADD #a0 :a0",
                "ExpressionAttributeNames": {"#s0": "expires_at", "#a0": "n"},
                "ExpressionAttributeValues": {
                    ":s0": {"N": str(int((hour + timedelta(hours=2)).timestamp()))},
                    ":a0": {"N": "1"},
                },
            },
        ),
        (
            "PutItem",
            {
                "TableName": table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(withdrawn) OR withdrawn <> :wrid",
                "ExpressionAttributeValues": {":wrid": {"S": request_id}},
            },
        ),
    ]


def _answer(status: int, headers: dict[str, str], body: str = "") -> dict[str, Any]:
    return {"headers": headers, "multiValueHeaders": {}, "statusCode": status, "body": body}


def _problem(status: int, code: str, fields: list[str]) -> dict[str, Any]:
    body = json.dumps({"error": code, "fields": fields})
    return _answer(status, {"Content-Type": "application/json", **NO_STORE}, body)


def _fields(event: dict[str, Any], is_json: bool) -> dict[str, Any]:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8", "replace")
    if is_json:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(["body"])
        return data
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True, max_num_fields=50).items()}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    group_id = (event.get("pathParameters") or {}).get("group_id", "")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    is_json = headers.get("content-type", "").split(";")[0].strip() == "application/json"
    origins = [o.strip().rstrip("/").lower() for o in os.environ.get("WEBSITE_ORIGINS", "").split(",") if o.strip()]
    try:
        fields = _fields(event, is_json)
        form = check(fields)
    except (ValueError, TypeError, AttributeError) as exc:
        return _problem(400, "invalid", list(exc.args[0]) if exc.args and isinstance(exc.args[0], list) else ["body"])
    if is_json:
        # The website's widget: a CORS answer for an allowed origin.
        origin = headers.get("origin", "")
        answer = {"Vary": "Origin"}
        if origin.rstrip("/").lower() in origins:
            answer |= {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "Retry-After, Location"}
        done = _answer(202, {**answer, "Content-Type": "application/json", **NO_STORE}, '{"status":"check_your_email"}')
    else:
        # A browser's form post: a 303 to the thank-you page, with a link back to the website's page.
        referer = headers.get("referer", "")
        parts = urlsplit(referer)
        back = referer if f"{parts.scheme}://{parts.netloc}".lower() in origins else ""
        api = os.environ.get("PUBLIC_API_URL", "").rstrip("/")
        thanks = f"{api}/embed/{group_id}/thanks" + (f"?{urlencode({'back': back})}" if back else "")
        done = _answer(303, {"Location": thanks, **NO_STORE})
    if str(fields.get("website") or "").strip():  # the honeypot: the same answer, nothing stored
        return done
    ip = str(((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp") or "unknown")
    get, count, put = calls(
        table=os.environ["TABLE_NAME"],
        group_id=group_id,
        form=form,
        ip=ip,
        moment=now(),
        request_id=secrets.token_hex(8),
    )
    group = client.get_item(**get[1]).get("Item")
    if group is None:
        return _problem(404, "not_found", [])
    if group["status"]["S"] != "active":
        return _problem(409, "group_paused", [])
    n = int(client.update_item(**count[1])["Attributes"]["n"]["N"])
    if n > int(os.environ.get("SIGNUP_LIMIT_PER_IP_PER_HOUR", "20")):
        return _problem(429, "rate_limited", [])
    with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
        client.put_item(**put[1])  # refused only if withdrawn meanwhile: nothing to do, as the app
    return done
