"""The organizer console in a real browser (Debian's chromium driven by Playwright), against its
own stack as `make run` starts it, tried as a new volunteer would: the admin is created with one CLI
command, signs in from the emailed link, invites an organizer for the Connection Group only, allows
the chapter's staging website (and removes it again); that organizer approves two people, declines
one with a message, changes the Zoom link and sees the preview, cancels a meeting after seeing who
will be told, adds an event in Pacific time, cannot reach another group or the Website page, and
signs out. Every page is audited with axe-core at 360 px wide.

``UPDATE_SCREENSHOTS=1`` writes docs/screenshots/console-*.png for docs/console.md."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_browser import SCREENSHOTS, run_axe
from tests.support.builders import outbox_messages, plain_text, wait_for_messages
from tests.support.live import LiveStack, run_stack

pytestmark = pytest.mark.slow

PHONE = {"width": 360, "height": 780}
GROUP = "mbc-connection-group"
OTHER = "helena-caregivers"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """A stack of its own: the console changes the group, its meetings and events."""
    state = tmp_path_factory.mktemp("console-stack") / "local"
    with run_stack(state, {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "100000"}) as live:
        yield live


def api(stack: LiveStack, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(stack.api + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"console-{name}.png"), full_page=True)


def audit(page: Any) -> None:
    """axe-core finds nothing serious or critical, and nothing is wider than the phone."""
    page.wait_for_load_state("load")
    try:
        page.locator("main h1").wait_for(timeout=5000)
    except Exception:
        print("PAGE", page.url, page.content()[:3000])
        raise
    assert run_axe(page) == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def sign_in(page: Any, stack: LiveStack, email: str, tmp_path: Path | None = None) -> None:
    page.goto(f"{stack.api}/console")
    page.wait_for_url(re.compile(r".*/console/sign-in$"))
    audit(page)
    page.get_by_label("Your email address").fill(email)
    if tmp_path is not None:
        shot(page, "sign-in", tmp_path)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_text("a sign-in link is on its way").wait_for()
    audit(page)
    message = newest(stack, email, "sign-in link")
    link = re.search(r"(http://\S+/console/sign-in/link\?token=\S+)", plain_text(message))
    assert link
    page.goto(link.group(1))
    audit(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your groups").wait_for()


def newest(stack: LiveStack, to: str, subject: str, *, timeout: float = 15.0) -> Any:
    """The newest message to ``to`` whose subject has ``subject``, waiting for the outbox's handler."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in outbox_messages(stack.outbox) if m["To"] == to and subject in m["Subject"]]
        if found or time.monotonic() > deadline:
            assert found, f"no {subject!r} email to {to}"
            return found[-1]
        time.sleep(0.1)


def pending_signups(stack: LiveStack, names: list[str]) -> None:
    """People who signed up on the website and confirmed their email (waiting for approval)."""
    for name in names:
        email = f"{name.split()[0].lower()}@example.org"
        status, _ = api(
            stack,
            "POST",
            f"/groups/{GROUP}/signups",
            {"name": name, "email": email, "state": "MT", "consent": True, "how_heard": "My oncologist"},
        )
        assert status == 202
        [confirm] = wait_for_messages(stack.outbox, email)
        link = re.search(r"(/signups/confirm\?token=\S+)", plain_text(confirm))
        assert link
        assert api(stack, "POST", link.group(1))[0] == 200


def test_a_volunteer_runs_the_group_from_her_phone(browser: Any, stack: LiveStack, tmp_path: Path) -> None:
    made = stack.cli("organizers", "create", "--name", "Ada Admin", "--email", "ada@example.org", "--role", "admin")
    assert made.returncode == 0, made.stderr
    admin_key = next(line for line in made.stdout.splitlines() if line.startswith("mbck_"))
    pending_signups(stack, ["Alice Able", "Bea Brave", "Cleo Calm"])

    # The admin signs in from the emailed link and invites an organizer for the Connection Group only.
    admin = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = admin.new_page()
    sign_in(page, stack, "ada@example.org", tmp_path)
    [cookie] = [c for c in admin.cookies() if c["name"] == "mbc_console"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"

    # The admin creates a second group in the console: its schedule in words, no JSON, no rule.
    page.get_by_role("link", name="Create a new group").click()
    audit(page)
    page.get_by_label("Group name", exact=True).fill("Helena Caregivers")
    page.get_by_label("Web address name").fill(OTHER)
    page.get_by_label("First", exact=True).uncheck()
    page.get_by_label("Third", exact=True).check()
    page.get_by_label("Day of the week").select_option("WE")
    page.get_by_label("Zoom link").fill("https://example.zoom.us/j/5550001111")
    shot(page, "new-group", tmp_path)
    page.get_by_role("button", name="Create the group").click()
    page.get_by_text("The group is created").wait_for()
    audit(page)
    status, made_group = api(stack, "GET", f"/groups/{OTHER}/settings", key=admin_key)
    assert status == 200 and made_group["schedule"]["rrule"] == "FREQ=MONTHLY;BYDAY=3WE"
    page.goto(f"{stack.api}/console")
    audit(page)
    shot(page, "home", tmp_path)
    page.get_by_role("link", name="Organizers", exact=True).click()
    page.get_by_role("link", name="Add an organizer", exact=True).click()
    audit(page)
    page.get_by_label("Their name").fill("Olive Organizer")
    page.get_by_label("Their email address").fill("olive@example.org")
    page.get_by_label("Organize MBC Connection Group").check()
    shot(page, "add-organizer", tmp_path)
    page.get_by_role("button", name="Add them and send the invitation").click()
    page.get_by_text("They get an email telling them how to sign in").wait_for()
    audit(page)
    invitation = newest(stack, "olive@example.org", "You are now an organizer")
    assert "MBC Connection Group" in plain_text(invitation)

    # The admin allows the chapter's staging site (no redeploy) and finds the line to paste.
    page.get_by_role("link", name="Website", exact=True).click()
    page.get_by_role("heading", name="Websites you allowed").wait_for()
    audit(page)
    page.get_by_label("Website address").fill("staging.mbc-chapter.test")
    page.get_by_role("button", name="Allow this website").click()
    page.locator("#e-origin").wait_for()
    assert "Must start with https://" in page.locator("#e-origin").inner_text()
    audit(page)  # the error state too
    page.get_by_label("Website address").fill("HTTPS://Staging.MBC-Chapter.test/")
    page.get_by_role("button", name="Allow this website").click()
    page.get_by_text("Allowed. Within a minute").wait_for()
    assert page.get_by_role("button", name="Remove https://staging.mbc-chapter.test").is_visible()
    snippets = page.locator("pre.code").all_inner_texts()
    assert f'<script src="{stack.api}/widgets/mbc-connect.js" data-group="{GROUP}" defer></script>' in snippets
    audit(page)
    shot(page, "website", tmp_path)
    status, origins = api(stack, "GET", "/site/origins", key=admin_key)
    assert status == 200 and origins["origins"] == ["https://staging.mbc-chapter.test"]
    page.get_by_role("button", name="Remove https://staging.mbc-chapter.test").click()
    page.get_by_text("Removed. Within a minute").wait_for()
    assert api(stack, "GET", "/site/origins", key=admin_key)[1]["origins"] == []
    admin.close()

    # The organizer, on her phone: approve two, decline one with a message.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    sign_in(page, stack, "olive@example.org")
    assert page.get_by_text("3 people are waiting for approval").is_visible()
    page.get_by_role("link", name="Waiting for approval").first.click()
    audit(page)
    page.get_by_label("Alice Able").check()
    page.get_by_label("Bea Brave").check()
    shot(page, "waiting", tmp_path)
    page.get_by_role("button", name="Approve the people I chose").click()
    page.get_by_text("2 approved").wait_for()
    page.get_by_label("Cleo Calm").check()
    page.get_by_role("button", name="Decline the people I chose").click()
    audit(page)
    page.get_by_label("Add a personal note").fill("The Thursday caregivers' circle may suit you better.")
    shot(page, "decline", tmp_path)
    page.get_by_role("button", name="Send the message and decline").click()
    page.get_by_text("1 declined").wait_for()
    declined = newest(stack, "cleo@example.org", "About your request")
    assert "caregivers' circle" in plain_text(declined) and "Living Beyond Breast Cancer" in plain_text(declined)
    assert page.locator("body").inner_text().count("{") == 0  # no JSON anywhere

    # Add someone who phoned from Coeur d'Alene: north Idaho is Pacific time, said on the form.
    page.get_by_role("link", name="Members", exact=True).first.click()
    page.get_by_role("link", name="Add a member").click()
    audit(page)
    page.get_by_label("Their name").fill("Dora Phoned")
    page.get_by_label("Their email address").fill("dora@example.org")
    page.get_by_label("State they live in").select_option("ID")
    page.get_by_label("The time they live on").select_option("America/Los_Angeles")
    page.get_by_label("They asked to join the group").check()
    shot(page, "add-member", tmp_path)
    page.get_by_role("button", name="Add and send the confirmation email").click()
    page.get_by_text("Added. They get an email to confirm their address.").wait_for()
    added = newest(stack, "dora@example.org", "")
    assert "Meeting times in our emails will be in Pacific time" in plain_text(added)

    # Change the Zoom link and see the reminder preview before saving.
    page.get_by_role("link", name="Group settings", exact=True).click()
    audit(page)
    page.get_by_label("Zoom link").fill("https://example.zoom.us/j/12345678901?pwd=NewRoom")
    page.get_by_role("textbox", name="Meeting ID").fill("123 4567 8901")
    page.get_by_role("button", name="Show the reminder preview").click()
    preview = page.locator(".preview").first
    preview.wait_for()
    assert "/j/PREVIEW" in preview.inner_text() and "Meeting ID: 123 4567 8901" in preview.inner_text()
    assert page.locator(".room").inner_text() == "https://example.zoom.us/j/12345678901?pwd=NewRoom"
    # One preview per way members read the time: Mountain, Pacific (north Idaho), both (Idaho, not said).
    assert "meets tomorrow at 4:00 PM Mountain." in page.locator(".preview").nth(0).inner_text()
    assert "meets tomorrow at 3:00 PM Pacific." in page.locator(".preview").nth(1).inner_text()
    assert "meets tomorrow at 4:00 PM Mountain / 3:00 PM Pacific." in page.locator(".preview").nth(2).inner_text()
    audit(page)
    page.locator("#preview").scroll_into_view_if_needed()
    shot(page, "settings-preview", tmp_path)
    page.get_by_role("button", name="Save the settings").click()
    page.get_by_text("Saved.").wait_for()

    # Cancel the next meeting, seeing who will be told first.
    page.get_by_role("link", name="Meetings", exact=True).click()
    audit(page)
    shot(page, "meetings", tmp_path)
    page.get_by_role("link", name=re.compile("^Change this meeting")).first.click()
    page.get_by_label("Cancel this meeting").check()
    page.get_by_label("Your message to members").fill("Our facilitator is away; see you next month.")
    page.get_by_role("button", name="See who will be told").click()
    told = page.get_by_role("heading", name="Who will be told")
    told.wait_for()
    words = page.locator("main").inner_text()
    assert "2 members will get a cancellation notice now" in words and "Cancelled:" in words
    audit(page)
    shot(page, "cancel-meeting", tmp_path)
    page.get_by_role("button", name="Save and tell them").click()
    page.get_by_text("Members are told within 15 minutes").wait_for()
    assert "Cancelled" in page.locator(".people li").first.inner_text()

    # "No meeting in July": a meeting seven months ahead, found by its month, cancelled with her words.
    page.get_by_label("Show the meetings of").select_option(index=7)
    page.get_by_role("button", name="Show this month").click()
    audit(page)
    shot(page, "meetings-month", tmp_path)
    page.get_by_role("link", name=re.compile("^Change this meeting")).first.click()
    page.get_by_label("Cancel this meeting").check()
    page.get_by_label("Your message to members").fill("No meeting this month: enjoy the summer.")
    assert page.get_by_label("Tell them now, with your message").is_checked()
    page.get_by_role("button", name="See who will be told").click()
    page.get_by_role("heading", name="Who will be told").wait_for()
    assert "2 members will get a cancellation notice now" in page.locator("main").inner_text()
    audit(page)
    shot(page, "cancel-with-message", tmp_path)
    page.get_by_role("button", name="Save and tell them").click()
    page.get_by_text("Members are told within 15 minutes").wait_for()

    # Add an event in Pacific time (north Idaho).
    page.get_by_role("link", name="all groups", exact=True).click()
    page.get_by_role("link", name="Events", exact=True).click()
    page.get_by_role("link", name="Add an event", exact=True).click()
    audit(page)
    page.get_by_label("Title", exact=True).fill("Sandpoint lakeside picnic")
    page.get_by_label("Date", exact=True).fill("2030-07-13")
    page.get_by_label("Starts at", exact=True).fill("11:00")
    page.get_by_label("Ends at", exact=True).fill("13:00")
    page.get_by_label("Time zone").select_option("America/Los_Angeles")
    page.get_by_label("Idaho", exact=True).check()
    page.get_by_label("Place name", exact=True).fill("City Beach pavilion")
    page.get_by_label("Street address", exact=True).fill("1 Bridge St")
    page.get_by_label("City", exact=True).fill("Sandpoint")
    page.get_by_label("ZIP code", exact=True).fill("83864")
    shot(page, "event", tmp_path)
    page.get_by_role("button", name="Add the event").click()
    page.get_by_text("The event is saved").wait_for()
    assert "11:00 AM Pacific" in page.locator("main").inner_text()
    status, listing = api(stack, "GET", "/events?state=ID&from=2030-07-01")
    assert status == 200
    [picnic] = [e for e in listing["events"] if e["title"] == "Sandpoint lakeside picnic"]
    assert picnic["starts_at"] == "2030-07-13T11:00:00-07:00"

    # Another group is out of reach, and the activity log shows who did what.
    page.goto(f"{stack.api}/console/groups/{OTHER}/members")
    assert "You do not have access to this page" in page.locator("main").inner_text()
    audit(page)
    assert page.get_by_role("link", name="Website", exact=True).count() == 0  # admins only
    page.goto(f"{stack.api}/console/site")
    assert "You do not have access to this page" in page.locator("main").inner_text()
    page.goto(f"{stack.api}/console/groups/{GROUP}/activity")
    log = page.locator("main").inner_text()
    assert "Approved Alice Able" in log and "Declined Cleo Calm" in log and "Olive Organizer" in log
    assert "Changed the settings: zoom link, meeting id" in log and "Cancelled the meeting of" in log
    audit(page)
    shot(page, "activity", tmp_path)

    # Sign out: the session is gone, and the cookie with it.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/console/sign-in$"))
    assert [c for c in context.cookies() if c["name"] == "mbc_console"] == []
    page.goto(f"{stack.api}/console/groups/{GROUP}/members")
    # To sign in, and back to the page asked for afterwards (issue 21 item 9).
    page.wait_for_url(re.compile(r".*/console/sign-in\?next=%2Fgroups%2F" + GROUP + r"%2Fmembers$"))
    context.close()

    # A script's key carries the same scope as the organizer it belongs to.
    made = stack.cli("organizers", "create", "--name", "Sam Script", "--email", "sam@example.org", "--groups", GROUP)
    assert made.returncode == 0, made.stderr
    key = next(line for line in made.stdout.splitlines() if line.startswith("mbck_"))
    assert api(stack, "GET", f"/groups/{GROUP}/settings", key=key)[0] == 200
    status, body = api(stack, "GET", f"/groups/{OTHER}/settings", key=key)
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_keyboard_only_sign_in_and_approval(browser: Any, stack: LiveStack) -> None:
    made = stack.cli("organizers", "create", "--name", "Kim Keys", "--email", "kim.keys@example.org", "--groups", GROUP)
    assert made.returncode == 0, made.stderr
    pending_signups(stack, ["Dot Keyboard"])
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{stack.api}/console/sign-in")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the site name
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-email"
    page.keyboard.type("kim.keys@example.org")
    page.keyboard.press("Enter")
    page.get_by_text("a sign-in link is on its way").wait_for()
    message = newest(stack, "kim.keys@example.org", "sign-in link")
    link = re.search(r"(http://\S+/console/sign-in/link\?token=\S+)", plain_text(message))
    assert link
    page.goto(link.group(1))
    page.get_by_role("button", name="Sign in").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your groups").wait_for()
    page.goto(f"{stack.api}/console/groups/{GROUP}/waiting")
    page.get_by_label("Dot Keyboard").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Approve the people I chose").focus()
    page.keyboard.press("Enter")
    page.get_by_text("1 approved").wait_for()
    context.close()
