"""Organizer notices in one email (issue 21 item 9), on DynamoDB Local with the injected clock: four
confirmations within a second make one "signups waiting" email per organizer, naming how many,
sent once the batch closes; batches that fall due together are one email; concurrent
confirmations all succeed."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from chalicelib import container
from tests.support.builders import GROUP_ID, group_body, link_in, outbox_messages, plain_text, signup_body
from tests.support.stacks import Stack

CORA = "cora@example.org"


def _notices(stack: Stack) -> list[Any]:
    return [m for m in outbox_messages(stack.outbox) if m["To"] == CORA]


def _signed_up(stack: Stack, names: list[str]) -> list[Any]:
    """People who signed up and got their confirmation email: their confirmation links."""
    service = container.current().signups
    for name in names:
        form = service.parse_form(signup_body(name=name.title(), email=f"{name}@example.org"))
        service.submit(GROUP_ID, form, source_ip="10.0.0.9")
    stack.drain()
    links = []
    for name in names:
        [mail] = [m for m in outbox_messages(stack.outbox) if m["To"] == f"{name}@example.org"]
        token = link_in(mail, "/signups/confirm").split("=", 1)[1]
        links.append(service.read_link(token, "confirm"))
    return links


def _sweep(stack: Stack) -> dict[str, int]:
    return stack.container.outbox.sweep(min_age=timedelta(0))


def _setup(stack: Stack) -> None:
    c = container.current()
    c.groups.create(group_body())
    c.organizers.create(name="Cora Coordinator", email=CORA, role="organizer", groups=[GROUP_ID])


def test_four_confirmations_within_a_second_are_one_notice_naming_four(ddb_stack: Stack) -> None:
    _setup(ddb_stack)
    links = _signed_up(ddb_stack, ["ann", "bea", "cai", "dee"])
    ddb_stack.clock.advance(minutes=1)
    service = container.current().signups
    for link in links:
        assert service.confirm(link) == "pending_approval"
        ddb_stack.clock.advance(seconds=0.2)
    ddb_stack.drain()
    assert _notices(ddb_stack) == []  # the batch is still open
    ddb_stack.clock.advance(minutes=7)
    assert _sweep(ddb_stack).get("sent") == 1
    [notice] = _notices(ddb_stack)
    assert notice["Subject"] == "4 signups waiting for approval: MBC Connection Group"
    assert "4 confirmed signups for the MBC Connection Group are waiting for approval" in plain_text(notice)
    ddb_stack.clock.advance(minutes=30)
    _sweep(ddb_stack)
    assert len(_notices(ddb_stack)) == 1


def test_batches_that_fall_due_together_are_one_email_and_a_later_one_is_its_own(ddb_stack: Stack) -> None:
    _setup(ddb_stack)
    links = _signed_up(ddb_stack, ["ann", "bea", "cai"])
    service = container.current().signups
    service.confirm(links[0])
    ddb_stack.drain()
    ddb_stack.clock.advance(minutes=5)  # the next batch (the first is due a minute after it closes)
    service.confirm(links[1])
    ddb_stack.drain()
    ddb_stack.clock.advance(minutes=15)  # the scheduled sweep finds both due
    _sweep(ddb_stack)
    [notice] = _notices(ddb_stack)
    assert notice["Subject"].startswith("2 signups waiting")
    ddb_stack.clock.advance(minutes=30)
    service.confirm(links[2])
    ddb_stack.drain()
    ddb_stack.clock.advance(minutes=7)
    _sweep(ddb_stack)
    assert [m["Subject"][:1] for m in _notices(ddb_stack)] == ["2", "3"]


def test_concurrent_confirmations_all_succeed_with_one_notice(ddb_stack: Stack) -> None:
    _setup(ddb_stack)
    links = _signed_up(ddb_stack, ["ann", "bea", "cai", "dee", "eve", "fay"])
    service = container.current().signups
    barrier = threading.Barrier(len(links))
    results: list[Any] = []

    def confirm(link: Any) -> None:
        barrier.wait()
        try:
            results.append(service.confirm(link))
        except Exception as exc:  # surfaced below
            results.append(exc)

    threads = [threading.Thread(target=confirm, args=(link,)) for link in links]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["pending_approval"] * len(links)
    ddb_stack.clock.advance(minutes=7)
    ddb_stack.drain()
    _sweep(ddb_stack)
    [notice] = _notices(ddb_stack)
    assert notice["Subject"].startswith("6 signups waiting")
