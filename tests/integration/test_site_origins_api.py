"""Allowed website origins as data: admins change them through the API or the CLI, and CORS, form
redirects and the embed page's frame-ancestors follow without a redeploy."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib import cli, container
from tests.support.builders import as_json, group_body, send, signup_body
from tests.support.stacks import Stack

STAGING = "https://staging.example.org"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_admins_read_and_replace_the_list_with_optimistic_locking(api: Any, organizer_key: str) -> None:
    assert api.http.get("/site/origins").status_code == 401
    first = api.http.get("/site/origins", headers=auth(organizer_key))
    assert first.status_code == 200
    assert as_json(first) == {
        "origins": [],
        "deploy_origins": ["https://www.example.org"],
        "version": 0,
        "updated_at": None,
        "updated_by": None,
    }
    body = {"origins": ["HTTPS://Staging.Example.org/", "http://localhost:8001", STAGING], "version": 0}
    put = send(api, "PUT", "/site/origins", body, organizer_key)
    assert put.status_code == 200, put.body
    stored = as_json(put)
    assert stored["origins"] == [STAGING, "http://localhost:8001"]  # normalised, once each
    assert stored["version"] == 1
    assert stored["updated_by"].startswith("org_")
    assert put.headers["ETag"] == '"1"'
    stale = send(api, "PUT", "/site/origins", {"origins": [], "version": 0}, organizer_key)
    assert stale.status_code == 409
    assert as_json(api.http.get("/site/origins", headers=auth(organizer_key)))["origins"] == [
        STAGING,
        "http://localhost:8001",
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"origins": ["https://ok.example.org", "http://plain.example.org"], "version": 0}, {"origins.1"}),
        ({"origins": ["https://example.org/join", "ftp://x.org"], "version": 0}, {"origins.0", "origins.1"}),
        ({"origins": [f"https://s{n}.example.org" for n in range(21)], "version": 0}, {"origins"}),
        ({"origins": []}, {"version"}),
        ({"origins": [], "version": -1}, {"version"}),
        ({"origins": "https://example.org", "version": 0}, {"origins"}),
        ({"origins": [], "version": 0, "extra": 1}, {"extra"}),
    ],
)
def test_bad_lists_are_refused_naming_each_field(
    api: Any, organizer_key: str, body: dict[str, Any], fields: set[str]
) -> None:
    response = send(api, "PUT", "/site/origins", body, organizer_key)
    assert response.status_code == 400
    assert set(as_json(response)["error"]["fields"]) == fields
    assert as_json(api.http.get("/site/origins", headers=auth(organizer_key)))["version"] == 0  # nothing written


def test_cors_and_form_redirects_follow_the_stored_list_without_a_restart(
    api: Any, moto_stack: Stack, organizer_key: str
) -> None:
    container.current().groups.create(group_body())
    refused = api.http.get("/events", headers={"Origin": STAGING})
    assert "Access-Control-Allow-Origin" not in refused.headers
    preflight = api.http.options("/groups/mbc-connection-group/signups", headers={"Origin": STAGING})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    redirect = {**signup_body(), "consent": "on", "redirect": f"{STAGING}/thanks"}
    form = send_form(api, redirect)
    assert form.status_code == 400
    assert send(api, "PUT", "/site/origins", {"origins": [STAGING], "version": 0}, organizer_key).status_code == 200

    allowed = api.http.get("/events", headers={"Origin": STAGING})
    assert allowed.headers["Access-Control-Allow-Origin"] == STAGING
    assert allowed.headers["Vary"] == "Origin"
    preflight = api.http.options("/groups/mbc-connection-group/signups", headers={"Origin": STAGING})
    assert preflight.headers["Access-Control-Allow-Origin"] == STAGING
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    form = send_form(api, redirect)
    assert form.status_code == 303
    assert form.headers["Location"] == f"{STAGING}/thanks"
    # The deploy-time origin still works, and never needs the stored list.
    assert api.http.get("/events", headers={"Origin": "https://www.example.org"}).headers[
        "Access-Control-Allow-Origin"
    ] == ("https://www.example.org")


def send_form(api: Any, fields: dict[str, str]) -> Any:
    from urllib.parse import urlencode

    return api.http.post(
        "/groups/mbc-connection-group/signups",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(fields).encode(),
    )


def test_cli_lists_adds_and_removes(moto_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["site", "origins", "add", "https://WWW.Staging.example.org/"]) == 0
    assert "https://www.staging.example.org" in capsys.readouterr().out
    assert cli.main(["site", "origins", "add", "http://localhost:8001"]) == 0
    assert cli.main(["site", "origins", "add", "http://localhost:8001"]) == 0  # already there: no change
    capsys.readouterr()
    assert cli.main(["site", "origins", "list"]) == 0
    listed = capsys.readouterr().out
    assert '"version": 2' in listed
    assert "https://www.staging.example.org" in listed and "http://localhost:8001" in listed
    assert cli.main(["site", "origins", "add", "http://www.example.net"]) == 2
    assert "https://" in capsys.readouterr().err
    assert cli.main(["site", "origins", "remove", "https://www.example.org"]) == 3
    assert "deployment settings" in capsys.readouterr().err
    assert cli.main(["site", "origins", "remove", "https://nowhere.example.org"]) == 3
    assert cli.main(["site", "origins", "remove", "http://localhost:8001"]) == 0
    assert container.current().site.origins()["origins"] == ["https://www.staging.example.org"]


@pytest.mark.ddblocal
def test_concurrent_writers_of_one_version_one_wins(ddb_stack: Stack) -> None:
    site = ddb_stack.container.site
    results: list[str] = []
    barrier = threading.Barrier(6)

    def write(n: int) -> None:
        mine = ddb_stack.build().site
        barrier.wait()
        try:
            mine.replace_origins({"origins": [f"https://w{n}.example.org"], "version": 0}, by=f"org_{n}")
            results.append("won")
        except Exception as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["StaleVersion"] * 5 + ["won"]
    stored = site.origins()
    assert stored["version"] == 1 and len(stored["origins"]) == 1
