"""A person's first signup in a fresh container loads neither pydantic nor email-validator
(issue 23): the public forms are checked by ``signups/public_forms.py`` and an everyday address by
``emails.plain_address``. Each request is served once in a fresh interpreter through the Lambda
handler, on a moto table filled beforehand; the child reports the libraries that ``import app``
and the request loaded (none of them may have been loaded by the set-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.stacks import ROOT

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WATCHED = ("pydantic", "pydantic_core", "email_validator", "annotated_types")
CHILD = """
import json, sys
from datetime import datetime
spec = json.loads(sys.stdin.read())
import boto3
from moto import mock_aws
from bench.lambda_event import LambdaContext, rest_event
watched = set(spec["watched"])
with mock_aws():
    client = boto3.client("dynamodb", region_name="us-west-2")
    client.create_table(**spec["table"])
    for item in spec["items"]:
        client.put_item(TableName=spec["table"]["TableName"], Item=item)
    before = {m.split(".")[0] for m in sys.modules} & watched
    import app
    from chalicelib import container
    from chalicelib.clock import FixedClock
    container.install(container.build(clock=FixedClock(datetime.fromisoformat(spec["now"]))))
    r = spec["request"]
    event = rest_event("POST", r["resource"], r["path"], "", r["body"].encode(), r["headers"])
    response = app.app(event, LambdaContext())
loaded = {m.split(".")[0] for m in sys.modules} & watched
print(json.dumps({"status": response["statusCode"], "before": sorted(before), "loaded": sorted(loaded)}))
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from moto import mock_aws

    from chalicelib import container
    from chalicelib.table import create_table_kwargs
    from tests.support.builders import group_body
    from tests.support.stacks import open_stack, stack_env

    env = stack_env(tmp_path_factory.mktemp("cold"), "mbc-cold-signup")
    with pytest.MonkeyPatch.context() as mp, mock_aws():
        stack = open_stack(mp, env)
        stack.clock.set(NOW)
        group = stack.container.groups.create(group_body())
        items = stack.client.scan(TableName=stack.table)["Items"]  # a test reads everything back
        table = create_table_kwargs(stack.table)
        container.reset()
    return {"env": {**os.environ, **env}, "table": table, "items": items, "group": group["id"]}


def _serve(seeded: dict[str, Any], body: str, headers: dict[str, str]) -> dict[str, Any]:
    path = f"/groups/{seeded['group']}/signups"
    request = {"resource": "/groups/{group_id}/signups", "path": path, "body": body, "headers": headers}
    spec = {"table": seeded["table"], "items": seeded["items"], "now": NOW.isoformat(), "request": request}
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps({**spec, "watched": WATCHED}),
        cwd=Path(ROOT),
        env=seeded["env"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    assert result["before"] == []  # the set-up loaded none of them: the check means something
    return result


PERSON = {"name": "Bea Example", "email": "Bea.Example+mbc@Example.org", "state": "ID"}
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (urlencode({**PERSON, "consent": "yes"}), {"content-type": FORM, "accept": "text/html"}, 303),
        (urlencode({**PERSON, "consent": "yes"}), {"content-type": FORM, "accept": "application/json"}, 202),
        (json.dumps({**PERSON, "consent": True}), {"content-type": "application/json"}, 202),
    ],
    ids=["browser form", "form asking for json", "json"],
)
def test_a_cold_valid_signup_loads_neither_pydantic_nor_email_validator(
    seeded: dict[str, Any], body: str, headers: dict[str, str], status: int
) -> None:
    served = _serve(seeded, body, headers)
    assert served["status"] == status
    assert served["loaded"] == []


def test_an_unusual_address_still_gets_email_validators_answer(seeded: dict[str, Any]) -> None:
    """The shortcut only decides plain ASCII addresses; an internationalized one goes to email-validator."""
    body = json.dumps({**PERSON, "email": "zoë@exämple.org", "consent": True})
    served = _serve(seeded, body, {"content-type": "application/json"})
    assert served["status"] == 202
    assert "email_validator" in served["loaded"]
    assert "pydantic" not in served["loaded"]
