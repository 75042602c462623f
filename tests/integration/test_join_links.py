"""Personal join links (issue 14): the room from shortly before a meeting until its end, a
waiting page otherwise, the current room after a rotation with no email, and nothing for anyone
who left or was given a new link."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.signing import make_token
from chalicelib.signups.addresses import signup_id_for
from tests.support.builders import (
    GROUP_ID,
    MEETING_DAY,
    T_MINUS_1D,
    T_MINUS_30M,
    ZOOM_URL,
    add_members,
    as_json,
    group_body,
    outbox_messages,
    personal_link,
    send,
)
from tests.support.fakes import FakeSes
from tests.support.stacks import ROOT, Stack, make_client

NEW_ROOM = "https://example.zoom.us/j/55544433322?pwd=NewRoom"
BEFORE_WINDOW = T_MINUS_30M - timedelta(minutes=1)  # 3:29 PM MST: the room opens at 3:30 PM
IN_WINDOW = T_MINUS_30M + timedelta(minutes=1)


@pytest.fixture
def member(moto_stack: Stack) -> str:
    """An active member of the Connection Group who got the day-before reminder; their link's path."""
    c = moto_stack.container
    c.groups.create(group_body(zoom_meeting_id="987 6543 2100", zoom_dial_in=["+1 669 900 6833"]))
    add_members(c, 2, state="ID")
    moto_stack.clock.set(T_MINUS_1D)
    moto_stack.build(mailer=FakeSes()).distributor.run()
    return personal_link(moto_stack, "m0@example.org").replace("http://api.test", "")


def test_the_link_waits_then_opens_the_room(api: Any, moto_stack: Stack, member: str) -> None:
    moto_stack.clock.set(BEFORE_WINDOW)
    waiting = api.http.get(member)
    assert waiting.status_code == 200
    page = waiting.body.decode()
    # Idaho members who have not said which time they live on see both zones.
    assert "Tuesday, December 1, 2026 at 4:00 PM Mountain / 3:00 PM Pacific" in page
    assert "opens the meeting room at <strong>3:30 PM Mountain / 2:30 PM Pacific</strong>" in page
    assert f"{member}/meeting.ics" in page and "987 6543 2100" in page and "+1 669 900 6833" in page
    assert ZOOM_URL not in page and "SeCrEtLiNk" not in page
    assert waiting.headers["Cache-Control"] == "no-store" and waiting.headers["Referrer-Policy"] == "no-referrer"
    moto_stack.clock.set(IN_WINDOW)
    opened = api.http.get(member + "?next=https://evil.example.com")  # nothing of the request is reflected
    assert (opened.status_code, opened.headers["Location"]) == (303, ZOOM_URL)
    assert opened.headers["Cache-Control"] == "no-store" and opened.headers["Referrer-Policy"] == "no-referrer"
    moto_stack.clock.set(T_MINUS_30M + timedelta(minutes=125))  # the meeting ended at 5:30 PM
    after = api.http.get(member)
    assert after.status_code == 200 and "Tuesday, January 5, 2027" in after.body.decode()


def test_a_new_room_is_reached_through_the_same_link_with_no_email(
    api: Any, moto_stack: Stack, member: str, organizer_key: str
) -> None:
    version = as_json(send(api, "GET", f"/groups/{GROUP_ID}/settings", None, organizer_key))["version"]
    assert (
        send(
            api, "PATCH", f"/groups/{GROUP_ID}/settings", {"version": version, "zoom_url": NEW_ROOM}, organizer_key
        ).status_code
        == 200
    )
    ses = FakeSes()
    moto_stack.clock.set(IN_WINDOW)
    assert moto_stack.build(mailer=ses).distributor.run().sent == 2  # the hour-before reminders, nothing else
    assert all(m.tags["kind"] == "reminder" for m in ses.accepted)
    assert api.http.get(member).headers["Location"] == NEW_ROOM
    calendar = api.http.get(f"{member}/meeting.ics").body.decode()
    assert f"URL:http://api.test{member}" in calendar.replace("\r\n ", "")  # old calendar entries keep working


def test_a_cancelled_meeting_says_so(api: Any, moto_stack: Stack, member: str, organizer_key: str) -> None:
    send(api, "PUT", f"/groups/{GROUP_ID}/meetings/{MEETING_DAY}", {"status": "cancelled"}, organizer_key)
    moto_stack.clock.set(IN_WINDOW)
    page = api.http.get(member)
    assert page.status_code == 200
    assert "The meeting on Tuesday, December 1, 2026 at 4:00 PM Mountain / 3:00 PM Pacific" in page.body.decode()
    assert "is cancelled" in page.body.decode() and "Location" not in page.headers


def test_a_moved_meeting_says_so(api: Any, moto_stack: Stack, member: str, organizer_key: str) -> None:
    moved = {"starts_at": "2026-12-01T17:00:00-07:00"}
    assert send(api, "PUT", f"/groups/{GROUP_ID}/meetings/{MEETING_DAY}", moved, organizer_key).status_code == 200
    page = api.http.get(member).body.decode()
    assert "5:00 PM Mountain / 4:00 PM Pacific</strong> (moved from its usual" in page
    assert "After that: <strong>" in page and "The next one" not in page


def test_links_stop_when_members_leave_or_get_a_new_one(
    api: Any, moto_stack: Stack, member: str, organizer_key: str
) -> None:
    moto_stack.clock.set(IN_WINDOW)
    unknown = api.http.get("/j/" + "x" * 27)
    other = personal_link(moto_stack, "m1@example.org").replace("http://api.test", "")
    assert api.http.get(other).status_code == 303
    # An organizer replaces m0's link: the old one stops at once, m0 gets the new one by email.
    sid = signup_id_for(GROUP_ID, "m0@example.org")
    assert send(api, "POST", f"/groups/{GROUP_ID}/signups/{sid}/join-link", None, organizer_key).status_code == 200
    revoked = api.http.get(member)
    assert (revoked.status_code, revoked.body) == (unknown.status_code, unknown.body) == (404, revoked.body)
    [mail] = outbox_messages(moto_stack.outbox)
    new = personal_link(moto_stack, "m0@example.org")
    assert (
        mail["Subject"] == "Your new link to the MBC Connection Group"
        and new in mail.get_body(("plain",)).get_content()
    )
    assert api.http.get(new.replace("http://api.test", "")).status_code == 303
    assert api.http.get(other).status_code == 303  # the others keep working
    # Even if the old link's row came back (a run that planned before the replacement writes it with
    # its claim), the old link stays dead: it names the member's previous link revision.
    from chalicelib.joinlinks.tokens import token_hash

    old_row = {"group_id": GROUP_ID, "signup_id": sid, "gen": "1", "link_rev": 0}
    repo = moto_stack.container.join_link_items
    moto_stack.client.put_item(**repo.new_link_item(token_hash(member.rsplit("/", 1)[1]), old_row)["Put"])  # type: ignore[arg-type]
    assert api.http.get(member).status_code == 404
    # m1 leaves: their forwarded email's link stops working.
    token = make_token("unsubscribe", {"g": GROUP_ID, "s": signup_id_for(GROUP_ID, "m1@example.org"), "n": "1"})
    assert api.http.post(f"/signups/unsubscribe?token={token}").status_code == 200
    gone = api.http.get(other)
    assert (gone.status_code, gone.body) == (404, unknown.body)
    assert ZOOM_URL.encode() not in gone.body


def test_erasure_and_bounces_stop_the_link(api: Any, moto_stack: Stack, member: str) -> None:
    moto_stack.clock.set(IN_WINDOW)
    other = personal_link(moto_stack, "m1@example.org").replace("http://api.test", "")
    moto_stack.container.signups.suppress_address("m1@example.org", reason="bounce")
    assert api.http.get(other).status_code == 404
    assert moto_stack.container.signups.erase(GROUP_ID, signup_id_for(GROUP_ID, "m0@example.org"))
    assert api.http.get(member).status_code == 404


def test_opening_is_recorded_once_per_meeting_and_shown_to_organizers(
    api: Any, moto_stack: Stack, member: str, organizer_key: str
) -> None:
    moto_stack.clock.set(IN_WINDOW)
    for _ in range(3):
        api.http.get(member)
    report = as_json(send(api, "GET", f"/groups/{GROUP_ID}/meetings/{MEETING_DAY}/deliveries", None, organizer_key))
    assert report["opened"] == 1
    by_email = {m["email"]: m for m in report["members"]}
    assert by_email["m0@example.org"]["opened_at"] == IN_WINDOW.isoformat()
    assert by_email["m1@example.org"]["opened_at"] is None
    assert all(d["reminder"] != "opened" for d in report["deliveries"])  # not a message
    rows = moto_stack.container.ledger.rows(GROUP_ID, MEETING_DAY)
    [opened] = [r for r in rows if r["kind"] == "opened"]
    assert set(opened) <= {"signup_id", "kind", "status", "opened_at", "expires_at"}  # no address, no device


def test_rate_limits_per_link_and_per_address(api: Any, moto_stack: Stack, member: str) -> None:
    moto_stack.clock.set(IN_WINDOW)
    answers = [api.http.get(member).status_code for _ in range(21)]
    assert answers[:20] == [303] * 20 and answers[20] == 429
    moto_stack.clock.advance(minutes=1)
    assert api.http.get(member).status_code == 303  # the next minute
    guesses = [api.http.get("/j/" + f"{n:027d}").status_code for n in range(21)]
    assert guesses[:20] == [404] * 20 and guesses[20] == 429


def test_the_click_path_is_two_reads_and_two_writes(moto_stack: Stack, member: str) -> None:
    calls: list[str] = []
    moto_stack.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    moto_stack.clock.set(IN_WINDOW)
    with make_client(moto_stack) as api:
        calls.clear()
        api._client.http.get(member)  # no drain: the request's own calls only
    assert calls == ["GetItem", "BatchGetItem", "UpdateItem", "PutItem"]  # link; member + window; rate; opened


def test_the_click_path_imports_nothing_heavy(moto_stack: Stack) -> None:
    """A fresh process serving /j/<token>: no Jinja2, dateutil, icalendar or pydantic on the way to the room."""
    probe = (
        "import sys, json\n"
        "from chalicelib.joinlinks import click, routes\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not loaded & {"jinja2", "dateutil", "icalendar", "pydantic", "email_validator", "boto3"}
