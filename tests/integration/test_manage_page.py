""" "Manage my membership": the one page every member email links to. With her token she sees where
she stands and can get her link again, leave, or erase; a bad, foreign or expired token shows a page
that says only that the link does not work. Also the pages after a member link (confirmed, left)."""

from __future__ import annotations

import html
import json
import logging
import re
import time
from dataclasses import replace
from typing import Any

import pytest

from chalicelib import container
from chalicelib.signing import make_token
from chalicelib.signups.addresses import signup_id_for
from tests.support.builders import (
    GROUP_ID,
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
HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
NAME, EMAIL = "Ann Kowalski", "ann.kowalski@example.org"


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return container.current().groups.create(group_body())


def record() -> dict[str, Any] | None:
    return container.current().signups.get(GROUP_ID, signup_id_for(GROUP_ID, EMAIL))


def confirm(api: Any, stack: Stack) -> Any:
    send(api, "POST", SIGNUPS, signup_body(name=NAME, email=EMAIL, state="ID"))
    stack.drain()
    url = link_in(outbox_messages(stack.outbox)[-1], "/signups/confirm")
    return api.http.post(url, headers=FORM, body=b"confirmed=yes")


def member(api: Any, stack: Stack, organizer_key: str) -> Any:
    """Ann, approved: her welcome email (the newest)."""
    confirm(api, stack)
    send(api, "POST", f"{SIGNUPS}/{signup_id_for(GROUP_ID, EMAIL)}/approve", None, organizer_key)
    stack.drain()
    welcome = outbox_messages(stack.outbox)[-1]
    assert welcome["Subject"].startswith("Welcome")
    return welcome


def text_of(body: bytes) -> str:
    """What a person reads on the page (no markup, no stylesheet, entities as characters)."""
    page = re.sub(r"<style>.*?</style>", " ", body.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_footer_link_opens_her_page_with_every_choice(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    welcome = member(api, moto_stack, organizer_key)
    manage = link_in(welcome, "/signups/manage")
    page = api.http.get(manage, headers=HTML)
    assert page.status_code == 200
    words = text_of(page.body)
    assert f"Hello {NAME}. You are a member of the MBC Connection Group" in words
    assert "Next meeting: Tuesday, December 1, 2026" in words
    assert "Email me my link" in words and "Leave the group" in words and "Erase my data" in words
    assert "Gem State & Big Sky MBC Network" in words  # the chapter, not the software
    assert "<title>Manage my membership - Gem State &amp; Big Sky MBC Network</title>" in page.body.decode()
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"
    assert " style=" not in page.body.decode() and "<script" not in page.body.decode()
    assert record()["status"] == "active"  # type: ignore[index]  # a GET changes nothing


@pytest.mark.parametrize("problem", ["tampered", "other purpose", "missing", "expired"])
def test_without_her_token_the_page_reveals_nothing(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str, problem: str, monkeypatch: Any
) -> None:
    welcome = member(api, moto_stack, organizer_key)
    token = link_in(welcome, "/signups/manage").split("token=", 1)[1]
    payload = {"g": GROUP_ID, "s": signup_id_for(GROUP_ID, EMAIL), "n": record()["gen"]}  # type: ignore[index]
    if problem == "tampered":
        url = f"/signups/manage?token={token[:-3]}abc"
    elif problem == "other purpose":
        url = f"/signups/manage?token={make_token('unsubscribe', payload)}"
    elif problem == "missing":
        url = "/signups/manage"
    else:
        real = time.time()  # real clock: itsdangerous stamps member tokens with time.time()
        monkeypatch.setattr(time, "time", lambda: real - 401 * 24 * 3600)
        old = make_token("manage", payload)
        monkeypatch.undo()
        url = f"/signups/manage?token={old}"
    count = len(outbox_messages(moto_stack.outbox))
    for response in (
        api.http.get(url, headers=HTML),
        api.http.post(url, headers=FORM, body=b"action=leave"),
        api.http.post(url, headers=FORM, body=b"action=send_link"),
    ):
        assert response.status_code == 400
        body = response.body.decode()
        assert NAME not in body and EMAIL not in body and "MBC Connection Group" not in body
        assert "Email me my link" not in body and "<form" not in body
        assert ("expired" in body) == (problem == "expired")
    json_answer = api.http.get(url)
    assert json_answer.status_code == 400 and "token" in json_answer.body.decode()
    assert record()["status"] == "active"  # type: ignore[index]
    moto_stack.drain()
    assert len(outbox_messages(moto_stack.outbox)) == count  # and nothing was sent


def test_email_me_my_link_sends_it_and_says_so(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    welcome = member(api, moto_stack, organizer_key)
    manage = link_in(welcome, "/signups/manage")
    count = len(outbox_messages(moto_stack.outbox))
    with caplog.at_level(logging.DEBUG, logger="mbc"):
        done = api.http.post(manage, headers=FORM, body=b"action=send_link")
        moto_stack.drain()
    assert done.status_code == 200
    assert "Your link is on its way" in text_of(done.body)
    [mail] = outbox_messages(moto_stack.outbox)[count:]
    assert mail["To"] == EMAIL and mail["Subject"] == "Your link to the MBC Connection Group"
    assert re.search(r"/j/[\w-]{27}", plain_text(mail))
    token = manage.split("token=", 1)[1]
    for secret in (NAME, EMAIL, token, "Kowalski"):
        assert secret not in caplog.text  # ids and counts only
    as_json = api.http.post(manage, headers={"Content-Type": "application/json"}, body=b'{"action": "send_link"}')
    assert as_json.status_code == 202 and b"link_sent" in as_json.body
    nothing = api.http.post(manage, headers=FORM, body=b"action=dance")
    assert nothing.status_code == 400


def test_a_member_waiting_for_approval_gets_no_link_but_can_leave(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    confirm(api, moto_stack)
    assert record()["status"] == "pending_approval"  # type: ignore[index]
    sid = signup_id_for(GROUP_ID, EMAIL)
    token = make_token("manage", {"g": GROUP_ID, "s": sid, "n": record()["gen"]})  # type: ignore[index]
    page = text_of(api.http.get(f"/signups/manage?token={token}", headers=HTML).body)
    assert "waiting for an organizer's approval" in page and "Email me my link" not in page
    count = len(outbox_messages(moto_stack.outbox))
    refused = api.http.post(f"/signups/manage?token={token}", headers=FORM, body=b"action=send_link")
    moto_stack.drain()
    assert refused.status_code == 200 and "We could not send a link" in text_of(refused.body)
    assert len(outbox_messages(moto_stack.outbox)) == count
    left = api.http.post(f"/signups/manage?token={token}", headers=FORM, body=b"action=leave")
    assert left.status_code == 200 and record()["status"] == "unsubscribed"  # type: ignore[index]
    again = api.http.get(f"/signups/manage?token={token}", headers=HTML).body
    after = text_of(again)
    assert "You are not getting emails" in after and "Leave the group" not in after
    assert "You are always welcome back" in after and 'href="https://www.example.org"' in again.decode()


def test_someone_declined_is_not_invited_back(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    confirm(api, moto_stack)
    sid = signup_id_for(GROUP_ID, EMAIL)
    send(api, "POST", f"{SIGNUPS}/{sid}/reject", None, organizer_key)
    moto_stack.drain()
    declined = outbox_messages(moto_stack.outbox)[-1]
    page = text_of(api.http.get(link_in(declined, "/signups/manage"), headers=HTML).body)
    assert "You are not getting emails" in page and "Erase my data" in page
    assert "welcome back" not in page and "Come back" not in page


def test_leaving_says_goodbye_kindly_with_a_way_back(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    welcome = member(api, moto_stack, organizer_key)
    manage = link_in(welcome, "/signups/manage")
    done = api.http.post(manage, headers=FORM, body=b"action=leave")
    assert done.status_code == 200
    words = text_of(done.body)
    assert "You have left the MBC Connection Group" in words
    assert f"Thank you for being part of it, {NAME}. We wish you well" in words
    assert 'href="https://www.example.org"' in done.body.decode()  # the way back: the chapter's website
    assert record()["status"] == "unsubscribed"  # type: ignore[index]
    # The RFC 8058 one-click unsubscribe (the headers) still works, and answers kindly to a browser.
    one_click = welcome["List-Unsubscribe"].strip("<>").replace("http://api.test", "")
    assert api.http.post(one_click, headers=FORM, body=b"List-Unsubscribe=One-Click").status_code == 200


def test_erasing_from_her_page_leaves_a_page_that_holds_nothing(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    welcome = member(api, moto_stack, organizer_key)
    erase = erase_link_from_manage_page(api, welcome)
    assert "cannot be undone" in text_of(api.http.get(erase, headers=HTML).body)
    erased = api.http.post(erase, headers=FORM, body=b"confirmed=yes")
    assert erased.status_code == 200
    assert record() is None
    # A goodbye and the way back, as after leaving; nothing of hers (her name is gone with her data).
    said = text_of(erased.body)
    assert "We deleted your signup for the MBC Connection Group and everything we held about it." in said
    assert "You are always welcome back" in said and NAME not in said
    after = api.http.get(link_in(welcome, "/signups/manage"), headers=HTML)
    assert after.status_code == 200
    words = text_of(after.body)
    assert "We hold nothing about you" in words and NAME not in words and "Erase my data" not in words


def test_erasing_asks_once_more_on_her_own_page_and_a_prefetch_erases_nothing(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    """The manage link proves the mailbox as an erase link does: its "Erase my data…" step asks once
    more (a GET, which a mail scanner may fetch, changes nothing); the button, or an API client's
    ``action=erase``, erases."""
    welcome = member(api, moto_stack, organizer_key)
    manage = link_in(welcome, "/signups/manage")
    page = api.http.get(manage, headers=HTML).body.decode()
    assert "/signups/erase?token=" not in page  # no second long-lived token minted on every visit
    for _ in range(3):
        asks = api.http.get(f"{manage}&step=erase", headers=HTML)
        assert asks.status_code == 200 and "cannot be undone" in text_of(asks.body)
    assert record() is not None
    answer = api.http.post(
        manage, body=json.dumps({"action": "erase"}).encode(), headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, json.loads(answer.body)) == (200, {"status": "erased"})
    assert record() is None
    bad = api.http.post(
        manage, body=json.dumps({"action": "nothing"}).encode(), headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and "erase" in json.loads(bad.body)["error"]["fields"]["action"]


def test_the_confirmation_page_names_her_the_next_meeting_and_the_way_back(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    done = confirm(api, moto_stack)
    assert done.status_code == 200
    words = text_of(done.body)
    assert f"Thank you, {NAME}" in words
    assert "Your email is confirmed for the MBC Connection Group" in words
    assert "The group's next meeting is on Tuesday, December 1, 2026" in words
    assert "Back to Gem State & Big Sky MBC Network" in words
    assert 'href="https://www.example.org"' in done.body.decode()
    assert "approve your membership soon" not in words


def test_the_chapter_configured_at_deploy_signs_pages_and_emails(moto_stack: Stack, group: dict[str, Any]) -> None:
    moto_stack.settings = replace(
        moto_stack.settings,
        org_name="North Idaho MBC Friends",
        org_website_url="https://nimbc.example.org",
        org_phone="(208) 555-0123",
        org_logo_url="https://nimbc.example.org/logo.png",
    )
    moto_stack.rebuild()
    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body(name=NAME, email=EMAIL, state="ID"))
        moto_stack.drain()
        confirmation = outbox_messages(moto_stack.outbox)[-1]
        assert confirmation["From"] == "North Idaho MBC Friends <no-reply@example.org>"
        text = plain_text(confirmation)
        assert "North Idaho MBC Friends" in text and "(208) 555-0123" in text and "https://nimbc.example.org" in text
        assert not re.search(r"MBC Connect\b", confirmation.as_string())
        url = link_in(confirmation, "/signups/confirm")
        page = api.http.get(url, headers=HTML)
        assert "<title>Confirm your email - North Idaho MBC Friends</title>" in page.body.decode()
        assert 'src="https://nimbc.example.org/logo.png"' in page.body.decode()
        assert "img-src https://nimbc.example.org" in page.headers["Content-Security-Policy"]
        public = json.loads(api.http.get(f"/groups/{GROUP_ID}").body)
        assert public["consent_text"].startswith("I agree that North Idaho MBC Friends may keep my name")
        assert public["organization"] == {"name": "North Idaho MBC Friends", "website_url": "https://nimbc.example.org"}


def test_she_chooses_her_time_zone_on_her_page(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    """Issue 21 item 8: one "Manage my membership" page (zone, leave, erase, get the link). Ann, in
    Coeur d'Alene, an Idaho member who had not said, chooses Pacific from her page; a choice that is
    none of the zones is refused naming the field, and changes nothing."""
    welcome = member(api, moto_stack, organizer_key)
    manage = link_in(welcome, "/signups/manage")
    sent = len(outbox_messages(moto_stack.outbox))
    words = text_of(api.http.get(manage, headers=HTML).body)
    assert "My time zone" in words and "Meeting times are shown in: Mountain and Pacific time" in words
    assert "Pacific time (north Idaho: Coeur d'Alene" in words and "Not sure: show me both" in words
    refused = api.http.post(manage, headers=FORM, body=b"action=zone&timezone=Europe%2FParis")
    assert refused.status_code == 400 and "Please choose Mountain time or Pacific time." in text_of(refused.body)
    assert "timezone" not in (record() or {})
    saved = api.http.post(manage, headers=FORM, body=b"action=zone&timezone=America%2FLos_Angeles")
    assert saved.status_code == 200
    words = text_of(saved.body)
    assert "Saved: our emails, your link's page and your calendar use Pacific time from now on." in words
    assert "Meeting times are shown in: Pacific time" in words
    assert "Next meeting: Tuesday, December 1, 2026 at 3:00 PM Pacific" in words
    assert (record() or {})["timezone"] == "America/Los_Angeles"
    moto_stack.drain()
    assert len(outbox_messages(moto_stack.outbox)) == sent  # nothing is sent by a choice
    back = api.http.post(manage, headers=FORM, body=b"action=zone&timezone=")
    assert back.status_code == 200 and "timezone" not in (record() or {})


def test_her_page_reads_the_group_her_record_and_the_meetings_once_each(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    welcome = member(api, moto_stack, organizer_key)
    manage = link_in(welcome, "/signups/manage")
    api.http.get(manage, headers=HTML)  # the first request builds what a warm container keeps
    calls: list[str] = []
    moto_stack.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    page = api._client.http.get(manage, headers=HTML)  # no drain: only the request's own work
    assert page.status_code == 200 and "Email me my link" in text_of(page.body)
    assert "Gem State & Big Sky MBC Network" in text_of(page.body)  # the way back is still there
    assert sorted(calls) == ["GetItem", "GetItem", "Query"]  # the group, her record, the meeting overrides
