"""Erasure (issue 19): whatever path and order of events led there, nothing about the person
remains (the whole table is scanned: tests may Scan), and an interrupted erasure is finished by
the next call or the scheduled run."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.distribution.scheduled import every_quarter_hour
from chalicelib.signups.addresses import email_hash, signup_id_for
from tests.support.builders import (
    GROUP_ID,
    group_body,
    link_in,
    outbox_messages,
    plain_text,
    signup_body,
)
from tests.support.fakes import FakeSes
from tests.support.faulty_client import FaultyClient
from tests.support.stacks import Stack, make_client

ANN = "ann.kowalski@example.org"
NAME = "Ann Kowalski"
# A meeting years ahead of the machine's real date: DynamoDB Local deletes items whose TTL
# (``expires_at``, computed from the injected clock) is in the real past, racing the test.
MEETING = datetime(2030, 12, 3, 23, 0, tzinfo=UTC)  # the first Tuesday of December 2030, 4 PM MST
T_MINUS_1D = MEETING - timedelta(days=1)
IN_WINDOW = MEETING - timedelta(minutes=29)  # the room opens 30 minutes before
LEFT_AT = MEETING + timedelta(hours=19)


def everything(stack: Stack) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.table}
    while True:  # test-only: the application never scans
        page = stack.client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def traces(stack: Stack, email: str = ANN, name: str = NAME) -> list[dict[str, Any]]:
    """Every item that holds anything of the person: her signup id, address, name or address hash."""
    marks = (signup_id_for(GROUP_ID, email), email, name, email_hash(email))
    return [item for item in everything(stack) if any(m in json.dumps(item) for m in marks)]


def kinds(items: list[dict[str, Any]]) -> list[str]:
    """What the items are, readably: their key prefixes (a failure names what was left)."""
    return sorted(f"{i['pk']['S'].split('#')[0]}# / {i['sk']['S'].split('#')[-1][:12]}" for i in items)


def newest(stack: Stack, to: str, path: str, *, after: int = 0) -> str:
    """The link to ``path`` in the newest email to ``to`` that has one (among those after the
    first ``after``), draining the stream until it arrives (DynamoDB Local's stream can lag under load)."""
    for attempt in range(40):
        time.sleep(0.25 * bool(attempt))
        for message in reversed(outbox_messages(stack.outbox)[after:]):
            if message["To"] == to and f"{path}?token=" in plain_text(message):
                return link_in(message, path)
        stack.drain()
    raise AssertionError(f"no email to {to} with {path}")


def join(stack: Stack, email: str = ANN, name: str = NAME) -> None:
    """Sign up, confirm from the email and be approved: an active member with a personal link."""
    c = stack.container
    c.signups.submit(GROUP_ID, c.signups.parse_form(signup_body(email=email, name=name)), source_ip="10.0.0.1")
    sid = signup_id_for(GROUP_ID, email)
    for attempt in range(40):  # DynamoDB Local's stream can lag under load: drain until the email is there
        time.sleep(0.25 * bool(attempt))
        stack.drain()
        record = c.signups.get(GROUP_ID, sid)
        links = [
            c.signups.read_link(link_in(m, "/signups/confirm").split("token=", 1)[1], "confirm")
            for m in outbox_messages(stack.outbox)
            if m["To"] == email and "/signups/confirm?token=" in plain_text(m)
        ]
        current = [link for link in links if record is not None and link.gen == record["gen"]]
        if current:
            break
    else:
        outbox = [
            {k: v for k, v in i.items() if k in ("kind", "status", "reason", "gen", "limit")}
            for i in everything(stack)
            if i["pk"]["S"].startswith(("OUTBOX#", "INTAKE#"))
        ]
        raise AssertionError(f"no confirmation for {email}: record {record}, outbox {outbox}")
    if c.signups.confirm(current[-1]) == "pending_approval":
        c.signups.approve(GROUP_ID, sid, organizer_id="org_test")
    stack.drain()


def leave(stack: Stack, email: str = ANN) -> None:
    c = stack.container
    token = newest(stack, email, "/signups/manage").split("token=", 1)[1]
    c.manage.leave(c.signups.read_link(token, "manage"))  # "Leave the group" on her manage page


def a_full_history(stack: Stack, api: Any) -> None:
    """Open the room inside the window, leave, sign up again, ask for the link again (not yet
    processed), and the group moves its meetings from the first to the second Tuesday."""
    c = stack.container
    stack.clock.set(T_MINUS_1D - timedelta(days=2))
    join(stack)
    stack.clock.set(T_MINUS_1D)
    stack.build(mailer=FakeSes()).distributor.run()  # the day-before reminder: a ledger row
    stack.clock.set(IN_WINDOW)
    c.join_links.refresh(c.groups.get(GROUP_ID))  # as every scheduled run does
    record = c.signups.get(GROUP_ID, signup_id_for(GROUP_ID, ANN))
    assert record is not None
    opened = api._client.http.get(c.join_links.link_url(record).replace("http://api.test", ""))
    assert opened.status_code == 303  # the room: the opening is recorded under 2030-12-03
    stack.clock.set(LEFT_AT)
    leave(stack)
    stack.clock.advance(minutes=30)
    join(stack)  # a new generation: a new personal link
    c.signups.submit_resend(GROUP_ID, c.signups.parse_resend({"email": ANN}), source_ip="10.0.0.2")
    group = c.groups.get(GROUP_ID)
    c.groups.update(
        GROUP_ID,
        {"schedule": {"rrule": "FREQ=MONTHLY;BYDAY=2TU"}, "version": group["version"], "notify": False},
        if_match=None,
    )


@pytest.mark.parametrize("path", ["service", "http"])
def test_nothing_about_her_remains_whatever_the_path(ddb_stack: Stack, path: str) -> None:
    c = ddb_stack.container
    ddb_stack.clock.set(T_MINUS_1D - timedelta(days=2))
    c.groups.create(group_body())
    with make_client(ddb_stack) as api:
        a_full_history(ddb_stack, api)
        assert traces(ddb_stack)  # (she is all over the table before)
        if path == "service":
            assert c.signups.erase(GROUP_ID, signup_id_for(GROUP_ID, ANN))
        else:
            manage = newest(ddb_stack, ANN, "/signups/manage")
            page = api.http.get(manage, headers={"Accept": "text/html"}).body.decode()
            erase = re.search(r'href="https?://[^/"]+(/signups/manage\?token=[\w.\-]+&amp;step=erase)"', page)
            assert erase, "no erase step on her page"
            erase_step = erase.group(1).replace("&amp;", "&")
            assert api.http.post(erase_step, headers={"Content-Type": "application/json"}).status_code == 200
    left = kinds(traces(ddb_stack))
    assert not left, left


def test_an_interrupted_erasure_is_finished_by_the_next_call(ddb_stack: Stack) -> None:
    """Storage fails at each write of the erasure in turn; the next call (her link again, the
    organizer, or the scheduled run) finishes it, and nothing about her remains."""
    c = ddb_stack.container
    ddb_stack.clock.set(T_MINUS_1D - timedelta(days=2))
    c.groups.create(group_body())
    n = 0
    while True:
        n += 1
        email, name = f"p{n}@example.org", f"Person Number{n}"
        join(ddb_stack, email, name)
        faulty = FaultyClient(ddb_stack.client, fail_at=n)
        broken = ddb_stack.build(dynamodb=faulty)
        sid = signup_id_for(GROUP_ID, email)
        try:
            broken.signups.erase(GROUP_ID, sid)
            stopped = False
        except ClientError:
            stopped = True
        if stopped:
            assert faulty.failed  # our injected outage, nothing else
            assert traces(ddb_stack, email, name), n  # it did stop half way
            started = c.signups.get(GROUP_ID, sid) is None  # else it failed before it began: call again
            finisher = n % 3 if started else 0
            if finisher == 0:
                assert c.signups.erase(GROUP_ID, sid)  # her link again, or the organizer
            elif finisher == 1:
                every_quarter_hour(ddb_stack.build(mailer=FakeSes()))  # the scheduled run
            else:
                c.signups.erase_for_organizer(GROUP_ID, sid)
            assert traces(ddb_stack, email, name) == [], n
            assert not c.signups.erase(GROUP_ID, sid)  # and then there is nothing left to erase
            continue
        assert faulty.failed == []  # every write succeeded: all steps were tried
        assert traces(ddb_stack, email, name) == []
        break
    assert n > 5


def test_a_new_signup_waits_for_an_unfinished_erasure_and_is_then_processed(ddb_stack: Stack) -> None:
    """The erasure stopped half way; she signs up again at once. Her form is not lost and does not
    mix with what is being erased: it waits, and the scheduled run finishes the erasure, then
    processes the form (a fresh signup, a confirmation email)."""
    c = ddb_stack.container
    ddb_stack.clock.set(T_MINUS_1D - timedelta(days=2))
    c.groups.create(group_body())
    join(ddb_stack)
    sid = signup_id_for(GROUP_ID, ANN)
    faulty = FaultyClient(ddb_stack.client, fail_at=2)  # the marker is written, then storage fails
    with pytest.raises(ClientError):
        ddb_stack.build(dynamodb=faulty).signups.erase(GROUP_ID, sid)
    assert c.signups.repo.erasure(GROUP_ID, sid) is not None
    before = len(outbox_messages(ddb_stack.outbox))
    c.signups.submit(GROUP_ID, c.signups.parse_form(signup_body(email=ANN, name="Ann K")), source_ip="10.0.0.3")
    ddb_stack.drain()
    assert c.signups.get(GROUP_ID, sid) is None and len(outbox_messages(ddb_stack.outbox)) == before  # it waits
    ddb_stack.clock.advance(minutes=15)
    report = every_quarter_hour(ddb_stack.build(mailer=FakeSes()))
    assert report["erasures"] == 1
    ddb_stack.drain()
    record = c.signups.get(GROUP_ID, sid)
    assert record is not None and record["status"] == "pending_confirmation" and record["name"] == "Ann K"
    assert newest(ddb_stack, ANN, "/signups/confirm")
    items = everything(ddb_stack)
    assert [i for i in items if NAME in json.dumps(i)] == []  # the erased signup's name is nowhere
    assert [i for i in items if i["pk"]["S"].startswith(("JOIN#", "DELIVERIES#"))] == []  # nor her link, ledger
    assert c.signups.repo.erasure(GROUP_ID, sid) is None
