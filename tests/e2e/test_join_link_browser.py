"""A member's personal link in a real browser: the welcome email carries it; before the meeting's
room opens it shows the waiting page (accessible, nothing of the room in it)."""

from __future__ import annotations

import re
from typing import Any

import requests

from tests.e2e.test_browser import run_axe
from tests.support.builders import link_in, wait_for_messages
from tests.support.live import LiveStack


def test_the_welcome_email_link_shows_the_waiting_page(browser: Any, live_stack: LiveStack) -> None:
    api = live_stack.api
    group = f"{api}/groups/mbc-connection-group"
    posted = requests.post(
        f"{group}/signups",
        json={"name": "Wren Waiting", "email": "wren.waiting@example.org", "state": "ID", "consent": True},
        timeout=10,
    )
    assert posted.status_code == 202
    [confirmation] = wait_for_messages(live_stack.outbox, "wren.waiting@example.org")
    assert requests.post(api + link_in(confirmation, "/signups/confirm"), timeout=10).status_code == 200
    key = live_stack.organizer_key()
    auth = {"Authorization": f"Bearer {key}"}
    listed = requests.get(f"{group}/signups", params={"status": "pending_approval"}, headers=auth, timeout=10)
    # Other tests of the session share the stack: hers is the one waiting under her name.
    [waiting] = [s for s in listed.json()["signups"] if s["name"] == "Wren Waiting"]
    assert requests.post(f"{group}/signups/{waiting['id']}/approve", headers=auth, timeout=10).status_code == 200
    welcome = wait_for_messages(live_stack.outbox, "wren.waiting@example.org", count=2)[-1]
    link = re.search(r"http://127\.0\.0\.1:\d+/j/[A-Za-z0-9_-]{27}", welcome.get_body(("plain",)).get_content())
    assert link, "the welcome email carries the personal link"

    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})  # a phone
    page = context.new_page()
    response = page.goto(link.group(0))
    assert response is not None and response.status == 200
    text = page.inner_text("main")
    # An Idaho member who has not said which time she lives on: both zones.
    assert "Next meeting:" in text and " PM Mountain / " in text and " PM Pacific" in text
    assert "opens the meeting room at" in text
    assert "example.zoom.us" not in page.content()  # never the room before it opens
    assert (
        page.get_by_role("link", name="Add all the meetings to my calendar").get_attribute("href")
        == link.group(0) + "/meeting.ics"
    )
    assert run_axe(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    # She lives in Coeur d'Alene: she says so, and the page (and every email after) speaks Pacific.
    page.get_by_label("Pacific time (north Idaho: Coeur d'Alene, Sandpoint, Moscow, Lewiston)").check()
    page.get_by_role("button", name="Save my time").click()
    page.wait_for_load_state("load")
    text = page.inner_text("main")
    assert "Saved. Times on this page and in our emails are in Pacific time." in text
    assert " PM Pacific" in text and "Mountain /" not in text
    assert run_axe(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    token = link.group(0).rsplit("/", 1)[1]
    assert token not in live_stack.log  # the access log redacts the token in the path
