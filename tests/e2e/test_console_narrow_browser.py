"""Every console page at 360 px with real data (issue 21 item 10): long names (a 40-letter word
that cannot break), long addresses, a member with history, people waiting. Chromium through
Playwright against its own stack as `make run` starts it; each page must not scroll sideways
(document width <= 360 px) and axe-core finds nothing serious or critical. Also the member's own
page (issue 21 item 5) reached from Members, and "Approve everyone waiting".

``UPDATE_SCREENSHOTS=1`` writes docs/screenshots/console-member*.png for docs/console.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_console_browser import PHONE, api, audit, shot, sign_in
from tests.support.builders import plain_text, wait_for_messages
from tests.support.live import LiveStack, run_stack

pytestmark = pytest.mark.slow

GROUP = "mbc-connection-group"
LONG_WORD = "Wolfeschlegelsteinhausenbergerdorffvoralternwarenge"
PEOPLE = [
    (
        f"Maria-Guadalupe Alexandrovna {LONG_WORD}",
        "maria.guadalupe.alexandrovna.wolfeschlegelsteinhausen@an-exceptionally-long-subdomain-of-the-chapter.example.org",
    ),
    (
        "Renée Côté-Lévesque de la Montagne-Saint-Hilaire",
        "renee.cote.levesque.de.la.montagne.saint.hilaire@example-long-domain-name.org",
    ),
    ("Ann Kowalski", "ann.kowalski@example.org"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    state = tmp_path_factory.mktemp("narrow-stack") / "local"
    with run_stack(state, {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "100000"}) as live:
        yield live


def waiting_for_approval(stack: LiveStack) -> None:
    for name, email in PEOPLE:
        status, _ = api(
            stack,
            "POST",
            f"/groups/{GROUP}/signups",
            {"name": name, "email": email, "state": "ID", "consent": True, "how_heard": "A friend " * 20},
        )
        assert status == 202
        [confirm] = wait_for_messages(stack.outbox, email)
        link = re.search(r"(/signups/confirm\?token=\S+)", plain_text(confirm))
        assert link
        assert api(stack, "POST", link.group(1))[0] == 200


WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 360)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def visit(page: Any, url: str) -> None:
    page.goto(url)
    check(page)


def check(page: Any) -> None:
    """axe clean, and document width <= 360 (naming what sticks out if not)."""
    page.wait_for_load_state("load")
    wide = page.evaluate(WIDE)
    assert wide == [], (page.url, wide[:8])
    audit(page)


def test_every_console_page_fits_360_px_with_long_names(browser: Any, stack: LiveStack, tmp_path: Path) -> None:
    made = stack.cli(
        "organizers", "create", "--name", "Emily " + LONG_WORD, "--email", "emily@example.org", "--role", "admin"
    )
    assert made.returncode == 0, made.stderr
    waiting_for_approval(stack)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    sign_in(page, stack, "emily@example.org")
    console = f"{stack.api}/console"
    group = f"{console}/groups/{GROUP}"

    visit(page, f"{group}/waiting")
    assert "Approve everyone waiting (3)" in page.locator("main").inner_text()
    shot(page, "waiting-long-names", tmp_path)
    page.get_by_label(PEOPLE[0][0]).check()
    page.get_by_role("button", name="Approve the people I chose").click()
    page.get_by_text("1 approved").wait_for()
    check(page)
    page.get_by_label(PEOPLE[1][0]).check()
    page.get_by_role("button", name="Decline the people I chose…").click()
    page.get_by_role("heading", name="Decline with a kind message").wait_for()
    check(page)

    visit(page, f"{group}/members")
    shot(page, "members", tmp_path)
    page.get_by_role("link", name=PEOPLE[0][0], exact=True).click()
    page.get_by_role("heading", name=PEOPLE[0][0]).wait_for()
    check(page)
    words = page.locator("main").inner_text()
    assert "Active member" in words and "Welcome, with her link" in words
    shot(page, "member", tmp_path)
    member_url = page.url
    visit(page, f"{member_url}/remove")

    visit(page, f"{group}/members?q=kowalski+ann")
    assert page.get_by_role("link", name="Ann Kowalski", exact=True).is_visible()
    visit(page, f"{group}/members?q=renee+cote")
    assert page.get_by_role("link", name=PEOPLE[1][0], exact=True).is_visible()

    visit(page, f"{group}/meetings")
    page.get_by_role("link", name=re.compile("^Who was sent what")).first.click()
    page.get_by_role("heading", name="Who was sent what").wait_for()
    check(page)
    shot(page, "deliveries", tmp_path)
    visit(page, f"{group}/meetings")
    page.get_by_role("link", name=re.compile("^Change this meeting")).first.click()
    check(page)

    for path in (
        console,
        f"{group}/members/add",
        f"{group}/members/import",
        f"{group}/settings",
        f"{group}/announcements",
        f"{group}/activity",
        f"{console}/events",
        f"{console}/events/new",
        f"{console}/organizers",
        f"{console}/organizers/new",
        f"{console}/activity",
        f"{console}/site",
        f"{console}/outbox",
    ):
        visit(page, path)

    # Approve everyone waiting, in one tap.
    visit(page, f"{group}/waiting")
    page.get_by_role("button", name=re.compile(r"^Approve everyone waiting")).click()
    page.get_by_text("2 approved").wait_for()
    check(page)
    context.close()
