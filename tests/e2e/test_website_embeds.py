"""Issue 15, tried as a web volunteer would: a plain HTML page on ANOTHER origin with (a) the one
script tag and (b) the iframe, each refused until an admin adds the site's origin (through the API,
no restart), then themed and working, with and without JavaScript; a member signs up and confirms
from the email; the events list pages, opens details, downloads .ics and carries JSON-LD; axe-core
finds no serious or critical issue. Debian's chromium driven by Playwright, against `make run`'s stack."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.test_browser import SCREENSHOTS, fill_form, run_axe
from tests.support.builders import event_body, link_in, wait_for_messages
from tests.support.hostsite import HostSite, host_site
from tests.support.live import LiveStack

GROUP = "mbc-connection-group"
PLUM = "rgb(122, 31, 92)"  # #7a1f5c, the host site's brand colour


@pytest.fixture(scope="module")
def admin_key(live_stack: LiveStack) -> str:
    return live_stack.organizer_key()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[HostSite]:
    with host_site(tmp_path / "site") as hosted:
        yield hosted


def allow(live_stack: LiveStack, key: str, origin: str) -> None:
    """What an admin does (PUT /site/origins with the version read): no redeploy, no restart."""
    auth = {"Authorization": f"Bearer {key}"}
    for _ in range(3):
        current = requests.get(f"{live_stack.api}/site/origins", headers=auth, timeout=10).json()
        body = {"origins": [*current["origins"], origin], "version": current["version"]}
        put = requests.put(f"{live_stack.api}/site/origins", json=body, headers=auth, timeout=10)
        if put.status_code == 200:
            assert origin in put.json()["origins"]
            return
        assert put.status_code == 409, put.text
    raise AssertionError("could not add the origin")


def shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def confirm_from_email(browser: Any, live_stack: LiveStack, address: str) -> str:
    [mail] = wait_for_messages(live_stack.outbox, address)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_stack.api + link_in(mail, "/signups/confirm"))
    page.get_by_role("button", name="Confirm my email").click()
    text = page.inner_text("main")
    context.close()
    return text


def script_tag_page(site: HostSite, live_stack: LiveStack, *, name: str = "join.html", extra: str = "") -> str:
    return site.page(
        name,
        f'<p>Our chapter meets online every month.</p>\n<script src="{live_stack.api}/widgets/mbc-connect.js" '
        f'data-group="{GROUP}" data-events="2" data-radius="12px" defer></script>{extra}',
        head="<style>body{font-family:Georgia,serif;max-width:46rem;margin:0 auto;padding:1rem}"
        ":root{--mbc-accent:#7a1f5c}</style>",
    )


def iframe_page(site: HostSite, live_stack: LiveStack) -> str:
    src = f"{live_stack.api}/embed/{GROUP}?accent=%237a1f5c&amp;radius=12px&amp;events=2"
    return site.page(
        "embed.html",
        f'<iframe src="{src}" title="Sign up and upcoming events" class="mbc-frame"></iframe>',
        head="<style>.mbc-frame{width:100%;height:1900px;border:0}@media (max-width:600px){.mbc-frame{height:2700px}}"
        "</style>",
    )


# ---------------------------------------------------------------- (a) the one script tag


def test_one_script_tag_refused_then_allowed_themed_signup_and_confirm(
    browser: Any, live_stack: LiveStack, admin_key: str, site: HostSite, tmp_path: Path
) -> None:
    url = script_tag_page(site, live_stack)
    context = browser.new_context(viewport={"width": 1000, "height": 1200})
    page = context.new_page()
    page.goto(url)
    # Not an allowed origin yet: the browser refuses the API's answers (CORS); the widget says why
    # and what to do (it asks /site/allowed, which answers any site about itself).
    page.get_by_text("The signup form cannot be shown on this website yet").wait_for()
    page.get_by_text("The events list cannot be shown on this website yet").wait_for()
    assert f"to allow this website ({site.origin}) on its Website page" in page.inner_text(".mbc-signup")
    assert "try again later" not in page.inner_text(".mbc-connect").lower()
    fallback = page.get_by_role("link", name="Open the signup form on its own page")
    assert fallback.get_attribute("href") == f"{live_stack.api}/embed/{GROUP}?show=signup"

    allow(live_stack, admin_key, site.origin)
    page.reload()
    page.get_by_role("heading", name="Join the MBC Connection Group").wait_for()
    page.locator(".mbc-event").first.wait_for()
    group = requests.get(f"{live_stack.api}/groups/{GROUP}", timeout=10).json()
    assert page.get_by_text(group["consent_text"]).is_visible()
    assert page.locator('input[name="consent_version"]').get_attribute("value") == group["consent_version"]
    assert "First Tuesday of every month" in page.inner_text(".mbc-signup")
    button = page.get_by_role("button", name="Sign up")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == PLUM  # the host's --mbc-accent
    assert button.evaluate("b => getComputedStyle(b).borderTopLeftRadius") == "12px"  # data-radius
    assert page.evaluate("Object.keys(window).filter(k => k.startsWith('MBC'))") == ["MBCConnect"]
    assert run_axe(page) == []
    shot(page, "widgets-script-tag-desktop.png", tmp_path)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    shot(page, "widgets-script-tag-360.png", tmp_path)
    page.set_viewport_size({"width": 1000, "height": 1200})

    fill_form(page, "Sam Script", "not-an-email", "ID")
    button.click()
    error = page.locator("#mbc1-email-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "Must be a valid email address."
    assert page.evaluate("document.activeElement.id") == "mbc1-email"
    assert page.get_by_label("Email address", exact=True).get_attribute("aria-describedby") == (
        "mbc1-email-hint mbc1-email-error"
    )
    assert run_axe(page) == []  # the error state too
    page.get_by_label("Email address", exact=True).fill("sam.script@example.org")
    button.click()
    page.get_by_text("Thank you! Check your email").wait_for()
    # A member who lost her email finds "send me the link again" right by the form.
    again = page.get_by_role("link", name="Already a member? Get your link again")
    assert again.get_attribute("href") == f"{live_stack.api}/groups/{GROUP}/resend"
    with page.expect_navigation() as navigation:
        again.click()
    assert navigation.value is not None and navigation.value.status == 200
    page.get_by_role("heading", name="Get your meeting link again").wait_for()
    context.close()
    assert "An organizer will approve your membership soon" in confirm_from_email(
        browser, live_stack, "sam.script@example.org"
    )


def test_script_tag_events_paging_details_calendar_and_json_ld(
    browser: Any, live_stack: LiveStack, admin_key: str, site: HostSite
) -> None:
    auth = {"Authorization": f"Bearer {admin_key}"}
    lines = event_body(
        title="Missoula writing circle",
        description="Bring a notebook.\nTea provided.\nParking behind the building.",
        starts_at="2031-05-06T14:00:00-06:00",
        ends_at="2031-05-06T16:00:00-06:00",
        venue={
            "name": "Missoula Public Library",
            "street": "455 E Main St",
            "city": "Missoula",
            "postal_code": "59802",
        },
    )
    made = requests.post(f"{live_stack.api}/events", json=lines, headers=auth, timeout=10)
    assert made.status_code == 201, made.text
    event_id = made.json()["id"]
    try:
        allow(live_stack, admin_key, site.origin)
        context = browser.new_context(viewport={"width": 1000, "height": 1400}, accept_downloads=True)
        page = context.new_page()
        page.goto(script_tag_page(site, live_stack))
        page.locator(".mbc-event").first.wait_for()
        titles = page.locator(".mbc-event h3")
        assert titles.count() == 2
        more = page.get_by_role("button", name="More events")
        while more.is_visible():
            before = titles.count()
            more.click()
            page.wait_for_function(f"document.querySelectorAll('.mbc-event').length > {before}")
            assert page.evaluate("document.activeElement.classList.contains('mbc-event')")  # focus on the new ones
        assert titles.all_inner_texts()[-1] == "Missoula writing circle"
        assert "Showing 6 upcoming events" in page.inner_text(".mbc-events [role=status]")

        data = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
        assert [item["name"] for item in data] == titles.all_inner_texts()
        assert all(item["@context"] == "https://schema.org" and item["@type"] == "Event" for item in data)
        writing = data[-1]
        assert writing["eventStatus"] == "https://schema.org/EventScheduled"
        assert writing["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
        assert writing["location"]["@type"] == "Place"
        assert writing["location"]["address"]["addressLocality"] == "Missoula"
        assert writing["startDate"] == "2031-05-06T14:00:00-06:00"
        talk = next(item for item in data if item["name"] == "Virtual talk: living well with MBC")
        assert talk["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
        lunch = next(item for item in data if item["name"].startswith("Boise lunch"))
        assert lunch["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
        assert {loc["@type"] for loc in lunch["location"]} == {"Place", "VirtualLocation"}

        item = page.locator(".mbc-event", has_text="Missoula writing circle")
        item.locator("summary").click()
        page.wait_for_function(f"location.hash === '#event={event_id}'")  # a link to share (toggle is async)
        description = item.locator(".mbc-description").first
        assert description.inner_text() == "Bring a notebook.\nTea provided.\nParking behind the building."
        assert description.evaluate("d => getComputedStyle(d).whiteSpace") == "pre-line"
        assert "openstreetmap.org/search?query=" in (item.get_by_role("link", name="Map").get_attribute("href") or "")
        google = item.get_by_role("link", name="Add to Google Calendar").get_attribute("href") or ""
        assert "dates=20310506T200000Z%2F20310506T220000Z" in google
        with page.expect_download() as download:
            item.get_by_role("link", name="Add to calendar (.ics)").click()
        ics = Path(download.value.path()).read_text()
        assert download.value.suggested_filename == "missoula-writing-circle.ics"
        assert f"UID:event-{event_id}@mbc-connect" in ics and ics.count("BEGIN:VEVENT") == 1
        feeds = page.locator(".mbc-feeds a")
        assert feeds.evaluate_all("links => links.map(a => a.href)") == [
            live_stack.api.replace("http:", "webcal:") + "/events/calendar.ics?state=ID",
            live_stack.api.replace("http:", "webcal:") + "/events/calendar.ics?state=MT",
            live_stack.api.replace("http:", "webcal:") + f"/groups/{GROUP}/meetings.ics",
        ]
        assert run_axe(page) == []

        # A shared link to one event opens it, even when it is not on the first page.
        page = context.new_page()
        page.goto(f"{site.origin}/join.html#event={event_id}")
        opened = page.locator("details[open]")
        opened.wait_for()
        assert opened.get_attribute("data-event-id") == event_id
        assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
        context.close()
    finally:
        requests.delete(f"{live_stack.api}/events/{event_id}", headers=auth, timeout=10)


def test_script_tag_without_javascript_falls_back_to_the_embed_page(
    browser: Any, live_stack: LiveStack, admin_key: str, site: HostSite
) -> None:
    allow(live_stack, admin_key, site.origin)
    fallback = (
        f'<noscript><iframe src="{live_stack.api}/embed/{GROUP}?accent=%237a1f5c" title="Sign up and upcoming events" '
        'style="width:100%;height:1400px;border:0"></iframe></noscript>'
    )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(script_tag_page(site, live_stack, extra=fallback))
    assert page.locator("[data-mbc-connect]").count() == 0  # the script never ran
    frame = page.frame_locator("iframe")
    frame.get_by_role("heading", name="Join the MBC Connection Group").wait_for()
    fill_form_in(frame, "Noor Noscript", "noor.noscript@example.org")
    frame.get_by_role("button", name="Sign up").click()
    frame.get_by_role("heading", name="Thank you for signing up").wait_for()
    context.close()
    assert "An organizer will approve" in confirm_from_email(browser, live_stack, "noor.noscript@example.org")


# ---------------------------------------------------------------- (b) the iframe


def fill_form_in(frame: Any, name: str, email: str, state: str = "MT") -> None:
    frame.get_by_label("Your name", exact=True).fill(name)
    frame.get_by_label("Email address", exact=True).fill(email)
    frame.get_by_label("State you live in").select_option(state)
    frame.get_by_label("I agree", exact=False).check()


@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_iframe_refused_then_allowed_themed_signup_and_confirm(
    browser: Any, live_stack: LiveStack, admin_key: str, site: HostSite, tmp_path: Path, javascript: bool
) -> None:
    url = iframe_page(site, live_stack)
    context = browser.new_context(viewport={"width": 1000, "height": 1400}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(url)
    page.wait_for_timeout(500)
    # Not an allowed origin yet: the frame says so and what to do (not a blank box).
    refused = page.frame_locator("iframe")
    refused.get_by_role("heading", name="This website is not allowed yet").wait_for()
    assert f"ask an admin of the organizer console to allow {site.origin}" in refused.locator("main").inner_text()
    assert refused.locator("form").count() == 0

    allow(live_stack, admin_key, site.origin)
    page.reload()
    frame = page.frame_locator("iframe")
    frame.get_by_role("heading", name="Join the MBC Connection Group").wait_for()
    button = frame.get_by_role("button", name="Sign up")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == PLUM
    assert button.evaluate("b => getComputedStyle(b).borderTopLeftRadius") == "12px"
    if not javascript:
        # Tall viewports: Chromium paints only the visible part of an out-of-process frame.
        page.set_viewport_size({"width": 1000, "height": 2100})
        shot(page, "widgets-iframe-desktop.png", tmp_path)
        page.set_viewport_size({"width": 360, "height": 2900})
        shot(page, "widgets-iframe-360.png", tmp_path)
        page.set_viewport_size({"width": 1000, "height": 1400})

    who = "ida.frame" if javascript else "ivy.frame"
    fill_form_in(frame, "Ida Frame", "nope", "ID")
    button.click()
    frame.get_by_text("Please correct").wait_for()  # the form again, in the frame, with the answers kept
    email = frame.get_by_label("Email address", exact=True)
    assert email.get_attribute("aria-invalid") == "true"
    assert email.input_value() == "nope"
    assert frame.locator("#mbc-email-error").inner_text() == "Must be a valid email address."
    assert frame.get_by_label("Your name", exact=True).input_value() == "Ida Frame"
    email.fill(f"{who}@example.org")
    frame.get_by_label("I agree", exact=False).check()
    frame.get_by_role("button", name="Sign up").click()
    frame.get_by_role("heading", name="Thank you for signing up").wait_for()
    thanks_button = frame.get_by_role("link", name="Back to the form")
    assert thanks_button.evaluate("b => getComputedStyle(b).color") == PLUM  # still themed
    thanks_button.click()
    frame.get_by_role("heading", name="Join the MBC Connection Group").wait_for()
    again = frame.get_by_role("link", name=re.compile(r"^Already a member\? Get your link again"))
    assert again.get_attribute("href") == f"{live_stack.api}/groups/{GROUP}/resend"
    with context.expect_page() as opened:
        again.click()
    resend = opened.value
    resend.get_by_role("heading", name="Get your meeting link again").wait_for()
    assert resend.url == f"{live_stack.api}/groups/{GROUP}/resend"
    resend.close()

    # The events inside the frame: a page at a time, details without any script.
    assert frame.locator(".mbc-event").count() == 2
    frame.get_by_role("link", name="More events").click()
    frame.get_by_text("Back to the first events").wait_for()
    assert frame.locator(".mbc-event").count() >= 1
    context.close()
    assert "An organizer will approve" in confirm_from_email(browser, live_stack, f"{who}@example.org")


def test_embed_page_and_its_outcomes_pass_axe(browser: Any, live_stack: LiveStack) -> None:
    # Our pages forbid every script by CSP; the audit needs its own to run.
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(f"{live_stack.api}/embed/{GROUP}?accent=%237a1f5c")
    assert run_axe(page) == []
    fill_form(page, "Axe Audit", "nope")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text("Please correct").wait_for()
    assert run_axe(page) == []
    page.goto(f"{live_stack.api}/embed/{GROUP}/thanks")
    assert run_axe(page) == []
    page.goto(f"{live_stack.api}/embed/{GROUP}?accent=red")
    assert "not set up correctly" in page.inner_text("main")
    assert run_axe(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_plain_html_form_without_javascript_error_page_has_a_way_back(browser: Any, live_stack: LiveStack) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    form_page = f"{live_stack.web}/signup-form-page.html"
    page.goto(form_page)
    again = page.get_by_role("link", name="Already a member? Get your link again")
    resend_url = again.get_attribute("href")
    assert resend_url == f"{live_stack.api}/groups/{GROUP}/resend"
    answer = context.request.get(resend_url)
    assert answer.status == 200 and "Get your meeting link again" in answer.text()
    fill_form(page, "Pat Plain", "pat@", "ID")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Please check the form").wait_for()
    assert "Email address: Must be a valid email address." in page.inner_text("main")
    # Browsers send only the site's address with a post to another origin: the link goes to the site...
    assert page.get_by_role("link", name="Back to the website").get_attribute("href") == f"{live_stack.web}/"
    # ...and Back returns to the form with what was typed still there.
    page.go_back()
    page.wait_for_url(re.compile(r".*/signup-form-page\.html$"))
    assert page.get_by_label("Your name", exact=True).input_value() == "Pat Plain"
    context.close()
