""" "Send me the link again" (issue 15): an active member gets her personal link and the next
meeting; everyone gets the same answer from the same storage work; limits hold; a browser
without JavaScript gets pages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from icalendar import Calendar

from tests.support.builders import (
    GROUP_ID,
    ZOOM_URL,
    add_members,
    as_json,
    group_body,
    outbox_messages,
    personal_link,
    plain_text,
    send,
)
from tests.support.stacks import Stack, make_client

RESEND = f"/groups/{GROUP_ID}/resend"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    c = moto_stack.container
    created = c.groups.create(group_body(contact_name="Maria Lopez", contact_email="maria@example.org"))
    add_members(c, 1, prefix="active")
    add_members(c, 1, prefix="pending", status="pending_confirmation")
    add_members(c, 1, prefix="waiting", status="pending_approval")
    add_members(c, 1, prefix="left", status="unsubscribed")
    add_members(c, 1, prefix="rejected", status="rejected")
    return dict(created)


def test_an_active_member_gets_her_link_and_the_series(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    response = send(api, "POST", RESEND, {"email": "Active0@Example.org"})
    assert (response.status_code, as_json(response)) == (202, {"status": "check_your_email"})
    [mail] = outbox_messages(moto_stack.outbox)
    assert (mail["To"], mail["Subject"]) == ("active0@example.org", "Your link to the MBC Connection Group")
    assert mail["Reply-To"] == "maria@example.org"
    text = plain_text(mail)
    assert personal_link(moto_stack, "active0@example.org") in text and ZOOM_URL not in mail.as_string()
    assert "Next meeting: Tuesday, December 1, 2026 at 4:00 PM Mountain." in text
    assert "Questions? Write to Maria Lopez (maria@example.org)" in text
    assert "/signups/manage?token=" in text and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [ics] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    [master] = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=1TU" and "/j/" in str(master["URL"])


def test_the_same_answer_and_the_same_work_for_every_address(moto_stack: Stack, group: dict[str, Any]) -> None:
    calls: list[str] = []
    moto_stack.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    sequences = {}
    addresses = ("nobody", "active0", "pending0", "waiting0", "left0", "rejected0")
    with make_client(moto_stack) as api:
        for name in addresses:
            calls.clear()
            response = api._client.http.post(  # no drain: only the request's own work
                RESEND, headers={"Content-Type": "application/json"}, body=json.dumps({"email": f"{name}@example.org"})
            )
            assert (response.status_code, response.body) == (202, b'{"status":"check_your_email"}')
            sequences[name] = list(calls)
    assert len({tuple(s) for s in sequences.values()}) == 1, sequences
    assert sequences["nobody"] == ["GetItem", "UpdateItem", "PutItem"]  # group, IP counter, the request
    moto_stack.drain()
    subjects = {m["To"]: m["Subject"] for m in outbox_messages(moto_stack.outbox)}
    assert subjects == {
        "active0@example.org": "Your link to the MBC Connection Group",
        "pending0@example.org": "Please confirm your email for the MBC Connection Group",
        "waiting0@example.org": "You are already signed up for the MBC Connection Group",
    }  # nobody else hears anything, and nobody who left gets a link


def test_limits_per_address_and_per_network(
    api: Any, moto_stack: Stack, group: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        assert send(api, "POST", RESEND, {"email": "active0@example.org"}).status_code == 202
    assert len(outbox_messages(moto_stack.outbox)) == 1  # one email per address per 10 minutes
    moto_stack.clock.advance(minutes=11)
    assert send(api, "POST", RESEND, {"email": "active0@example.org"}).status_code == 202
    assert len(outbox_messages(moto_stack.outbox)) == 2
    moto_stack.clock.set(
        moto_stack.clock.now().replace(minute=0) + timedelta(hours=2)
    )  # a fresh hour for the network's count
    limit = moto_stack.settings.signup_limit_per_ip_per_hour
    answers = [send(api, "POST", RESEND, {"email": f"x{i}@example.org"}).status_code for i in range(limit)]
    limited = send(api, "POST", RESEND, {"email": "active0@example.org"})
    assert answers == [202] * limit and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


def test_bad_input_changes_nothing_and_is_named(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    for body, field in (
        ({"email": "not an address"}, "email"),
        ({}, "email"),
        ({"email": "active0@example.org", "name": "x"}, "name"),
        ({"email": "active0@example.org", "redirect": "https://evil.example.com/"}, "redirect"),
    ):
        response = send(api, "POST", RESEND, body)
        assert response.status_code == 400 and field in as_json(response)["error"]["fields"], body
    assert send(api, "POST", "/groups/no-such-group/resend", {"email": "active0@example.org"}).status_code == 404
    honeypot = send(api, "POST", RESEND, {"email": "active0@example.org", "website": "spam"})
    assert honeypot.status_code == 202
    assert outbox_messages(moto_stack.outbox) == []


def test_without_javascript_the_form_and_its_answer_are_pages(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    form = api.http.get(RESEND)
    assert form.status_code == 200 and b'<form method="post" action="http://api.test/groups/' in form.body
    assert b'name="email"' in form.body
    done = api.http.post(RESEND, headers=FORM, body=urlencode({"email": "active0@example.org", "website": ""}).encode())
    assert done.status_code == 200 and done.headers["Content-Type"].startswith("text/html")
    assert b"Please check your email" in done.body and b"maria@example.org" in done.body
    [mail] = outbox_messages(moto_stack.outbox)
    assert mail["To"] == "active0@example.org"


def test_a_refused_form_post_is_the_form_again_in_words(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    """Without JavaScript a browser shows what the API answers: never raw JSON."""
    bad = api.http.post(RESEND, headers=FORM, body=urlencode({"email": "maria@example", "website": ""}).encode())
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("text/html")
    page = bad.body.decode()
    assert 'role="alert"' in page and 'value="maria@example"' in page and 'aria-invalid="true"' in page
    assert '{"error"' not in page and "Must be a valid email address." in page
    assert outbox_messages(moto_stack.outbox) == []
    moto_stack.clock.set(moto_stack.clock.now().replace(minute=0) + timedelta(hours=3))
    limit = moto_stack.settings.signup_limit_per_ip_per_hour
    for i in range(limit):
        api.http.post(RESEND, headers=FORM, body=urlencode({"email": f"y{i}@example.org"}).encode())
    limited = api.http.post(RESEND, headers=FORM, body=urlencode({"email": "active0@example.org"}).encode())
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Too many requests from your network. Please try again in about" in limited.body.decode()


def test_someone_waiting_for_approval_who_asks_for_her_link_is_not_told_she_asked_to_join(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    """Ann, right after confirming, pressed "Email me my link": the answer began "Someone, probably
    you, asked to join the group with this address", which she had not just done."""
    assert send(api, "POST", RESEND, {"email": "waiting0@example.org"}).status_code == 202
    [mail] = outbox_messages(moto_stack.outbox)
    text = plain_text(mail)
    assert "asked to join" not in text
    assert "Someone, probably you, asked us about the MBC Connection Group with this address" in text
    assert "An organizer will look at your signup soon." in text
