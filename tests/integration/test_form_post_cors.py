"""A no-JavaScript form post needs no CORS headers: the browser shows the answer (a page or a
redirect) and no script reads it. So its ``Origin`` header costs no read of the stored origins
(issue 23: it was a fourth DynamoDB call on the first form post in a container)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import container
from tests.support.builders import group_body, signup_body
from tests.support.stacks import Stack

FORM = "application/x-www-form-urlencoded"
# Not a deploy-time origin: CORS for it would need the stored list (a GetItem).
ELSEWHERE = "https://www.elsewhere.example.net"


@pytest.fixture
def calls(moto_stack: Stack) -> list[str]:
    container.current().groups.create(group_body())
    recorded: list[str] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        key = params.get("Key") or params.get("Item") or {}
        recorded.append(f"{model.name} {key.get('pk', {}).get('S', '').split('#')[0]}".strip())

    moto_stack.client.meta.events.register("before-parameter-build.dynamodb.*", record)
    return recorded


def post(api: Any, path: str, fields: dict[str, Any], **headers: str) -> Any:
    return api.http.post(path, headers={"Origin": ELSEWHERE, **headers}, body=urlencode(fields).encode())


def test_a_form_signup_reads_no_stored_origins(api: Any, calls: list[str]) -> None:
    response = post(
        api, "/groups/mbc-connection-group/signups", {**signup_body(), "consent": "on"}, **{"Content-Type": FORM}
    )
    assert response.status_code == 303  # to the thank-you page
    # The request's own three (the outbox's handler runs after it, as the stream would).
    assert [c.split()[0] for c in calls[:4]] == ["GetItem", "UpdateItem", "PutItem", "Query"]
    assert "GetItem SITE" not in calls
    assert not {"Access-Control-Allow-Origin", "Vary"} & set(response.headers)


def test_a_form_resend_reads_no_stored_origins(api: Any, calls: list[str]) -> None:
    response = post(api, "/groups/mbc-connection-group/resend", {"email": "ann@example.org"}, **{"Content-Type": FORM})
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
    assert "GetItem SITE" not in calls
    assert not {"Access-Control-Allow-Origin", "Vary"} & set(response.headers)


def test_a_script_post_still_gets_cors_from_the_stored_list(api: Any, calls: list[str]) -> None:
    """The widget posts JSON and reads the answer: its origin is looked up (once per container)."""
    response = api.http.post(
        "/groups/mbc-connection-group/signups",
        headers={"Origin": ELSEWHERE, "Content-Type": "application/json", "Accept": "application/json"},
        body=b'{"name": "Ann Example", "email": "ann@example.org", "state": "MT", "consent": true}',
    )
    assert response.status_code == 202
    assert calls[:4] == ["GetItem GROUPS", "UpdateItem RATE", "PutItem INTAKE", "GetItem SITE"]
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in response.headers  # not an allowed origin
