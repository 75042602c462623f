"""The widget says why (issue 21 item 11): on a website not allowed yet, the script learns it from
/site/allowed (answered to any origin, yes or no for that origin only, cached briefly) and the
iframe shows a readable page saying what to do, instead of "try again later" and a blank box."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib import container
from tests.support.builders import GROUP_ID, group_body
from tests.support.stacks import Stack

EMBED = f"/embed/{GROUP_ID}"
ALLOWED = "https://www.example.org"  # the test stack's WEBSITE_ORIGINS
OTHER = "https://chapter-news.example.net"


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return dict(container.current().groups.create(group_body()))


def test_any_website_may_ask_whether_it_is_allowed_and_learns_only_that(api: Any, group: dict[str, Any]) -> None:
    mine = api.http.get("/site/allowed", headers={"Origin": ALLOWED})
    other = api.http.get("/site/allowed", headers={"Origin": OTHER})
    nobody = api.http.get("/site/allowed")
    assert (mine.status_code, json.loads(mine.body)) == (200, {"allowed": True})
    assert (other.status_code, json.loads(other.body)) == (200, {"allowed": False})  # never the list
    assert json.loads(nobody.body) == {"allowed": False}
    for answer in (mine, other):
        assert answer.headers["Access-Control-Allow-Origin"] == "*"  # readable by a site not allowed yet
        assert answer.headers["Vary"] == "Origin" and answer.headers["Cache-Control"] == "public, max-age=60"
    assert ALLOWED not in other.body.decode()


def test_the_frame_on_a_site_not_allowed_yet_is_a_readable_page(api: Any, group: dict[str, Any]) -> None:
    framed = {"Sec-Fetch-Dest": "iframe", "Referer": f"{OTHER}/join-us"}
    refused = api.http.get(EMBED + "?accent=%237a1f5c", headers=framed)
    assert refused.status_code == 403 and refused.headers["Content-Type"].startswith("text/html")
    policy = refused.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy  # shown in any frame: it holds no form and nothing personal
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", refused.body.decode()))
    assert f"cannot be shown on {OTHER} yet" in text
    assert "ask an admin of the organizer console to allow" in text and "<form" not in refused.body.decode()
    assert ALLOWED not in refused.body.decode()  # the list stays private
    allowed = api.http.get(EMBED, headers={"Sec-Fetch-Dest": "iframe", "Referer": f"{ALLOWED}/join"})
    assert allowed.status_code == 200 and "<form" in allowed.body.decode()
    assert "frame-ancestors *" not in allowed.headers["Content-Security-Policy"]
    on_its_own = api.http.get(EMBED, headers={"Sec-Fetch-Dest": "document", "Referer": f"{OTHER}/join-us"})
    assert on_its_own.status_code == 200 and "<form" in on_its_own.body.decode()  # the link "on its own page"


def test_the_script_asks_why_before_saying_try_again_later() -> None:
    from tests.support.stacks import ROOT

    script = (ROOT / "chalicelib" / "website" / "static" / "mbc-connect.js").read_text()
    assert '"/site/allowed"' in script and "ask an admin of the organizer console to allow this website" in script
