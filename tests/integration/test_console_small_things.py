"""Small things a volunteer trips on in the console (issue 21 items 9, 11 and 12): the notice's link
lands on the page it named after signing in (a safe `next`, never an open redirect); a refused
cross-site post says what happened, not "you do not have access"; the activity log names a moved
meeting by its new date too; a pasted page address is trimmed to its website with a note; a
multi-line note takes U+2028 as a line break."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.builders import GROUP_ID, MEETING_DAY, add_members, make_group, outbox_messages, plain_text
from tests.support.console import FORM, Console, sign_in_link
from tests.support.stacks import Stack, make_client

WAITING = f"/console/groups/{GROUP_ID}/waiting"


@pytest.fixture
def world(moto_stack: Stack) -> Iterator[tuple[Stack, Any]]:
    c = moto_stack.container
    make_group(c)
    c.organizers.create(name="Ada Admin", email="ada@example.org", role="admin")
    c.organizers.create(name="Cora Coordinator", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    with make_client(moto_stack) as client:
        yield moto_stack, client


def words(response: Any) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.body.decode())).split())


def signed_in(world: tuple[Stack, Any], email: str = "cora@example.org") -> Console:
    stack, client = world
    console = Console(client)
    console.sign_in(stack, email)
    return console


# ---------------------------------------------------------------- the notice's link lands on Waiting


def test_the_waiting_link_signs_in_and_lands_on_waiting(world: tuple[Stack, Any]) -> None:
    stack, client = world
    asked = client.http.get(WAITING)  # the link in "N signups waiting", not signed in
    assert asked.status_code == 303
    location = urlsplit(asked.headers["Location"])
    assert location.path == "/console/sign-in"
    assert parse_qs(location.query) == {"next": [f"/groups/{GROUP_ID}/waiting"]}
    form = client.http.get(asked.headers["Location"])
    assert f'name="next" value="/groups/{GROUP_ID}/waiting"' in form.body.decode()
    client.http.post(
        "/console/sign-in",
        headers=FORM,
        body=urlencode({"email": "cora@example.org", "next": f"/groups/{GROUP_ID}/waiting"}).encode(),
    )
    done = client.http.post(sign_in_link(stack, "cora@example.org"), headers=FORM, body=b"")
    assert done.status_code == 303 and done.headers["Location"] == WAITING


@pytest.mark.parametrize(
    "unsafe",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/groups/../../evil",
        "/sign-in",
        "/static/abc/console.css",
        "/no-such-page",
        "/groups/g/waiting?x=1",
        "groups/g/waiting",
    ],
)
def test_a_next_that_is_not_a_console_page_is_ignored(world: tuple[Stack, Any], unsafe: str) -> None:
    stack, client = world
    form = client.http.get("/console/sign-in?" + urlencode({"next": unsafe}))
    assert 'name="next"' not in form.body.decode()
    client.http.post(
        "/console/sign-in", headers=FORM, body=urlencode({"email": "cora@example.org", "next": unsafe}).encode()
    )
    done = client.http.post(sign_in_link(stack, "cora@example.org"), headers=FORM, body=b"")
    assert done.status_code == 303 and done.headers["Location"] == "/console"  # home, never elsewhere


# ---------------------------------------------------------------- a refused cross-site post


def test_a_cross_site_post_says_what_happened_not_that_access_was_lost(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    [person] = add_members(stack.container, emails=["wait@example.org"], status="pending_approval")
    console = signed_in(world)
    refused = console.client.http.post(
        WAITING,
        headers=console.headers(**FORM, Origin="https://evil.example", Host="127.0.0.1:8000"),
        body=urlencode({"person": person["id"], "action": "approve", "csrf": console.csrf()}).encode(),
    )
    text = words(refused)
    assert refused.status_code == 403
    assert "You do not have access" not in text
    assert "Nothing was changed" in text and "You have not lost access" in text
    assert "send the form from there" in text and 'href="/console"' in refused.body.decode()
    sign_in = console.client.http.post(
        "/console/sign-in",
        headers={**FORM, "Origin": "https://evil.example", "Host": "127.0.0.1:8000"},
        body=b"email=cora%40example.org",
    )
    assert sign_in.status_code == 403 and "You have not lost access" in words(sign_in)


# ---------------------------------------------------------------- the activity log and a moved meeting


def test_the_activity_log_names_a_moved_meeting_by_its_new_date_too(world: tuple[Stack, Any]) -> None:
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}"
    moved = console.post(path, {"change": "move", "new_date": "2026-12-08", "new_time": "16:00", "action": "save"})
    assert moved.status_code == 303
    cancelled = console.post(path, {"change": "cancel", "note": "", "action": "save"})
    assert cancelled.status_code == 303
    log = words(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert "Moved the meeting of Tue, Dec 1, 2026, 4:00 PM Mountain to Tue, Dec 8, 2026, 4:00 PM Mountain" in log
    assert (
        "Cancelled the meeting of Tue, Dec 1, 2026, 4:00 PM Mountain (moved to Tue, Dec 8, 2026, 4:00 PM Mountain)"
        in log
    )


# ---------------------------------------------------------------- a pasted page address


def test_a_pasted_page_address_is_trimmed_to_its_website_with_a_note(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    admin = signed_in(world, "ada@example.org")
    added = admin.post("/console/site", {"origin": "https://Chapter.example.org/join-us?ref=news"})
    assert added.status_code == 303 and "done=site_added_trimmed" in added.headers["Location"]
    page = words(admin.get(added.headers["Location"]))
    assert "You pasted the address of one page, so we kept only the website's address" in page
    assert "https://chapter.example.org" in stack.container.site.origins()["origins"]
    refused = admin.post("/console/site", {"origin": "http://chapter.example.org/join"})  # still no http://
    assert refused.status_code == 400 and "https://" in words(refused)


# ---------------------------------------------------------------- U+2028 in a multi-line note


def test_a_decline_note_pasted_with_a_line_separator_is_taken_as_lines(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    [person] = add_members(stack.container, emails=["d@example.org"], status="pending_approval")
    console = signed_in(world)
    declined = console.post(
        f"/console/groups/{GROUP_ID}/decline", [("person", person["id"]), ("note", "With care.\u2028Try the circle.")]
    )
    assert declined.status_code == 303, words(declined)
    [mail] = [m for m in outbox_messages(stack.outbox) if m["To"] == "d@example.org"]
    text = plain_text(mail).replace("\r\n", "\n")
    assert "With care.\nTry the circle." in text and "\u2028" not in text
