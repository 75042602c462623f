"""The website widgets in a real browser (Debian's chromium driven by Playwright), against the
stack `make run` starts (web/ on its own origin: index.html is the one script tag, signup-form-page.html
the plain HTML form): signup with and without JavaScript, the emailed confirmation link, the events
list, and an axe-core accessibility audit. The embeds on a not-yet-allowed origin: test_website_embeds.py."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import link_in, wait_for_messages
from tests.support.live import ROOT, LiveStack

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 900, "height": 1200})
    page = context.new_page()
    yield page
    context.close()


def messages_to(stack: LiveStack, address: str, count: int = 1) -> list[Any]:
    return wait_for_messages(stack.outbox, address, count=count)


def fill_form(page: Any, name: str, email: str, state: str = "MT") -> None:
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("State you live in").select_option(state)
    page.get_by_label("I agree", exact=False).check()


def shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def test_signup_without_javascript_then_confirm_from_the_email(browser: Any, live_stack: LiveStack) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_stack.web}/signup-form-page.html")
    fill_form(page, "Nora Nojs", "nora.nojs@example.org", "ID")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r".*/thank-you\.html$"))
    assert page.get_by_role("heading", name="Thank you for signing up").is_visible()
    [confirmation] = messages_to(live_stack, "nora.nojs@example.org")
    page.goto(live_stack.api + link_in(confirmation, "/signups/confirm"))
    page.get_by_role("button", name="Confirm my email").click()
    words = page.inner_text("main")
    assert "Thank you, Nora Nojs" in words and "One of the organizers will look at your signup soon" in words
    assert "The group's next meeting is on" in words
    context.close()
    token = link_in(confirmation, "/signups/confirm").split("token=", 1)[1]
    assert "/signups/confirm?token=[redacted]" in live_stack.log  # the access log saw the visit...
    assert token not in live_stack.log  # ...but never the token
    assert "nora.nojs@example.org" not in live_stack.log


def test_signup_with_javascript_shows_inline_errors_then_succeeds(
    page: Any, live_stack: LiveStack, tmp_path: Path
) -> None:
    page.goto(f"{live_stack.web}/")
    fill_form(page, "Jo Script", "not-an-email")
    page.get_by_role("button", name="Sign up").click()
    error = page.locator("#mbc1-email-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "Must be a valid email address."
    email = page.get_by_label("Email address", exact=True)
    assert email.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "mbc1-email"
    assert "Please correct" in page.locator("[data-mbc-status]").inner_text()
    shot(page, "signup-form-errors.png", tmp_path)
    # The same script enhances the plain HTML form (self-hosted copy): errors in place, no page change.
    page.goto(f"{live_stack.web}/signup-form-page.html")
    fill_form(page, "Jo Plain", "also-not-an-email")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#mbc-email-error").wait_for(state="visible")
    assert page.url.endswith("/signup-form-page.html")
    page.goto(f"{live_stack.web}/")
    fill_form(page, "Jo Script", "not-an-email")
    email = page.get_by_label("Email address", exact=True)
    email.fill("jo.script@example.org")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text("Thank you! Check your email").wait_for()
    assert email.get_attribute("aria-invalid") is None
    assert page.get_by_label("Your name", exact=True).input_value() == ""  # the form was reset
    assert len(messages_to(live_stack, "jo.script@example.org")) == 1


def test_too_many_signups_message(page: Any, live_stack: LiveStack) -> None:
    def limited(route: Any) -> None:
        route.fulfill(
            status=429,
            headers={
                "Retry-After": "600",
                "Content-Type": "application/json",
                "Access-Control-Allow-Origin": live_stack.web,
                "Access-Control-Expose-Headers": "Retry-After",
            },
            body='{"error":{"code":"too_many_requests","message":"Too many signups.","fields":{}}}',
        )

    page.route(re.compile(r".*/groups/.*/signups$"), limited)
    page.goto(f"{live_stack.web}/")
    page.get_by_role("button", name="Sign up").wait_for()
    fill_form(page, "Rae Limit", "rae@example.org")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text("Too many signups from your network").wait_for()
    assert "about 10 minutes" in page.locator("[data-mbc-status]").inner_text()


def test_events_list_filters_by_state_in_each_events_zone(page: Any, live_stack: LiveStack, tmp_path: Path) -> None:
    page.goto(f"{live_stack.web}/")
    page.locator(".mbc-event").first.wait_for()
    everything = page.locator(".mbc-event h3").all_inner_texts()
    assert len(everything) == 5
    shot(page, "widgets.png", tmp_path)
    page.get_by_label("Show events in").select_option("ID")
    page.get_by_text("in Idaho.").wait_for()
    idaho = page.locator(".mbc-event h3").all_inner_texts()
    assert set(idaho) == {
        "Boise lunch and learn: clinical trials",
        "Virtual talk: living well with MBC",
        "Coeur d'Alene lakeside walk",
    }
    walk = page.locator(".mbc-event", has_text="Coeur d'Alene lakeside walk")
    assert "10:00 AM \u2013 12:00 PM Pacific" in walk.inner_text()  # north Idaho: its own zone, in words
    whens = page.locator(".mbc-when").all_inner_texts()
    assert whens and not any(re.search(r"\b(MT|PT|MST|MDT|PST|PDT)\b", when) for when in whens)
    assert "10:00 AM" in walk.inner_text()
    feed = page.get_by_role("link", name="Idaho events")
    assert feed.get_attribute("href") == live_stack.api.replace("http:", "webcal:") + "/events/calendar.ics?state=ID"
    page.get_by_label("Show events in").select_option("MT")
    page.get_by_text("in Montana.").wait_for()
    assert "Bozeman MBC coffee meetup" in page.locator(".mbc-event h3").all_inner_texts()


def run_axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_accessibility_audit_finds_no_serious_or_critical_violations(page: Any, live_stack: LiveStack) -> None:
    page.goto(f"{live_stack.web}/")
    page.locator(".mbc-event").first.wait_for()
    page.get_by_role("button", name="Sign up").wait_for()
    assert run_axe(page) == []
    fill_form(page, "Ally Audit", "nope")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#mbc1-email-error").wait_for(state="visible")
    assert run_axe(page) == []  # the error state too
    page.goto(f"{live_stack.web}/thank-you.html")
    assert run_axe(page) == []


def test_accessibility_of_the_member_pages(browser: Any, live_stack: LiveStack) -> None:
    # Those pages forbid every script by CSP; the audit needs its own to run.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_extra_http_headers({"Accept": "text/html"})
    page.goto(f"{live_stack.api}/signups/confirm?token=not-a-token")
    assert "This link is not valid" in page.inner_text("main")
    assert run_axe(page) == []
    context.close()


def test_her_manage_page_at_360_px_then_leaving(browser: Any, live_stack: LiveStack, tmp_path: Path) -> None:
    """The footer's one link, on a phone: her choices fit the screen, the page passes the audit, and
    "Leave the group" says goodbye with the way back."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_stack.web}/signup-form-page.html")
    fill_form(page, "Mia Manage", "mia.manage@example.org", "ID")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r".*/thank-you\.html$"))
    [confirmation] = messages_to(live_stack, "mia.manage@example.org")
    manage = live_stack.api + link_in(confirmation, "/signups/manage")
    page.goto(manage)
    assert page.get_by_role("heading", name="Manage my membership", exact=True).is_visible()
    words = page.inner_text("body")
    assert "Hello Mia Manage" in words and "Leave the group" in words and "Erase my data" in words
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "member-manage-360.png", tmp_path)
    page.get_by_role("button", name="Leave the group").click()
    page.get_by_role("heading", name=re.compile("You have left")).wait_for()
    assert "We wish you well" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    audit = browser.new_context(bypass_csp=True)  # the page forbids every script; the audit needs its own
    audited = audit.new_page()
    audited.goto(manage)
    assert run_axe(audited) == []
    audit.close()
    token = manage.split("token=", 1)[1]
    assert token not in live_stack.log and "mia.manage@example.org" not in live_stack.log


def test_keyboard_only_signup(page: Any, live_stack: LiveStack) -> None:
    page.goto(f"{live_stack.web}/")
    page.locator("#mbc1-name").focus()
    page.keyboard.type("Kay Board")
    page.keyboard.press("Tab")
    page.keyboard.type("kay.board@example.org")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # Idaho
    page.keyboard.press("Tab")  # the time she lives on: "Not sure" is chosen until she says
    assert page.evaluate("document.activeElement.value") == ""
    page.keyboard.press("ArrowUp")  # Pacific time (north Idaho)
    assert page.evaluate("document.activeElement.value") == "America/Los_Angeles"
    page.keyboard.press("Tab")
    page.keyboard.type("A friend")
    page.keyboard.press("Tab")  # the honeypot is skipped (tabindex=-1)
    assert page.evaluate("document.activeElement.id") == "mbc1-consent"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Thank you! Check your email").wait_for()
    [confirmation] = messages_to(live_stack, "kay.board@example.org")
    assert "in Pacific time, as you chose" in confirmation.get_body(("plain",)).get_content()
