"""Emily's existing list in a real browser at 360 px (issue 21 item 0), against its own stack as
`make run` starts it: Excel's Windows-1252 CSV with "E-mail Address", the checked list with the Add
button on the first screens and the rows folded away, the go-ahead as members, the progress page,
and the "we have moved" email. Every page is audited with axe-core and must not scroll sideways.

``UPDATE_SCREENSHOTS=1`` writes docs/screenshots/console-import-*.png for docs/console.md."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_console_browser import PHONE, audit, newest, shot, sign_in
from tests.support.builders import outbox_messages, plain_text
from tests.support.live import LiveStack, run_stack

pytestmark = pytest.mark.slow

GROUP = "mbc-connection-group"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    state = tmp_path_factory.mktemp("import-stack") / "local"
    with run_stack(state, {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "100000"}) as live:
        yield live


def excel_file(folder: Path, count: int) -> Path:
    rows = ["First Name,Last Name,E-mail Address,State/Province"]
    rows += [f"Renée,Côté-{i},renee{i}@example.org,{'ID (north)' if i % 2 else 'Mont.'}" for i in range(count)]
    rows += ["Siobhán,O\u2019Brien,not an address,Idaho", "Long,Name " + "x" * 60 + ",long@" + "y" * 60 + ".org,MT"]
    path = folder / "Connection group list.csv"
    path.write_bytes("\r\n".join(rows).encode("cp1252") + b"\r\n")
    return path


def test_emily_imports_her_list_from_her_phone(browser: Any, stack: LiveStack, tmp_path: Path) -> None:
    made = stack.cli("organizers", "create", "--name", "Emily Coordinator", "--email", "emily@example.org")
    assert made.returncode == 0, made.stderr
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    sign_in(page, stack, "emily@example.org")
    page.goto(f"{stack.api}/console/groups/{GROUP}/members")
    page.get_by_role("link", name="Import a list", exact=True).click()
    audit(page)
    shot(page, "import", tmp_path)
    page.get_by_label("Choose the file").set_input_files(str(excel_file(tmp_path, 60)))
    page.get_by_role("button", name="Check the list").click()
    page.get_by_role("heading", name="Check the list").wait_for()
    audit(page)
    words = page.locator("main").inner_text()
    assert "61 of 62 people are ready to add. 1 row has a problem" in words
    assert "Windows-1252" in words
    add = page.get_by_role("button", name="Add 61 people")
    box = add.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 2 * PHONE["height"]  # within two screens
    assert not page.get_by_text("Renée Côté-59").is_visible()  # the rows are folded away
    page.get_by_text("1 row will be skipped, and why").click()
    assert page.get_by_text("Row 62: Siobhán O\u2019Brien").is_visible()
    audit(page)
    shot(page, "import-check", tmp_path)
    page.get_by_label("How they asked").select_option("asked_coordinator")
    page.get_by_label("Since when (about)").fill("2023-05-01")
    page.get_by_label("Everyone on this list asked to join").check()
    add.click()
    page.get_by_text("Adding them now").wait_for()
    audit(page)
    shot(page, "import-progress", tmp_path)
    deadline = time.monotonic() + 120
    while "The list is added" not in page.locator("h1").inner_text():
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(1)
        page.get_by_role("link", name="Refresh").click()
        page.wait_for_load_state("load")
    assert "61 people added. 1 skipped" in page.locator("main").inner_text()
    audit(page)
    moved = newest(stack, "renee0@example.org", "(nothing to do)", timeout=60)
    text = plain_text(moved)
    assert "You don't need to do anything: you are still a member." in text and "/j/" in text
    assert "you asked the coordinator to join the group (May 2023)" in text
    deadline = time.monotonic() + 60
    while len({m["To"] for m in outbox_messages(stack.outbox) if "(nothing to do)" in m["Subject"]}) < 61:
        assert time.monotonic() < deadline, "not every imported member got her email"
        time.sleep(0.5)
    page.goto(f"{stack.api}/console/groups/{GROUP}/activity")
    assert "Started adding 61 people from a list as members" in page.locator("main").inner_text()
    audit(page)
    context.close()
