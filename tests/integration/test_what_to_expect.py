"""A group's "what to expect" text (camera optional? who hosts? how long?): its own words or a kind
default, in the welcome email and on the personal link's page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from chalicelib import container
from chalicelib.groups.expect import duration_words, what_to_expect
from chalicelib.signups.addresses import signup_id_for
from tests.support.builders import GROUP_ID, group_body, link_in, outbox_messages, plain_text, send, signup_body
from tests.support.stacks import Stack

SIGNUPS = f"/groups/{GROUP_ID}/signups"
EMAIL = "ann@example.org"


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return container.current().groups.create(group_body())


def welcome_for(api: Any, stack: Stack, organizer_key: str) -> Any:
    send(api, "POST", SIGNUPS, signup_body(email=EMAIL))
    stack.drain()
    confirm = link_in(outbox_messages(stack.outbox)[-1], "/signups/confirm")
    api.http.post(confirm, headers={"Content-Type": "application/json"})
    send(api, "POST", f"{SIGNUPS}/{signup_id_for(GROUP_ID, EMAIL)}/approve", None, organizer_key)
    stack.drain()
    welcome = outbox_messages(stack.outbox)[-1]
    assert welcome["Subject"].startswith("Welcome")
    return welcome


def html_part(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def test_the_kind_default_fills_in_the_groups_length() -> None:
    text = what_to_expect({"name": "G", "schedule": {"duration_minutes": 60}})
    assert "a relaxed video call of about an hour" in text and "camera is optional" in text
    assert [duration_words(m) for m in (60, 90, 120)] == ["about an hour", "about 90 minutes", "about 2 hours"]
    own = what_to_expect(
        {"name": "G", "schedule": {"duration_minutes": 90}, "what_to_expect": "The {group}: {duration}."}
    )
    assert own == "The G: about 90 minutes."


def test_the_welcome_and_the_link_page_say_what_a_first_meeting_is_like(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    own = "Cameras are optional: many of us just listen.\n\nMaria hosts, for {duration}."
    container.current().groups.update(GROUP_ID, {"version": 1, "what_to_expect": own}, if_match=None)
    welcome = welcome_for(api, moto_stack, organizer_key)
    text = plain_text(welcome)
    assert "What to expect\n\nCameras are optional: many of us just listen.\n\nMaria hosts, for about 90 minutes." in (
        text.replace("\r\n", "\n")
    )
    assert "Maria hosts, for about 90 minutes." in html_part(welcome)
    join = re.search(r"https?://[^/\s]+(/j/[\w-]{27})", text)
    assert join
    page = api.http.get(join.group(1), headers={"Accept": "text/html"})  # 11 days before: the waiting page
    assert page.status_code == 200
    body = html.unescape(page.body.decode())
    assert "What to expect" in body and "Maria hosts, for about 90 minutes." in body
    assert "{duration}" not in body


def test_without_its_own_words_a_group_welcomes_with_the_default(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    text = plain_text(welcome_for(api, moto_stack, organizer_key))
    assert "Your camera is optional" in text and "about 90 minutes" in text


def test_the_text_is_refused_like_any_other_multi_line_field(
    api: Any, group: dict[str, Any], organizer_key: str
) -> None:
    too_long = send(
        api, "PATCH", f"/groups/{GROUP_ID}/settings", {"version": 1, "what_to_expect": "x" * 2001}, organizer_key
    )
    assert too_long.status_code == 400 and "what_to_expect" in too_long.body.decode()
