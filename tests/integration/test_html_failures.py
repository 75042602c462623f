"""The console and personal links fail as pages, with their own security headers (issue 19, §4).

A storage outage's 503, a form the console cannot read (a Windows-1252 CSV) and an unexpected 500
used to answer the API's raw JSON, without the console's Content-Security-Policy, no-store and
no-framing headers. They answer an HTML page with the right status now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from typing import Any

import pytest

from chalicelib.aws import dynamodb_client
from chalicelib.console import web as console_web
from tests.support.builders import GROUP_ID, make_group
from tests.support.console import Console
from tests.support.stacks import Stack, make_client

IMPORT = f"/console/groups/{GROUP_ID}/members/import"


@pytest.fixture
def world(moto_stack: Stack) -> Iterator[tuple[Stack, Any]]:
    make_group(moto_stack.container)
    moto_stack.container.organizers.create(name="Ada Admin", email="ada@example.org", role="admin")
    with make_client(moto_stack) as client:
        yield moto_stack, client


def signed_in(world: tuple[Stack, Any]) -> Console:
    stack, client = world
    console = Console(client)
    console.sign_in(stack, "ada@example.org")
    return console


def storage_goes_down(stack: Stack) -> None:
    dead = replace(stack.settings, dynamodb_endpoint="http://127.0.0.1:9")  # nothing listens there
    stack.settings = dead
    stack.rebuild(dynamodb=dynamodb_client(dead))


def header(response: Any, name: str) -> str:
    found = {k.lower(): v for k, v in response.headers.items()}
    return str(found.get(name.lower(), ""))


def assert_console_page(response: Any, status: int) -> str:
    assert response.status_code == status, response.body
    for name, value in console_web.HEADERS.items():
        assert header(response, name) == value, name
    assert "frame-ancestors 'none'" in header(response, "Content-Security-Policy")
    body = response.body.decode()
    assert body.startswith("<!doctype html>") and '"error"' not in body
    return body


def assert_link_page(response: Any, status: int) -> str:
    assert response.status_code == status, response.body
    assert header(response, "Content-Type") == "text/html; charset=utf-8"
    assert header(response, "Cache-Control") == "no-store"
    assert header(response, "Referrer-Policy") == "no-referrer"
    assert header(response, "X-Frame-Options") == "DENY"
    assert header(response, "X-Content-Type-Options") == "nosniff"
    csp = header(response, "Content-Security-Policy")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    body = response.body.decode()
    assert body.startswith("<!doctype html>") and '"error"' not in body
    return body


def test_a_storage_outage_answers_the_consoles_page_with_its_headers(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    csrf = console.csrf()
    storage_goes_down(stack)
    console = Console(console.client._client, console.cookie)  # no outbox drain after each request
    for response in (
        console.get("/console"),
        console.get(f"/console/groups/{GROUP_ID}/members"),
        console.post(f"/console/groups/{GROUP_ID}/members/add", {"name": "Ann", "email": "a@example.org"}, csrf=csrf),
        Console(console.client).get("/console/sign-in"),  # public: answers without storage
    ):
        if response.status_code == 200:
            continue  # the sign-in form needs no storage
        body = assert_console_page(response, 503)
        assert int(header(response, "Retry-After")) > 0
        assert "briefly unavailable" in body


def test_a_windows_1252_csv_upload_is_read_as_excel_wrote_it(world: tuple[Stack, Any]) -> None:
    console = signed_in(world)
    csrf = console.csrf(IMPORT)
    boundary = "----mbc-test-boundary"
    csv = "name,email,state\r\nJosé Núñez,jose@example.org,ID\r\n".encode("cp1252")
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="members.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + csv
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = console.client.http.post(
        IMPORT, headers=console.headers(**{"Content-Type": f"multipart/form-data; boundary={boundary}"}), body=body
    )
    assert response.status_code == 303, response.body  # checked and kept as a draft
    page = assert_console_page(console.get(response.headers["Location"].split("?")[0]), 200)
    assert "José Núñez" in unescape(page) and "Windows-1252" in page


def test_a_form_field_that_is_not_utf8_answers_the_consoles_page(world: tuple[Stack, Any]) -> None:
    console = signed_in(world)
    csrf = console.csrf(IMPORT)
    boundary = "----mbc-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="csv"\r\n\r\n'
        ).encode()
        + "José".encode("cp1252")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = console.client.http.post(
        IMPORT, headers=console.headers(**{"Content-Type": f"multipart/form-data; boundary={boundary}"}), body=body
    )
    assert "could not be read" in assert_console_page(response, 400)


def test_an_unexpected_failure_answers_the_consoles_page(
    world: tuple[Stack, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from chalicelib.console import views

    console = signed_in(world)

    def broken(ctx: Any) -> Any:
        raise RuntimeError("ann@example.org typed something odd")  # a bug, quoting someone's input

    monkeypatch.setitem(views.PAGES, "members", broken)
    body = assert_console_page(console.get(f"/console/groups/{GROUP_ID}/members"), 500)
    assert "Something went wrong on our side" in body
    assert "ann@example.org" not in caplog.text  # logged by type and place, not by message
    assert "RuntimeError" in caplog.text

    def broken_handle(*args: Any) -> Any:
        raise RuntimeError("before the console's own handler")

    monkeypatch.setattr(views, "handle", broken_handle)  # the net under the console's own handling
    assert_console_page(console.get("/console"), 500)


def test_a_personal_link_during_an_outage_or_a_bug_answers_a_page(
    world: tuple[Stack, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, client = world
    link = "/j/" + "A" * 43

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(stack.container.join_clicks, "open", broken)
    body = assert_link_page(client.http.get(link), 500)
    assert "Something went wrong" in body
    monkeypatch.undo()
    storage_goes_down(stack)
    response = client._client.http.get(link)  # no outbox drain after the request
    body = assert_link_page(response, 503)
    assert int(header(response, "Retry-After")) > 0 and "briefly unavailable" in body


def test_the_apis_own_errors_stay_json(world: tuple[Stack, Any]) -> None:
    stack, client = world
    storage_goes_down(stack)
    response = client._client.http.get("/events")
    assert response.status_code == 503 and header(response, "Content-Type") == "application/json"


def test_a_wrong_method_on_a_personal_link_keeps_its_allow_header(world: tuple[Stack, Any]) -> None:
    _, client = world
    response = client._client.http.put("/j/" + "A" * 43, body=b"")
    assert_link_page(response, 405)
    assert "GET" in header(response, "Allow")
