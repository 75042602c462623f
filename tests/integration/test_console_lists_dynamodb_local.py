"""Pages that hold 2,000 members (issue 21 item 10a), on DynamoDB Local (the index, the filters
and the key a Query continues from behave there as in AWS): Members and Waiting a page at a time
with a signed cursor, every person exactly once; a search by name in any order, accents or not,
that answers in pages (never the whole group in one response); the CSV follows the filter."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from typing import Any, cast

import pytest

from chalicelib.signups.addresses import signup_id_for
from chalicelib.signups.records import SignupRecord
from tests.support.builders import CONSENT_VERSION, GROUP_ID, make_group
from tests.support.console import Console, text_of
from tests.support.stacks import Stack, make_client

MEMBERS = 2000
FIRST = ["Ann", "Renée", "Siobhán", "María José", "Zoë", "Bea", "Chloé", "Dana"]
LAST = ["Kowalski", "Côté", "O'Brien", "Nguyễn", "Smith", "Łukasik", "Müller", "Johnson"]


def record(n: int, name: str, status: str = "active") -> SignupRecord:
    email = f"person{n}@example.org"
    return cast(
        SignupRecord,
        {
            "id": signup_id_for(GROUP_ID, email),
            "group_id": GROUP_ID,
            "email": email,
            "name": name,
            "state": "ID",
            "status": status,
            "created_at": f"2026-10-{1 + n % 28:02d}T00:00:{n % 60:02d}+00:00",
            "updated_at": "2026-11-01T00:00:00+00:00",
            "gen": "1",
            "version": 1,
            "consent_at": "2026-11-01T00:00:00+00:00",
            "consent_version": CONSENT_VERSION,
        },
    )


def seed(stack: Stack, records: list[SignupRecord]) -> None:
    """Written 25 at a time (BatchWriteItem), each item exactly as the repository writes it."""
    repo = stack.container.signups.repo
    client = stack.container.dynamodb
    table = stack.container.table
    for start in range(0, len(records), 25):
        request = {table: [{"PutRequest": {"Item": repo._record_item(r)}} for r in records[start : start + 25]]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


@pytest.fixture
def world(ddb_stack: Stack) -> Iterator[tuple[Stack, Console, list[SignupRecord]]]:
    c = ddb_stack.container
    make_group(c)
    c.organizers.create(name="Emily", email="emily@example.org", role="organizer", groups=[GROUP_ID])
    people = [record(n, f"{FIRST[n % 8]} {LAST[(n // 8) % 8]} {n}") for n in range(MEMBERS)]
    people.append(record(MEMBERS, "Ann Kowalski"))
    people.append(record(MEMBERS + 1, "Renée Côté-Lévesque"))
    people += [record(MEMBERS + 2 + n, f"Waiting Person {n}", "pending_approval") for n in range(120)]
    started = time.monotonic()
    seed(ddb_stack, people)
    assert time.monotonic() - started < 120
    with make_client(ddb_stack) as client:
        console = Console(client)
        console.sign_in(ddb_stack, "emily@example.org")
        yield ddb_stack, console, people


def ids_on(page: Any) -> list[str]:
    return re.findall(rf'href="/console/groups/{GROUP_ID}/members/([0-9a-f]{{16,64}})"', page.body.decode())


def next_link(page: Any) -> str | None:
    found = re.search(r'<a href="([^"]+)">Next page</a>', page.body.decode())
    return unescape(found.group(1)) if found else None


def walk(console: Console, path: str) -> tuple[list[str], int, int]:
    """Every page from ``path`` on: the people's ids in order, the pages, the largest page's bytes."""
    seen: list[str] = []
    pages = largest = 0
    url: str | None = path
    while url:
        page = console.get(url)
        assert page.status_code == 200, url
        pages += 1
        largest = max(largest, len(page.body))
        found = ids_on(page)
        assert len(found) <= 50
        seen += found
        url = next_link(page)
        assert pages <= 100
    return seen, pages, largest


def test_members_come_a_page_at_a_time_each_person_once(world: tuple[Stack, Console, list[SignupRecord]]) -> None:
    _, console, people = world
    seen, pages, largest = walk(console, f"/console/groups/{GROUP_ID}/members")
    assert sorted(seen) == sorted(p["id"] for p in people)  # current: members and people waiting
    assert len(seen) == len(set(seen)) and pages >= len(people) // 50
    assert largest < 60_000  # a page of 50, never the whole group (787 KB at 2,488 before)
    active, _, _ = walk(console, f"/console/groups/{GROUP_ID}/members?status=active")
    assert sorted(active) == sorted(p["id"] for p in people if p["status"] == "active")
    # A cursor is signed and holds for its own filter only.
    first = console.get(f"/console/groups/{GROUP_ID}/members?status=active")
    link = next_link(first)
    assert link and "cursor=" in link
    cursor = link.split("cursor=")[1]
    assert console.get(f"/console/groups/{GROUP_ID}/members?status=active&cursor={cursor}").status_code == 200
    assert console.get(f"/console/groups/{GROUP_ID}/members?status=all&cursor={cursor}").status_code == 400
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    assert console.get(f"/console/groups/{GROUP_ID}/members?status=active&cursor={tampered}").status_code == 400


def test_waiting_pages_and_approve_everyone(world: tuple[Stack, Console, list[SignupRecord]]) -> None:
    stack, console, people = world
    waiting = [p["id"] for p in people if p["status"] == "pending_approval"]
    seen, pages, _ = walk(console, f"/console/groups/{GROUP_ID}/waiting")
    # Waiting lists each person's page link once (after the name).
    assert sorted(seen) == sorted(waiting) and pages == 3
    page = console.get(f"/console/groups/{GROUP_ID}/waiting")
    assert "Approve everyone waiting (120)" in text_of(page)
    done = console.post(f"/console/groups/{GROUP_ID}/waiting", {"action": "approve_all"})
    assert done.status_code == 303 and "n=100" in done.headers["Location"]  # a hundred at a time
    again = console.post(f"/console/groups/{GROUP_ID}/waiting", {"action": "approve_all"})
    assert again.status_code == 303 and "n=20" in again.headers["Location"]
    assert all(stack.container.signups.get(GROUP_ID, i)["status"] == "active" for i in waiting)  # type: ignore[index]


def found(console: Console, q: str) -> list[str]:
    from urllib.parse import quote

    seen, _, _ = walk(console, f"/console/groups/{GROUP_ID}/members?q={quote(q)}")
    return seen


def test_search_by_name_in_any_order_with_or_without_accents_and_the_csv_follows(
    world: tuple[Stack, Console, list[SignupRecord]],
) -> None:
    stack, console, people = world
    by_name = {p["name"]: p["id"] for p in people}
    hits = found(console, "kowalski ann")
    expected = {p["id"] for p in people if p["name"].startswith("Ann Kowalski")}
    assert set(hits) == expected and len(expected) == 1 + MEMBERS // 64 + (1 if MEMBERS % 64 else 0)
    assert found(console, "Renee Cote-Levesque") == [by_name["Renée Côté-Lévesque"]]
    renees = set(found(console, "renee"))
    assert renees == {p["id"] for p in people if p["name"].startswith("Renée")}
    assert set(found(console, "LUKASIK zoe")) == {p["id"] for p in people if p["name"].startswith("Zoë Łukasik")}
    assert found(console, "person2001@example.org") == [by_name["Renée Côté-Lévesque"]]
    # One request reads a bounded part of the group (Queries, never a Scan) and says where to go on.
    calls: list[dict[str, Any]] = []
    client = stack.container.dynamodb
    real = client.query

    def counted(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        calls.append({"kwargs": kwargs, "scanned": answer.get("ScannedCount", 0)})
        return answer

    client.query = counted
    try:
        records, cursor = stack.container.signups.find(GROUP_ID, show="current", q="Ann Kowalski", cursor=None)
    finally:
        del client.query
    assert all("scan" not in str(c["kwargs"]).lower() for c in calls)
    assert sum(c["scanned"] for c in calls) <= 1000  # one request reads at most a thousand records
    assert cursor is not None  # and says where the next one goes on
    assert all("kowalski" in r["name"].lower() for r in records)
    # The CSV follows the filter on screen, and opens in Excel on Windows.
    csv = console.get(f"/console/groups/{GROUP_ID}/members.csv?status=pending_approval")
    body = csv.body.decode("utf-8")
    assert body.startswith("\ufeffid,name,email")  # a BOM: Excel on Windows reads it as UTF-8
    assert body.count("\r\n") == 1 + 120 and "Waiting Person 7" in body and "Ann Kowalski" not in body
    everyone = console.get(f"/console/groups/{GROUP_ID}/members.csv").body.decode("utf-8")
    assert everyone.count("\r\n") == 1 + len(people) and "Renée Côté-Lévesque" in everyone
    search = console.get(f"/console/groups/{GROUP_ID}/members.csv?q=renee+cote").body.decode("utf-8")
    assert search.count("\r\n") == 1 + len([p for p in people if p["name"].startswith("Renée Côté")])


def test_her_whole_address_finds_her_on_the_first_page(world: tuple[Stack, Console, list[SignupRecord]]) -> None:
    """ "Did Ann get the link?": Emily pastes Ann's address. With 2,000 members the first page said
    "Nobody found in this part of the list" and she had to press Next page until the part holding
    Ann came (a search reads a thousand records a page); her whole address is one read."""
    _, console, people = world
    renee = next(p for p in people if p["name"] == "Renée Côté-Lévesque")
    for typed in ("person2001@example.org", " Person2001@Example.ORG "):
        from urllib.parse import quote

        page = console.get(f"/console/groups/{GROUP_ID}/members?q={quote(typed)}")
        assert page.status_code == 200
        assert ids_on(page) == [renee["id"]] and next_link(page) is None, text_of(page)
    # Her status still filters: she is no one waiting for approval.
    waiting = walk(console, f"/console/groups/{GROUP_ID}/members?status=pending_approval&q=person2001%40example.org")
    assert waiting[0] == []
    # The start of a longer address that is itself an address still finds by part, as before.
    assert found(console, "person2001@example.or") == [renee["id"]]
