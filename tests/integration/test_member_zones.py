"""A member's own zone (issue 21 item 1): said at signup (JSON and form, optional), changed on her
join page, stored on her signup record; the distribution's subjects and lines per zone; a zone
changed between two runs never sends a message twice (the ledger is per meeting, member and
message), and her links keep working."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import container
from chalicelib.signups.addresses import signup_id_for
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.storage import SignupRepository
from tests.support.builders import (
    GROUP_ID,
    T_MINUS_1D,
    T_MINUS_30M,
    add_members,
    as_json,
    distributor,
    group_body,
    ledger,
    link_in,
    outbox_messages,
    personal_link,
    plain_text,
    run_at,
    send,
    signup_body,
)
from tests.support.console import Console, text_of
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

SIGNUPS = f"/groups/{GROUP_ID}/signups"
PACIFIC, MOUNTAIN = "America/Los_Angeles", "America/Denver"


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return container.current().groups.create(group_body(requires_approval=False))


def record_of(stack: Stack, email: str) -> SignupRecord:
    found = stack.container.signups.get(GROUP_ID, signup_id_for(GROUP_ID, email))
    assert found is not None
    return found


def form_post(api: Any, path: str, fields: dict[str, str]) -> Any:
    return api.http.post(
        path, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=urlencode(fields).encode()
    )


# ---------------------------------------------------------------- at signup


def test_a_json_signup_with_her_zone_keeps_it_and_the_confirmation_says_it(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    body = signup_body(name="Ann Kowalski", email="ann@example.org", state="ID", timezone=PACIFIC)
    assert send(api, "POST", SIGNUPS, body).status_code == 202
    assert record_of(moto_stack, "ann@example.org")["timezone"] == PACIFIC
    [confirmation] = outbox_messages(moto_stack.outbox)
    text = plain_text(confirmation)
    assert "Meeting times in our emails will be in Pacific time, as you chose." in text
    assert "usually meets: First Tuesday of every month, 3:00 PM Pacific." in text
    # Confirmed: the welcome and its calendar speak Pacific time.
    confirm = link_in(confirmation, "/signups/confirm")
    assert form_post(api, confirm, {"confirmed": "yes"}).status_code == 200
    welcome = outbox_messages(moto_stack.outbox)[-1]
    assert "Next meeting: Tuesday, December 1, 2026 at 3:00 PM Pacific." in plain_text(welcome)
    [ics] = [p.get_content() for p in welcome.walk() if p.get_content_type() == "text/calendar"]
    assert "DTSTART;TZID=America/Los_Angeles:" in ics and "TZID=America/Denver" not in ics
    listed = as_json(send(api, "GET", SIGNUPS, None, _key(moto_stack)))["signups"]
    assert [(s["state"], s["timezone"]) for s in listed] == [("ID", PACIFIC)]


def test_without_a_zone_montana_is_mountain_and_idaho_is_told_both(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    assert send(api, "POST", SIGNUPS, signup_body(email="mt@example.org", state="MT")).status_code == 202
    assert form_post(api, SIGNUPS, {**_form("id@example.org", "ID"), "timezone": ""}).status_code in (202, 303)
    assert "timezone" not in record_of(moto_stack, "mt@example.org")
    assert "timezone" not in record_of(moto_stack, "id@example.org")  # "not sure" stores nothing
    mails = {m["To"]: plain_text(m) for m in outbox_messages(moto_stack.outbox)}
    assert "Meeting times in our emails will be in Mountain time." in mails["mt@example.org"]
    assert "4:00 PM Mountain." in mails["mt@example.org"]
    assert "will be in both Mountain and Pacific time" in mails["id@example.org"]
    assert "4:00 PM Mountain / 3:00 PM Pacific." in mails["id@example.org"]


def test_a_zone_it_does_not_offer_is_refused_by_name_and_nothing_is_sent(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    for bad in ("Europe/Paris", "MT", 7, "pacific"):
        response = send(api, "POST", SIGNUPS, signup_body(timezone=bad))
        assert response.status_code == 400
        assert as_json(response)["error"]["fields"] == {"timezone": "Please choose Mountain time or Pacific time."}
    assert outbox_messages(moto_stack.outbox) == []
    assert container.current().signups.list_page(GROUP_ID, {})["signups"] == []


def test_the_form_offers_one_choice_per_real_zone(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    page = api.http.get(f"/embed/{GROUP_ID}").body.decode()
    assert page.count('name="timezone"') == 3
    assert "Mountain time (Montana, Boise and south Idaho)" in page
    assert "Pacific time (north Idaho: Coeur d&#39;Alene, Sandpoint, Moscow, Lewiston)" in page
    assert 'value="" checked' in page  # "Not sure" until she chooses
    # The public schedule line and next meeting give both zones (the reader is nobody yet).
    assert "First Tuesday of every month, 4:00 PM Mountain / 3:00 PM Pacific." in page
    assert "Next meeting: Tuesday, December 1, 2026 at 4:00 PM Mountain / 3:00 PM Pacific." in page
    assert " MT" not in page.replace('value="MT"', "")


# ---------------------------------------------------------------- the distribution, per zone


def test_each_member_is_reminded_in_her_own_zone(moto_stack: Stack, group: dict[str, Any]) -> None:
    c = moto_stack.container
    [montana] = add_members(c, 1, prefix="mt", state="MT")
    [north, unsure] = add_members(c, 2, prefix="id", state="ID")
    c.member_zones.set_zone(GROUP_ID, north["id"], "America/Los_Angeles")
    ses = FakeSes()
    assert run_at(moto_stack, distributor(moto_stack, ses), T_MINUS_1D).sent == 3
    by = {m.to: m for m in ses.accepted}
    assert by[montana["email"]].subject == "Tomorrow 4:00 PM Mountain · MBC Connection Group"
    assert by[north["email"]].subject == "Tomorrow 3:00 PM Pacific · MBC Connection Group"
    assert by[unsure["email"]].subject == "Tomorrow 4:00 PM Mountain / 3:00 PM Pacific · MBC Connection Group"
    assert "The MBC Connection Group meets tomorrow at 3:00 PM Pacific." in by[north["email"]].text
    assert "Tuesday, December 1, 2026 at 3:00 PM Pacific\n" in by[north["email"]].text
    assert "meets tomorrow at 4:00 PM Mountain." in by[montana["email"]].text
    assert "meets tomorrow at 4:00 PM Mountain / 3:00 PM Pacific." in by[unsure["email"]].text
    for mail in ses.accepted:
        assert len(mail.subject) <= 78
    [ics] = [a.content.decode() for a in by[north["email"]].attachments]
    assert "DTSTART;TZID=America/Los_Angeles:20261201T150000" in ics


def test_a_zone_changed_between_runs_sends_nothing_twice(moto_stack: Stack, group: dict[str, Any]) -> None:
    c = moto_stack.container
    [ann] = add_members(c, 1, prefix="ann", state="ID")
    before = record_of(moto_stack, ann["email"])
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 1
    c.member_zones.set_zone(GROUP_ID, ann["id"], "America/Los_Angeles")
    after = record_of(moto_stack, ann["email"])
    assert (after["gen"], after.get("link_rev", 0)) == (before["gen"], before.get("link_rev", 0))
    assert after["version"] == before["version"] + 1
    # The same run again, and a quarter-hour later: the day-before reminder went out once.
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 0
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15)).sent == 0
    assert [r["kind"] for r in ledger(moto_stack)] == ["r1440"]
    # The next reminder is hers, in her new zone.
    assert run_at(moto_stack, run, T_MINUS_30M).sent == 1
    assert [m.subject for m in ses.accepted] == [
        "Tomorrow 4:00 PM Mountain / 3:00 PM Pacific · MBC Connection Group",
        "In 30 minutes · 3:00 PM Pacific · MBC Connection Group",
    ]


# ---------------------------------------------------------------- her join page


def test_she_changes_her_zone_on_her_join_page(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    c = moto_stack.container
    [ann] = add_members(c, 1, prefix="ann", state="ID")
    run_at(moto_stack, distributor(moto_stack, FakeSes()), T_MINUS_1D)  # her link works from her first email
    link = personal_link(moto_stack, ann["email"]).replace("http://api.test", "")
    page = api.http.get(link).body.decode()
    assert "Times on this page and in our emails are in Mountain and Pacific time." in page
    assert "opens the meeting room at <strong>3:30 PM Mountain / 2:30 PM Pacific</strong>" in page
    assert f'action="http://api.test{link}/zone"' in page
    assert page.count('type="radio" name="timezone"') == 3 and "Not sure: show me both" in page

    saved = form_post(api, f"{link}/zone", {"timezone": PACIFIC})
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"http://api.test{link}?zone=saved#your-time"
    assert saved.headers["Cache-Control"] == "no-store" and saved.headers["Referrer-Policy"] == "no-referrer"
    assert record_of(moto_stack, ann["email"])["timezone"] == PACIFIC
    page = api.http.get(f"{link}?zone=saved").body.decode()
    assert "Saved. Times on this page and in our emails are in Pacific time." in page
    assert "Next meeting: <strong>Tuesday, December 1, 2026 at 3:00 PM Pacific</strong>" in page
    assert "opens the meeting room at <strong>2:30 PM Pacific</strong>" in page
    assert f'value="{PACIFIC}" checked' in page
    # Her calendar from the page speaks it too; and "not sure" takes it back to her state's.
    assert "DTSTART;TZID=America/Los_Angeles:" in api.http.get(f"{link}/meeting.ics").body.decode()
    assert form_post(api, f"{link}/zone", {"timezone": ""}).status_code == 303
    assert "timezone" not in record_of(moto_stack, ann["email"])
    assert outbox_messages(moto_stack.outbox) == []  # saying her zone sends nothing


def test_the_zone_form_refuses_what_it_does_not_offer_and_unknown_links(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    c = moto_stack.container
    [ann] = add_members(c, 1, prefix="ann", state="ID")
    run_at(moto_stack, distributor(moto_stack, FakeSes()), T_MINUS_1D)  # her link works from her first email
    link = personal_link(moto_stack, ann["email"]).replace("http://api.test", "")
    refused = form_post(api, f"{link}/zone", {"timezone": "Europe/Paris"})
    assert refused.status_code == 400
    assert "Please choose Mountain time or Pacific time." in refused.body.decode()
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "timezone" not in record_of(moto_stack, ann["email"])
    unknown = form_post(api, "/j/" + "A" * 43 + "/zone", {"timezone": PACIFIC})
    assert unknown.status_code == 404 and "does not lead to a meeting room" in unknown.body.decode()
    # A link replaced by an organizer no longer changes anything.
    c.join_links.replace_link(GROUP_ID, ann["id"], organizer_id="org_1")
    assert form_post(api, f"{link}/zone", {"timezone": PACIFIC}).status_code == 404
    assert "timezone" not in record_of(moto_stack, ann["email"])


def _form(email: str, state: str) -> dict[str, str]:
    return {"name": "Someone", "email": email, "state": state, "consent": "on"}


def _key(stack: Stack) -> str:
    _, key = stack.container.organizers.create(name="Org", email="org@example.org")
    return key


# ---------------------------------------------------------------- the console


def _console(stack: Stack, client: Any) -> Console:
    stack.container.organizers.create(name="Cora", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    console = Console(client)
    console.sign_in(stack, "cora@example.org")
    return console


def test_an_organizer_changes_a_members_zone(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    c = moto_stack.container
    [ann] = add_members(c, 1, prefix="ann", state="ID")
    console = _console(moto_stack, api)
    members = text_of(console.get(f"/console/groups/{GROUP_ID}/members"))
    assert "Both (not said)" in members
    path = f"/console/groups/{GROUP_ID}/members/{ann['id']}/zone"
    page = console.get(path)
    assert page.status_code == 200
    words = text_of(page)
    assert "gets meeting times in Mountain and Pacific time (from the state: not said yet)" in words
    version = str(record_of(moto_stack, ann["email"])["version"])
    refused = console.post(path, {"timezone": "Europe/Paris", "version": version})
    assert refused.status_code == 400 and "Please choose Mountain time or Pacific time." in text_of(refused)
    saved = console.post(path, {"timezone": PACIFIC, "version": version})
    assert saved.status_code == 303
    assert record_of(moto_stack, ann["email"])["timezone"] == PACIFIC
    assert "Pacific" in text_of(console.get(f"/console/groups/{GROUP_ID}/members"))
    # The page read before the change is out of date: refused, not overwritten.
    stale = console.post(path, {"timezone": MOUNTAIN, "version": version})
    assert stale.status_code == 409 and record_of(moto_stack, ann["email"])["timezone"] == PACIFIC
    activity = text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert f"Changed the time {ann['name']} lives on" in activity
    assert all("sign-in" in m["Subject"] for m in outbox_messages(moto_stack.outbox))  # nothing sent to her
    # Nobody outside the group's organizers can: another group's page is refused.
    assert console.get(f"/console/groups/other/members/{ann['id']}/zone").status_code in (403, 404)


def test_group_settings_offer_one_label_per_real_zone(api: Any, moto_stack: Stack, group: dict[str, Any]) -> None:
    console = _console(moto_stack, api)
    page = console.get(f"/console/groups/{GROUP_ID}/settings").body.decode()
    options = re.findall(r'<option value="(America/[^"]+)"( selected)?>([^<]+)</option>', page)
    assert [(value, label) for value, _, label in options] == [
        (MOUNTAIN, "Mountain time (Montana, Boise and south Idaho)"),
        (PACIFIC, "Pacific time (north Idaho: Coeur d&#39;Alene, Sandpoint, Moscow, Lewiston)"),
    ]
    assert [value for value, selected, _ in options if selected] == [MOUNTAIN]
    # A group set to Boise's zone (the same Mountain time) shows as the Mountain choice; one set to
    # another zone through the API keeps it as an option, so saving the form never changes it unasked.
    c = moto_stack.container
    for stored, shown in (("America/Boise", MOUNTAIN), ("America/Chicago", "America/Chicago")):
        current = c.groups.get(GROUP_ID)
        c.groups.update(
            GROUP_ID,
            {"version": current["version"], "schedule": {**current["schedule"], "timezone": stored}},
            if_match=None,
        )
        page = console.get(f"/console/groups/{GROUP_ID}/settings").body.decode()
        assert re.search(rf'<option value="{shown}" selected>', page), stored
    assert "Central time (as set)" in page


def test_a_record_changed_between_read_and_write(moto_stack: Stack, group: dict[str, Any]) -> None:
    """Her own choice is applied to the record as it now stands; an organizer's page that read an
    older version is refused, never written over."""
    from chalicelib.errors import StaleVersion
    from chalicelib.signups.zone import MemberZones

    c = moto_stack.container
    [ann] = add_members(c, 1, prefix="ann", state="ID")
    other = MemberZones(repo=c.signups.repo, clock=moto_stack.clock)

    class Racing(SignupRepository):
        """Someone else's write lands between this repository's read and its write, once."""

        raced = False

        def get(self, group_id: str, signup_id: str) -> SignupRecord | None:
            found = super().get(group_id, signup_id)
            if not self.raced:
                self.raced = True
                other.set_zone(group_id, signup_id, MOUNTAIN)
            return found

    repo = Racing(c.signups.repo.client, c.signups.repo.table)
    racing = MemberZones(repo=repo, clock=moto_stack.clock)
    start = record_of(moto_stack, ann["email"])["version"]
    racing.set_zone(GROUP_ID, ann["id"], PACIFIC, gen=ann["gen"])
    now = record_of(moto_stack, ann["email"])
    assert (now["timezone"], now["version"]) == (PACIFIC, start + 2)
    repo.raced = False
    with pytest.raises(StaleVersion):
        racing.set_zone(GROUP_ID, ann["id"], PACIFIC, version=now["version"])
    assert record_of(moto_stack, ann["email"])["timezone"] == MOUNTAIN  # the other write stands
