"""Connection Group signups over the HTTP API (moto underneath)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import container
from chalicelib.errors import LinkProblem
from chalicelib.signups.addresses import email_hash
from tests.support.builders import (
    GROUP_ID,
    ZOOM_URL,
    as_json,
    erase_link_from_manage_page,
    group_body,
    link_in,
    outbox_messages,
    plain_text,
    send,
    signup_body,
)
from tests.support.stacks import Stack, make_client

SIGNUPS = f"/groups/{GROUP_ID}/signups"


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return container.current().groups.create(group_body())


def post_form(api: Any, fields: dict[str, str], **headers: str) -> Any:
    """A form post asking for JSON (a browser's own form post gets pages: test_website_pages.py)."""
    return api.http.post(
        SIGNUPS,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", **headers},
        body=urlencode(fields).encode(),
    )


def records() -> list[dict[str, Any]]:
    return container.current().signups.list_page(GROUP_ID, {})["signups"]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_json_signup_confirm_approve_and_organizer_views(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    response = send(api, "POST", SIGNUPS, signup_body(how_heard="My oncologist"))
    assert response.status_code == 202
    assert as_json(response) == {"status": "check_your_email"}
    [pending] = records()
    assert pending["status"] == "pending_confirmation"
    assert pending["consent_version"]
    [confirmation] = outbox_messages(moto_stack.outbox)
    assert confirmation["To"] == "ann@example.org"
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert confirmation["List-Unsubscribe"].startswith("<http://api.test/signups/unsubscribe?token=")
    confirm = link_in(confirmation, "/signups/confirm")

    page = api.http.get(confirm, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert b'<form method="post"' in page.body
    assert records()[0]["status"] == "pending_confirmation"  # a GET changes nothing

    done = api.http.post(confirm, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=b"confirmed=yes")
    assert done.status_code == 200
    assert as_json(done) == {"status": "pending_approval"}
    again = api.http.post(confirm, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=b"")
    assert as_json(again) == {"status": "pending_approval"}

    moto_stack.clock.advance(minutes=7)  # organizer notices go in batches, a few minutes apart
    moto_stack.drain()
    notice = outbox_messages(moto_stack.outbox)[-1]
    assert notice["To"] == "organizer@example.org"
    assert "1 confirmed signup" in plain_text(notice)
    assert "Ann" not in notice.as_string() and "ann@example.org" not in notice.as_string()

    waiting = as_json(api.http.get(f"{SIGNUPS}?status=pending_approval", headers=auth(organizer_key)))["signups"]
    assert [(s["email"], s["name"], s["state"]) for s in waiting] == [("ann@example.org", "Ann Example", "MT")]
    signup_id = waiting[0]["id"]
    approved = send(api, "POST", f"{SIGNUPS}/{signup_id}/approve", None, organizer_key)
    assert approved.status_code == 200
    member = as_json(approved)
    assert member["status"] == "active"
    assert member["approved_by"].startswith("org_")
    assert member["confirmed_at"] and member["approved_at"] and member["consent_at"]
    welcome = outbox_messages(moto_stack.outbox)[-1]
    assert welcome["Subject"] == "Welcome to the MBC Connection Group"
    assert "Next meeting: Tuesday" in plain_text(welcome)
    assert " at 4:00 PM Mountain." in plain_text(welcome)  # a Montana member: Mountain time
    assert ZOOM_URL not in welcome.as_string()  # the link itself comes with the reminders
    count = len(outbox_messages(moto_stack.outbox))
    assert send(api, "POST", f"{SIGNUPS}/{signup_id}/approve", None, organizer_key).status_code == 200
    assert len(outbox_messages(moto_stack.outbox)) == count  # approving twice sends nothing more

    exported = api.http.get(f"{SIGNUPS}.csv", headers=auth(organizer_key))
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body.decode())))
    assert [(r["email"], r["status"]) for r in rows] == [("ann@example.org", "active")]


def test_plain_form_post_redirects_to_allowed_origin(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    fields = {"name": "Bea", "email": "bea@example.org", "state": "ID", "consent": "on", "website": ""}
    thanks = post_form(api, {**fields, "redirect": "https://www.example.org/thank-you"})
    assert thanks.status_code == 303
    assert thanks.headers["Location"] == "https://www.example.org/thank-you"
    assert [r["state"] for r in records()] == ["ID"]
    evil = post_form(api, {**fields, "email": "c@example.org", "redirect": "https://evil.example.com/x"})
    assert evil.status_code == 400
    assert "redirect" in as_json(evil)["error"]["fields"]
    plain = post_form(api, {**fields, "email": "d@example.org"})
    assert plain.status_code == 202
    assert len(records()) == 2


def test_same_answer_whatever_the_address_state(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    service = container.current().signups
    first = send(api, "POST", SIGNUPS, signup_body())
    pending_again = send(api, "POST", SIGNUPS, signup_body())
    link = service.read_link(
        link_in(outbox_messages(moto_stack.outbox)[0], "/signups/confirm").split("=", 1)[1], "confirm"
    )
    service.confirm(link)
    member = send(api, "POST", SIGNUPS, signup_body())
    service.unsubscribe(link)
    unsubscribed = send(api, "POST", SIGNUPS, signup_body(email="ANN@example.org"))
    service.repo.suppress(email_hash("zed@example.org"), reason="complaint", when="now")
    suppressed = send(api, "POST", SIGNUPS, signup_body(email="zed@example.org"))
    answers = {(r.status_code, r.body) for r in (first, pending_again, member, unsubscribed, suppressed)}
    assert answers == {(202, b'{"status":"check_your_email"}')}
    assert all(r["email"] != "zed@example.org" for r in records())


def test_honeypot_stores_and_sends_nothing(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    response = send(api, "POST", SIGNUPS, signup_body(website="http://spam.example"))
    assert response.status_code == 202
    assert as_json(response) == {"status": "check_your_email"}
    assert records() == []
    assert outbox_messages(moto_stack.outbox) == []


def test_one_record_per_normalised_address(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    for email in ("  Ann@Example.ORG ", "ann@example.org", "ANN@EXAMPLE.ORG"):
        assert send(api, "POST", SIGNUPS, signup_body(email=email)).status_code == 202
    assert [r["email"] for r in records()] == ["ann@example.org"]
    assert len(outbox_messages(moto_stack.outbox)) == 1  # the address limit held back the repeats


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"state": "WA"}, "state"),
        ({"consent": False}, "consent"),
        ({"consent": "no"}, "consent"),
        ({"how_heard": "x" * 201}, "how_heard"),
        ({"diagnosis": "stage IV"}, "diagnosis"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_stored(
    api: Any, moto_stack: Stack, group: dict[str, Any], override: dict[str, Any], field: str
) -> None:
    response = send(api, "POST", SIGNUPS, signup_body(**override))
    assert response.status_code == 400
    assert field in as_json(response)["error"]["fields"]
    assert records() == []
    assert outbox_messages(moto_stack.outbox) == []


def test_missing_consent_and_bad_bodies(api: Any, group: dict[str, Any]) -> None:
    body = signup_body()
    del body["consent"]
    assert "consent" in as_json(send(api, "POST", SIGNUPS, body))["error"]["fields"]
    missing_all = as_json(post_form(api, {}))["error"]["fields"]
    assert {"name", "email", "state", "consent"} <= set(missing_all)
    # In words for the person at the form (the widget shows them next to each field), not pydantic's.
    empty = as_json(send(api, "POST", SIGNUPS, signup_body(name="", state="WA", how_heard="x" * 201)))
    assert empty["error"]["fields"] == {
        "name": "Please fill this in.",
        "state": "Please choose Idaho or Montana.",
        "how_heard": "Must be at most 200 characters.",
    }
    assert missing_all["consent"] == "You must agree to the consent statement."
    assert send(api, "POST", SIGNUPS, b"{broken").status_code == 400
    assert send(api, "POST", SIGNUPS, ["x"]).status_code == 400
    assert api.http.post(SIGNUPS, headers={"Content-Type": "text/plain"}, body=b"x").status_code == 415
    assert send(api, "POST", "/groups/no-such-group/signups", signup_body()).status_code == 404
    assert records() == []


def test_address_limits(moto_stack: Stack, group: dict[str, Any]) -> None:
    from datetime import UTC, datetime, timedelta

    service = container.current().signups
    form = service.parse_form(signup_body())
    start = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    for minutes in (0, 5, 11, 12, 25, 40, 55, 70, 90):
        moto_stack.clock.set(start + timedelta(minutes=minutes))
        service.submit(GROUP_ID, form, source_ip=f"10.0.0.{minutes}")
        moto_stack.drain()
    # Sent at 0, 11, 25, 40, 55 (5 a day, 10 minutes apart); 5, 12, 70 and 90 were held back.
    assert len(outbox_messages(moto_stack.outbox)) == 5
    moto_stack.clock.set(start + timedelta(days=1))
    service.submit(GROUP_ID, form, source_ip="10.0.0.1")
    moto_stack.drain()
    assert len(outbox_messages(moto_stack.outbox)) == 6


def test_per_ip_limit_answers_429_with_retry_after(
    moto_stack: Stack, group: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    moto_stack.settings = replace(moto_stack.settings, signup_limit_per_ip_per_hour=3)
    moto_stack.rebuild()
    with make_client(moto_stack) as api:
        answers = [send(api, "POST", SIGNUPS, signup_body(email=f"p{n}@example.org")).status_code for n in range(4)]
        assert answers == [202, 202, 202, 429]
        limited = send(api, "POST", SIGNUPS, signup_body(email="p9@example.org"))
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 3600
        assert as_json(limited)["error"]["code"] == "too_many_requests"
    assert len(records()) == 3


def test_cors_only_for_website_origins(api: Any, group: dict[str, Any]) -> None:
    ok = send(api, "POST", SIGNUPS, signup_body(), Origin="https://www.example.org")
    assert ok.headers["Access-Control-Allow-Origin"] == "https://www.example.org"
    other = send(api, "POST", SIGNUPS, signup_body(email="o@example.org"), Origin="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other.headers
    events = api.http.get("/events", headers={"Origin": "https://www.example.org"})
    assert events.headers["Access-Control-Allow-Origin"] == "https://www.example.org"


def test_tokens_are_single_purpose_and_tamper_proof(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    send(api, "POST", SIGNUPS, signup_body())
    message = outbox_messages(moto_stack.outbox)[0]
    confirm = link_in(message, "/signups/confirm")
    token = confirm.split("token=", 1)[1]
    wrong_purpose = api.http.post(f"/signups/unsubscribe?token={token}", headers={"Content-Type": "application/json"})
    assert wrong_purpose.status_code == 400
    assert "token" in as_json(wrong_purpose)["error"]["fields"]
    tampered = api.http.post(f"/signups/confirm?token={token[:-3]}abc", headers={"Content-Type": "application/json"})
    assert tampered.status_code == 400
    html = api.http.get(f"/signups/confirm?token={token[:-3]}abc", headers={"Accept": "text/html"})
    assert html.status_code == 400
    assert b"not valid" in html.body
    assert api.http.get("/signups/confirm").status_code == 400
    assert records()[0]["status"] == "pending_confirmation"


def test_confirmation_link_expires_after_72_hours(
    moto_stack: Stack, group: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from chalicelib.signing import make_token

    real = time.time()  # real clock: itsdangerous stamps member tokens with time.time()
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real - 73 * 3600)
        old = make_token("confirm", {"g": GROUP_ID, "s": "x", "n": "1"})
        m.setattr(time, "time", lambda: real - 71 * 3600)
        recent = make_token("confirm", {"g": GROUP_ID, "s": "x", "n": "1"})
    with pytest.raises(LinkProblem) as info:
        container.current().signups.read_link(old, "confirm")
    assert info.value.reason == "expired"
    assert container.current().signups.read_link(recent, "confirm").signup_id == "x"


def test_one_click_unsubscribe_and_nothing_more(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    group_doc = container.current().groups.update(GROUP_ID, {"version": 1, "requires_approval": False}, if_match=None)
    assert group_doc["requires_approval"] is False
    send(api, "POST", SIGNUPS, signup_body())
    message = outbox_messages(moto_stack.outbox)[0]
    api.http.post(link_in(message, "/signups/confirm"), headers={"Content-Type": "application/json"})
    assert records()[0]["status"] == "active"
    welcome = outbox_messages(moto_stack.outbox)[-1]
    unsubscribe_url = welcome["List-Unsubscribe"].strip("<>").replace("http://api.test", "")
    page = api.http.get(unsubscribe_url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"Unsubscribe" in page.body
    assert records()[0]["status"] == "active"
    one_click = api.http.post(
        unsubscribe_url,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"List-Unsubscribe=One-Click",
    )
    assert one_click.status_code == 200
    [record] = records()
    assert record["status"] == "unsubscribed"
    assert record["unsubscribed_at"]
    assert (
        api.http.post(unsubscribe_url, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    )


def test_member_erases_themselves(api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str) -> None:
    send(api, "POST", SIGNUPS, signup_body())
    confirm = link_in(outbox_messages(moto_stack.outbox)[0], "/signups/confirm")
    api.http.post(confirm, headers={"Content-Type": "application/json"})
    signup_id = records()[0]["id"]
    send(api, "POST", f"{SIGNUPS}/{signup_id}/approve", None, organizer_key)
    erase = erase_link_from_manage_page(api, outbox_messages(moto_stack.outbox)[-1])
    assert b"Erase my data" in api.http.get(erase, headers={"Accept": "text/html"}).body
    assert len(records()) == 1
    done = api.http.post(erase, headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
    assert done.status_code == 200
    assert b"erased" in done.body
    assert records() == []
    rows = moto_stack.client.scan(TableName=moto_stack.table)["Items"]  # test-only: prove nothing about her remains
    dump = json.dumps(rows)
    assert "ann@example.org" not in dump and "Ann Example" not in dump
    assert not [r for r in rows if r["pk"]["S"].startswith("RATE#addr#")]
    exported = api.http.get(f"{SIGNUPS}.csv", headers=auth(organizer_key)).body.decode()
    assert "ann@example.org" not in exported


def test_organizer_reject_and_erase(api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str) -> None:
    send(api, "POST", SIGNUPS, signup_body())
    send(api, "POST", SIGNUPS, signup_body(email="bo@example.org", name="Bo"))
    by_email = {r["email"]: r["id"] for r in records()}
    rejected = send(api, "POST", f"{SIGNUPS}/{by_email['bo@example.org']}/reject", None, organizer_key)
    assert as_json(rejected)["status"] == "rejected"
    assert send(api, "POST", f"{SIGNUPS}/{by_email['bo@example.org']}/approve", None, organizer_key).status_code == 409
    assert send(api, "DELETE", f"{SIGNUPS}/{by_email['ann@example.org']}", None, organizer_key).status_code == 204
    assert send(api, "DELETE", f"{SIGNUPS}/{by_email['ann@example.org']}", None, organizer_key).status_code == 404
    assert [r["email"] for r in records()] == ["bo@example.org"]
    assert send(api, "POST", f"{SIGNUPS}/nope/approve", None, organizer_key).status_code == 404
    assert api.http.get(SIGNUPS).status_code == 401
    assert api.http.get(f"{SIGNUPS}.csv").status_code == 401


def test_listing_is_paginated_with_a_signed_cursor(api: Any, group: dict[str, Any], organizer_key: str) -> None:
    for n in range(5):
        send(api, "POST", SIGNUPS, signup_body(email=f"m{n}@example.org"))
    seen: list[str] = []
    page = as_json(api.http.get(f"{SIGNUPS}?limit=2", headers=auth(organizer_key)))
    while True:
        seen += [s["email"] for s in page["signups"]]
        if not page["next_cursor"]:
            break
        page = as_json(api.http.get(f"{SIGNUPS}?limit=2&cursor={page['next_cursor']}", headers=auth(organizer_key)))
    assert sorted(seen) == [f"m{n}@example.org" for n in range(5)]
    first = as_json(api.http.get(f"{SIGNUPS}?limit=2", headers=auth(organizer_key)))["next_cursor"]
    other = api.http.get(f"{SIGNUPS}?status=active&limit=2&cursor={first}", headers=auth(organizer_key))
    assert other.status_code == 400
    bad = api.http.get(f"{SIGNUPS}?status=nope&limit=0", headers=auth(organizer_key))
    assert set(as_json(bad)["error"]["fields"]) == {"status", "limit"}


def test_csv_export_is_safe_against_formulas(api: Any, group: dict[str, Any], organizer_key: str) -> None:
    send(api, "POST", SIGNUPS, signup_body(name='=HYPERLINK("http://evil","x")', how_heard="+1 friend"))
    exported = api.http.get(f"{SIGNUPS}.csv", headers=auth(organizer_key)).body.decode()
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert row["name"] == '\'=HYPERLINK("http://evil","x")'
    assert row["how_heard"] == "'+1 friend"


def test_pending_signups_expire_after_seven_days(moto_stack: Stack, group: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    service = container.current().signups
    now = moto_stack.clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    service.submit(GROUP_ID, service.parse_form(signup_body()), source_ip="10.1.1.1")
    moto_stack.drain()
    [record] = service.repo.page(GROUP_ID, status=None, limit=10, start_key=None)[0]
    assert record["expires_at"] == int(now.timestamp()) + 7 * 86400


def test_member_link_token_may_come_in_the_body(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    """A client that posts the token as a JSON or form field (not in the query) is served the same;
    a token that is not there at all is still refused, and nothing changes."""
    send(api, "POST", SIGNUPS, signup_body())
    confirm = link_in(outbox_messages(moto_stack.outbox)[-1], "/signups/confirm")
    token = confirm.split("token=", 1)[1]
    missing = api.http.post("/signups/confirm", headers={"Content-Type": "application/json"}, body=b"{}")
    assert missing.status_code == 400
    assert records()[0]["status"] == "pending_confirmation"
    garbled = api.http.post("/signups/confirm", headers={"Content-Type": "application/json"}, body=b"{not json")
    assert garbled.status_code == 400
    done = api.http.post(
        "/signups/confirm", headers={"Content-Type": "application/json"}, body=json.dumps({"token": token}).encode()
    )
    assert done.status_code == 200
    assert as_json(done) == {"status": "pending_approval"}
    assert records()[0]["status"] == "pending_approval"
