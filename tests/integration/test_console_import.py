"""The console's "Import a list" as Emily uses it (issue 21 item 0): her spreadsheet as Excel or
Google Sheets saved it, people already in the group, the members-or-invite choice, the progress
and the result naming who was skipped and why."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest

from tests.support.builders import GROUP_ID, add_members, make_group, outbox_messages, plain_text
from tests.support.console import Console, text_of
from tests.support.stacks import Stack, make_client

IMPORT = f"/console/groups/{GROUP_ID}/members/import"


@pytest.fixture
def world(moto_stack: Stack) -> Iterator[tuple[Stack, Any]]:
    make_group(moto_stack.container)
    moto_stack.container.organizers.create(
        name="Emily Coordinator", email="emily@example.org", role="organizer", groups=[GROUP_ID]
    )
    with make_client(moto_stack) as client:
        yield moto_stack, client


def signed_in(world: tuple[Stack, Any]) -> Console:
    stack, client = world
    console = Console(client)
    console.sign_in(stack, "emily@example.org")
    return console


def upload(console: Console, data: bytes, *, default_state: str = "") -> Any:
    """The import form as a browser posts it (multipart, the file as its bytes)."""
    csrf = console.csrf(IMPORT)
    boundary = "----mbc-import-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="default_state"\r\n\r\n{default_state}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="csv"\r\n\r\n\r\n'.encode(),
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="members.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return console.client.http.post(
        IMPORT,
        headers=console.headers(**{"Content-Type": f"multipart/form-data; boundary={boundary}"}),
        body=b"".join(parts),
    )


def member_mail(stack: Stack) -> list[Any]:
    """Emails to anyone but the organizer (her sign-in link)."""
    return [m for m in outbox_messages(stack.outbox) if m["To"] != "emily@example.org"]


def job_page(response: Any) -> str:
    assert response.status_code == 303, response.body
    return str(response.headers["Location"]).split("?")[0]


def go_ahead(console: Console, path: str, **choices: str) -> Any:
    page = console.get(path).body.decode()
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version, "no go-ahead form on the page"
    fields = {"mode": "members", "basis": "asked_coordinator", "basis_on": "2023-05-01", "consent": "yes"}
    return console.post(path, {**fields, **choices, "version": version.group(1), "action": "commit"})


def finish(stack: Stack, console: Console, path: str) -> str:
    for _ in range(50):
        words = text_of(console.get(path))
        if "The list is added" in words:
            return unescape(words)
        stack.drain()
    raise AssertionError("the import did not finish")


def test_an_import_including_people_already_in_the_group_adds_the_others_and_names_who_was_skipped(
    world: tuple[Stack, Any],
) -> None:
    """It used to answer a 500 (as raw JSON) after adding the others and sending their emails,
    without saying who was skipped; the preview's count was wrong too."""
    stack, _ = world
    add_members(stack.container, emails=["kim@example.org"])
    console = signed_in(world)
    data = (
        "First Name,Last Name,E-mail Address,State/Province\r\n"
        "Kim,Member,kim@example.org,MT\r\n"
        "Ann,Kowalski,ann@example.org,ID (north)\r\n"
        "Bea,Berg,bea@example.org,Mont.\r\n"
        "Cy,Nowhere,not-an-address,ID\r\n"
    ).encode("cp1252")
    path = job_page(upload(console, data))
    preview = text_of(console.get(path))
    assert "2 of 4 people are ready to add. 1 row has a problem and 1 is already in the group" in preview
    assert "Row 2: Kim Member" in preview and "Already a member." in preview
    assert "Row 5: Cy Nowhere" in preview and "Must be a valid email address" in preview
    assert "Add 2 people" in preview
    assert member_mail(stack) == []  # checking sends nothing
    started = go_ahead(console, path)
    assert started.status_code == 303
    result = finish(stack, console, path)
    assert "2 people added. 2 skipped (listed below, with why)." in result
    assert "Row 2: Kim Member kim@example.org Already a member." in result
    records = {r["email"]: r for r in stack.container.signups.members(GROUP_ID)}
    assert records["ann@example.org"]["status"] == records["bea@example.org"]["status"] == "active"
    assert records["ann@example.org"]["timezone"] == "America/Los_Angeles"  # "ID (north)": her own time
    assert "timezone" not in records["bea@example.org"]  # Montana: Mountain time, from her state
    assert "cy" not in " ".join(records)
    sent = [m["To"] for m in member_mail(stack)]
    assert sorted(sent) == ["ann@example.org", "bea@example.org"]
    activity = text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert (
        "Started adding 2 people from a list as members (they asked the coordinator to join, since 2023-05-01)"
        in activity
    )


def test_the_choices_are_checked_and_a_refused_go_ahead_writes_and_sends_nothing(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    path = job_page(upload(console, b"Name,Email,State\nAnn,ann@example.org,Idaho\n"))
    refused = go_ahead(console, path, basis_on="2099-01-01", consent="")
    assert refused.status_code == 400
    words = text_of(refused)
    assert "Please give a date that has passed." in words and "Add only people who asked to join" in words
    stack.drain()
    assert list(stack.container.signups.members(GROUP_ID)) == [] and member_mail(stack) == []
    assert go_ahead(console, path).status_code == 303
    again = console.post(path, {"mode": "members", "version": "1", "action": "commit", "consent": "yes",
                                "basis": "asked_coordinator", "basis_on": "2023-05-01"})  # fmt: skip
    assert again.status_code == 400 and "already added" in text_of(again)


def test_invite_keeps_double_opt_in_for_people_who_have_not_asked(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    path = job_page(upload(console, b"Name\tEmail\nAnn\tann@example.org\n", default_state="MT"))
    assert go_ahead(console, path, mode="invite", basis_on="").status_code == 303
    result = finish(stack, console, path)
    assert "1 person added and invited to confirm." in result
    [mail] = member_mail(stack)
    assert "/signups/confirm?token=" in plain_text(mail)
    [record] = stack.container.signups.members(GROUP_ID)
    assert (record["status"], record["state"]) == ("pending_confirmation", "MT")


def test_a_list_of_thousands_shows_the_add_button_before_the_rows(world: tuple[Stack, Any]) -> None:
    _, _ = world
    console = signed_in(world)
    rows = "".join(f"Person {i},p{i}@example.org,{'ID' if i % 3 else 'Montana'}\n" for i in range(2500))
    path = job_page(upload(console, ("Name,Email,State\n,broken,MT\n" + rows).encode()))
    body = console.get(path).body.decode()
    button, details = body.index("Add 2500 people"), body.index("<details")
    assert button < details  # the summary and the button first; the rows collapsed below
    assert body.count("<li>") <= 110 and "and 2400 more" in unescape(body)
    assert body.index("Row 2") < body.index("Row 3:")  # the refused row is listed first


def test_forgetting_a_checked_list(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    path = job_page(upload(console, b"Name,Email,State\nAnn,ann@example.org,ID\n"))
    gone = console.post(path, {"action": "forget"})
    assert gone.status_code == 303 and "import_forgotten" in gone.headers["Location"]
    assert console.get(path).status_code == 404
    assert stack.container.imports.jobs(GROUP_ID) == []
