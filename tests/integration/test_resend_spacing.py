""" "Send me the link again" never silently sends nothing (issue 21 item 2), on DynamoDB Local with
the injected clock: a request inside the address's spacing waits and is sent when the spacing
allows (one waiting email per address, whatever the number of requests), and a confirmation email
never holds back her link once she is a member."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import container
from tests.support.builders import GROUP_ID, group_body, link_in, outbox_messages, signup_body
from tests.support.stacks import Stack

ANN = "ann@example.org"


def _subjects(stack: Stack) -> list[str]:
    return [str(m["Subject"]) for m in outbox_messages(stack.outbox) if m["To"] == ANN]


def _resend(stack: Stack, ip: str = "10.1.1.1") -> None:
    service = container.current().signups
    service.submit_resend(GROUP_ID, service.parse_resend({"email": ANN}), source_ip=ip)
    stack.drain()


def _sweep(stack: Stack) -> dict[str, int]:
    return stack.container.outbox.sweep(min_age=timedelta(0))


def _outbox_items(stack: Stack) -> list[dict[str, Any]]:
    from chalicelib.db import from_item

    items = stack.client.scan(TableName=stack.table)["Items"]  # a test reads the whole table
    return [from_item(i) for i in items if from_item(i)["pk"].startswith("OUTBOX#") and from_item(i)["pk"] != "OUTBOX#"]


def _sign_up(stack: Stack) -> None:
    service = container.current().signups
    service.submit(GROUP_ID, service.parse_form(signup_body(email=ANN)), source_ip="10.0.0.1")
    stack.drain()


def test_her_link_right_after_she_confirmed_is_sent_not_held(ddb_stack: Stack) -> None:
    container.current().groups.create(group_body(requires_approval=False))
    _sign_up(ddb_stack)
    [confirmation] = outbox_messages(ddb_stack.outbox)
    service = container.current().signups
    ddb_stack.clock.advance(minutes=2)
    service.confirm(service.read_link(link_in(confirmation, "/signups/confirm").split("=", 1)[1], "confirm"))
    ddb_stack.drain()
    ddb_stack.clock.advance(minutes=1)  # three minutes after the confirmation email
    _resend(ddb_stack)
    subjects = _subjects(ddb_stack)
    assert len(subjects) == 3 and subjects[-1] == "Your link to the MBC Connection Group", subjects
    assert not [i for i in _outbox_items(ddb_stack) if i["status"] == "held"]


def test_a_request_inside_the_spacing_waits_and_is_sent_when_it_allows(ddb_stack: Stack) -> None:
    container.current().groups.create(group_body(requires_approval=False))
    _sign_up(ddb_stack)
    ddb_stack.clock.advance(minutes=1)
    # Still to confirm: she asks again a minute after her confirmation email.
    for _ in range(3):  # three taps: one email waits, the others add nothing
        _resend(ddb_stack)
    assert len(_subjects(ddb_stack)) == 1
    waiting = [i for i in _outbox_items(ddb_stack) if i["status"] == "pending"]
    assert len(waiting) == 1 and waiting[0]["reason"] == "address spacing"
    assert int(waiting[0].get("attempts", 0)) == 0  # waiting is not a failed attempt
    ddb_stack.clock.advance(minutes=8)  # nine minutes after the first email: not yet
    _sweep(ddb_stack)
    assert len(_subjects(ddb_stack)) == 1
    ddb_stack.clock.advance(minutes=1, seconds=1)  # ten minutes after it
    assert _sweep(ddb_stack).get("sent") == 1
    subjects = _subjects(ddb_stack)
    assert subjects == ["Please confirm your email for the MBC Connection Group"] * 2
    ddb_stack.clock.advance(minutes=30)
    _sweep(ddb_stack)
    assert len(_subjects(ddb_stack)) == 2  # exactly one waited, and it went once
    # The mark is gone: the next request inside the new spacing waits again (not "covered").
    _resend(ddb_stack)
    assert [i["status"] for i in _outbox_items(ddb_stack)].count("sent") == 3


def test_the_daily_cap_still_holds_for_good(ddb_stack: Stack) -> None:
    container.current().groups.create(group_body(requires_approval=False))
    _sign_up(ddb_stack)
    cap = ddb_stack.settings.signup_emails_per_address_per_day
    for _ in range(cap + 2):
        ddb_stack.clock.advance(minutes=11)
        _resend(ddb_stack)
        _sweep(ddb_stack)
    assert len(_subjects(ddb_stack)) == cap
    held = [i for i in _outbox_items(ddb_stack) if i["status"] == "held"]
    assert held and all(i["reason"] == "address limit" for i in held)


def test_the_page_says_what_happens_inside_the_spacing_and_over_the_daily_cap(ddb_stack: Stack) -> None:
    from urllib.parse import urlencode

    from tests.support.stacks import make_client

    container.current().groups.create(group_body(requires_approval=False))
    with make_client(ddb_stack) as api:
        page = api.http.post(
            f"/groups/{GROUP_ID}/resend",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode({"email": ANN, "website": ""}).encode(),
        )
    text = " ".join(page.body.decode().split())
    assert page.status_code == 200
    assert "this one waits until they have passed and then comes on its own" in text
    assert "There is no need to ask again" in text and "look for that earlier email" not in text
    assert "no more than 5 emails a day to one address" in text and "please ask again tomorrow" in text
