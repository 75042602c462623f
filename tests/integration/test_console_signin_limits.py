"""Someone who knows an organizer's address cannot use up her sign-in emails (issue 21 item 12):
the limit is per address and requester, so the owner, from her own network, still gets a link;
the page says how many links an hour we send."""

from __future__ import annotations

from typing import Any

from tests.support.builders import outbox_messages
from tests.support.console import FORM, text_of
from tests.support.stacks import Stack, make_client


def _links_to(stack: Stack, address: str) -> int:
    return len([m for m in outbox_messages(stack.outbox) if m["To"] == address and "sign-in link" in m["Subject"]])


def test_a_stranger_cannot_use_up_an_organizers_sign_in_emails(moto_stack: Stack) -> None:
    c = moto_stack.container
    c.organizers.create(name="Cora Coordinator", email="cora@example.org", role="admin")
    for n in range(25):  # someone else, from a few networks, asks again and again
        c.console.request_sign_in("cora@example.org", source_ip=f"198.51.100.{n % 3}")
    moto_stack.drain()
    sent_to_others = _links_to(moto_stack, "cora@example.org")
    assert sent_to_others <= 15  # five an hour per requester
    c.console.request_sign_in("cora@example.org", source_ip="203.0.113.50")  # Cora, from home
    moto_stack.drain()
    assert _links_to(moto_stack, "cora@example.org") == sent_to_others + 1


def test_one_requester_gets_at_most_five_links_an_hour_and_the_page_says_so(moto_stack: Stack) -> None:
    c = moto_stack.container
    c.organizers.create(name="Cora Coordinator", email="cora@example.org", role="admin")
    with make_client(moto_stack) as client:
        answers: list[Any] = [
            client.http.post("/console/sign-in", headers=FORM, body=b"email=cora%40example.org") for _ in range(7)
        ]
    assert {a.status_code for a in answers} == {200}
    assert _links_to(moto_stack, "cora@example.org") == 5
    page = text_of(answers[-1])
    assert "at most 5 sign-in links an hour" in page
