"""Signups on the real engine: races on the unique record and the email slot, the
status index, and logs without personal data."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest

from chalicelib import container
from tests.support.builders import GROUP_ID, ZOOM_URL, group_body, link_in, outbox_messages, send, signup_body
from tests.support.stacks import Stack, make_client

SIGNUPS = f"/groups/{GROUP_ID}/signups"


@pytest.mark.parametrize("trial", range(3))
def test_concurrent_duplicate_posts_make_one_record_and_at_most_one_email(ddb_stack: Stack, trial: int) -> None:
    container.current().groups.create(group_body())
    service = container.current().signups
    spellings = ["ann@example.org", "ANN@example.org", " Ann@Example.org ", "ann@EXAMPLE.ORG"] * 2
    barrier = threading.Barrier(len(spellings))
    errors: list[BaseException] = []

    def post(email: str) -> None:
        try:
            form = service.parse_form(signup_body(email=email))
            barrier.wait()
            service.submit(GROUP_ID, form, source_ip="10.9.9.9")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(e,)) for e in spellings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ddb_stack.drain()
    records, _ = service.repo.page(GROUP_ID, status=None, limit=50, start_key=None)
    assert [r["email"] for r in records] == ["ann@example.org"]
    assert len(outbox_messages(ddb_stack.outbox)) == 1


def test_status_index_and_transitions_on_the_real_engine(ddb_stack: Stack) -> None:
    container.current().groups.create(group_body())
    with make_client(ddb_stack) as api:
        for n in range(3):
            assert send(api, "POST", SIGNUPS, signup_body(email=f"m{n}@example.org")).status_code == 202
        for message in outbox_messages(ddb_stack.outbox)[:2]:
            api.http.post(link_in(message, "/signups/confirm"), headers={"Content-Type": "application/json"})
    repo = container.current().signups.repo
    assert repo.count(GROUP_ID, "pending_approval") == 2
    assert repo.count(GROUP_ID, "pending_confirmation") == 1
    waiting, _ = repo.page(GROUP_ID, status="pending_approval", limit=10, start_key=None)
    assert all(r["status"] == "pending_approval" and "expires_at" not in r for r in waiting)
    pending, _ = repo.page(GROUP_ID, status="pending_confirmation", limit=10, start_key=None)
    assert pending[0]["expires_at"] > 0


def test_approve_and_unsubscribe_race_leaves_a_consistent_record(ddb_stack: Stack) -> None:
    container.current().groups.create(group_body())
    service = container.current().signups
    service.submit(GROUP_ID, service.parse_form(signup_body()), source_ip="10.0.0.1")
    ddb_stack.drain()
    link = service.read_link(
        link_in(outbox_messages(ddb_stack.outbox)[0], "/signups/confirm").split("=", 1)[1], "confirm"
    )
    service.confirm(link)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def approve() -> None:
        barrier.wait()
        try:
            results.append(service.approve(GROUP_ID, link.signup_id, organizer_id="org_x")["status"])
        except Exception as exc:
            results.append(type(exc).__name__)

    def leave() -> None:
        barrier.wait()
        service.unsubscribe(link)
        results.append("left")

    threads = [threading.Thread(target=approve), threading.Thread(target=leave)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    record = service.repo.get(GROUP_ID, link.signup_id)
    assert record is not None
    # Whatever the order, leaving wins in the end: nobody who left stays active.
    assert record["status"] == "unsubscribed"


def test_logs_carry_no_personal_data(ddb_stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mbc")
    caplog.set_level(logging.INFO)
    _, key = container.current().organizers.create(name="Olive Organizer", email="olive@example.org")
    with make_client(ddb_stack) as api:
        send(api, "POST", "/groups", group_body(), key)
        send(api, "POST", SIGNUPS, signup_body(name="Priya Private", email="priya@example.org", how_heard="Dr Who"))
        send(api, "POST", SIGNUPS, signup_body(name="Priya Private", email="priya@example.org"))
        confirm = link_in(outbox_messages(ddb_stack.outbox)[0], "/signups/confirm")
        api.http.post(confirm, headers={"Content-Type": "application/json"})
        signups = json.loads(api.http.get(SIGNUPS, headers={"Authorization": f"Bearer {key}"}).body)
        signup_id = signups["signups"][0]["id"]
        send(api, "POST", f"{SIGNUPS}/{signup_id}/approve", None, key)
        api.http.get(f"/groups/{GROUP_ID}")
        unsubscribe = (
            outbox_messages(ddb_stack.outbox)[-1]["List-Unsubscribe"].strip("<>").replace("http://api.test", "")
        )
        api.http.post(
            unsubscribe,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=b"List-Unsubscribe=One-Click",
        )
        send(api, "DELETE", f"{SIGNUPS}/{signup_id}", None, key)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "signup form processed" in text and "signup erased" in text  # the flow was logged...
    token = confirm.split("token=", 1)[1]
    for secret in (
        "priya@example.org",
        "Priya",
        "Dr Who",
        "olive@example.org",
        "Olive",
        token,
        key,
        ZOOM_URL,
        "424242",
    ):
        assert secret not in text, secret  # ...without anything personal or secret
