"""One page per member (issue 21 item 5), through chalice.test on moto: "did Ann get the link?"
answered in one place: her status and its history, every email about her with its outcome (sent,
held and why), what she was sent about each meeting, the meetings she opened her link for, her
zone, and one-tap actions; reached from Members, Waiting and who was sent what."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest

from tests.support.builders import (
    GROUP_ID,
    MEETING_DAY,
    T_MINUS_1D,
    add_members,
    distributor,
    make_group,
    outbox_messages,
    run_at,
)
from tests.support.console import Console, text_of
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack, make_client


@pytest.fixture
def world(moto_stack: Stack) -> Iterator[tuple[Stack, Any]]:
    c = moto_stack.container
    make_group(c)
    c.organizers.create(name="Cora Coordinator", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    with make_client(moto_stack) as client:
        yield moto_stack, client


def signed_in(world: tuple[Stack, Any]) -> Console:
    stack, client = world
    console = Console(client)
    console.sign_in(stack, "cora@example.org")
    return console


def test_her_page_says_what_she_was_sent_how_it_went_and_what_she_opened(world: tuple[Stack, Any]) -> None:
    from chalicelib.db import Transaction

    stack, _ = world
    c = stack.container
    [ann, other] = add_members(c, emails=["ann@example.org", "bea@example.org"])
    run_at(stack, distributor(stack, FakeSes()), T_MINUS_1D)  # the day-before reminder to both
    c.join_link_items.record_opened(
        group_id=GROUP_ID, day=MEETING_DAY, signup_id=ann["id"], when="2026-12-01T22:31:00+00:00", expires_at=2**31
    )
    # An email that finds nothing to send when its turn comes (she is not declined): held, and why.
    tx = Transaction()
    c.signups.promise_member_email(tx, label="mail", kind="declined", record=ann, now=c.clock.now())
    tx.commit(c.dynamodb)
    stack.drain()
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/members/{ann['id']}"
    # A new link, from her page (a CSRF-protected form): the old one stops, the new one is emailed.
    made = console.post(f"{path}/new-link", {})
    assert made.status_code == 303 and made.headers["Location"].startswith(f"/console/groups/{GROUP_ID}/members/")
    stack.drain()
    assert any("new link" in m["Subject"].lower() for m in outbox_messages(stack.outbox) if m["To"] == ann["email"])
    page = console.get(path)
    assert page.status_code == 200
    words = unescape(text_of(page))
    assert "Member 0" in words and "ann@example.org" in words and "bea@example.org" not in words
    assert "Active member" in words and "Montana" in words and "Mountain (from the state)" in words
    assert "Signed up" in words  # her history
    assert re.search(r"Sent\s+Her new link", words), words
    assert re.search(r"Held back\s+Declined, with the group's message \(why: nothing to send any more", words)
    assert re.search(r"Sent\s+Reminder with the link \(meeting of 2026-12-01\)", words)
    assert "The meeting of 2026-12-01" in words and "first opened" in words
    html = page.body.decode()
    for action in ("/new-link", "/decline", f"/meetings/{MEETING_DAY}/resend"):
        form = re.search(
            rf'<form method="post" action="[^"]*{re.escape(action)}"[^>]*>\s*<input type="hidden" name="csrf"', html
        )
        assert form, action
    assert f'href="/console/groups/{GROUP_ID}/members/{ann["id"]}/remove"' in html  # erase, after a confirmation
    # Another member's page holds nothing of hers.
    assert "ann@example.org" not in text_of(console.get(f"/console/groups/{GROUP_ID}/members/{other['id']}"))
    assert console.get(f"/console/groups/{GROUP_ID}/members/nobody").status_code == 404


def test_members_waiting_and_the_deliveries_link_to_her_page(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    c = stack.container
    [ann] = add_members(c, emails=["ann@example.org"])
    [wes] = add_members(c, emails=["wes@example.org"], status="pending_approval")
    run_at(stack, distributor(stack, FakeSes()), T_MINUS_1D)
    console = signed_in(world)
    href = f'href="/console/groups/{GROUP_ID}/members/{ann["id"]}"'
    assert href in console.get(f"/console/groups/{GROUP_ID}/members").body.decode()
    assert href in console.get(f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}/deliveries").body.decode()
    waiting = console.get(f"/console/groups/{GROUP_ID}/waiting").body.decode()
    assert f'href="/console/groups/{GROUP_ID}/members/{wes["id"]}"' in waiting


def test_who_was_sent_what_counts_and_filters_not_sent_failed_not_opened(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    c = stack.container
    [ann, bea] = add_members(c, emails=["ann@example.org", "bea@example.org"])
    run_at(stack, distributor(stack, FakeSes()), T_MINUS_1D)  # both get the day-before reminder
    [cat] = add_members(c, emails=["cat@example.org"])  # approved after the run: nothing yet
    c.join_link_items.record_opened(
        group_id=GROUP_ID, day=MEETING_DAY, signup_id=ann["id"], when="2026-12-01T22:31:00+00:00", expires_at=2**31
    )
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}/deliveries"
    words = unescape(text_of(console.get(path)))
    assert "Emails sent: 2" in words and "Opened their link: 1" in words
    # Emails not due yet are not "waiting to go" (a month ahead, 5,798 of them read as stuck).
    assert "Emails still to send (when each is due): " in words and "Waiting to go" not in words
    assert "Not sent yet (1)" in words and "Failed or bounced (0)" in words and "Not opened their link (2)" in words

    def shown(show: str) -> set[str]:
        html = console.get(f"{path}?show={show}").body.decode()
        return set(re.findall(rf'href="/console/groups/{GROUP_ID}/members/([0-9a-f]{{16,64}})"', html))

    assert shown("not_sent") == {cat["id"]}
    assert shown("not_opened") == {bea["id"], cat["id"]}
    assert shown("failed") == set()
    assert shown("all") == {ann["id"], bea["id"], cat["id"]}
    assert console.get(f"{path}?show=all&cursor=forged").status_code == 400


def test_search_words_fold_accents_and_order() -> None:
    from chalicelib.signups.search import matches, query_words, search_key

    assert matches(search_key("Renée Côté"), query_words("Renee"))
    assert matches(search_key("Ann Kowalski"), query_words("Kowalski Ann"))
    assert matches(search_key("Zoë Łukasik-Nguyễn"), query_words("nguyen zoe LUK"))
    assert not matches(search_key("Annie Kowalczyk"), query_words("Kowalski Ann"))
    assert not matches(search_key("Joanne Smith"), query_words("Ann"))  # the start of a word only


def test_the_csv_download_stops_short_of_lambdas_response_limit(
    world: tuple[Stack, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from chalicelib.signups import service

    stack, _ = world
    add_members(stack.container, 30)
    console = signed_in(world)
    whole = console.get(f"/console/groups/{GROUP_ID}/members.csv")
    assert "X-Rows-Left-Out" not in whole.headers and whole.body.decode().count("\r\n") == 31
    monkeypatch.setattr(service, "MAX_CSV_BYTES", 2_000)  # as the response carries it (JSON-escaped)
    cut = console.get(f"/console/groups/{GROUP_ID}/members.csv")
    body = cut.body.decode()
    assert cut.headers["X-Rows-Left-Out"] == "yes" and body.startswith("\ufeffid,name")
    rows = body.split("\r\n")[1:-1]
    assert 0 < len(rows) < 30 and len(json.dumps("\r\n".join(rows))) <= 2_000 + 2 * len(rows) + 2
