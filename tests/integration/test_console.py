"""The organizer console through chalice.test (moto): sign-in from the emailed link, sessions and
their cookie, CSRF, group scopes on pages and the API, and each page's actions as a volunteer
would use them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.builders import (
    GROUP_ID,
    add_members,
    as_json,
    make_group,
    outbox_messages,
    plain_text,
    send,
)
from tests.support.console import FORM, Console, cookie_of, sign_in_link, text_of
from tests.support.stacks import Stack, make_client

OTHER = "other-group"


@pytest.fixture
def world(moto_stack: Stack) -> Iterator[tuple[Stack, Any]]:
    c = moto_stack.container
    make_group(c)
    make_group(c, id=OTHER, name="Other Group")
    c.organizers.create(name="Ada Admin", email="ada@example.org", role="admin")
    c.organizers.create(name="Cora Coordinator", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    with make_client(moto_stack) as client:
        yield moto_stack, client


def signed_in(world: tuple[Stack, Any], email: str = "cora@example.org") -> Console:
    stack, client = world
    console = Console(client)
    console.sign_in(stack, email)
    return console


def mails_to(stack: Stack, address: str) -> list[Any]:
    return [m for m in outbox_messages(stack.outbox) if m["To"] == address]


# ---------------------------------------------------------------- sign-in, sessions, cookies


def test_sign_in_from_the_emailed_link_sets_a_strict_session_cookie(world: tuple[Stack, Any]) -> None:
    stack, client = world
    assert client.http.get("/console").status_code == 303  # not signed in: to the sign-in page
    answer = client.http.post("/console/sign-in", headers=FORM, body=b"email=Cora%40example.org")
    assert "If Cora@example.org belongs to an organizer, a sign-in link is on its way" in text_of(answer)
    link = sign_in_link(stack, "cora@example.org")
    page = client.http.get(link)
    assert page.status_code == 200 and "Press the button to sign in" in text_of(page)
    assert cookie_of(page) is None  # a GET (a mail scanner's prefetch) starts nothing
    done = client.http.post(link, headers=FORM, body=b"")
    assert done.status_code == 303 and done.headers["Location"] == "/console"
    set_cookie = done.headers["Set-Cookie"]
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/console"} <= {p.strip() for p in set_cookie.split(";")}
    home = Console(client, cookie_of(done)).get("/console")
    assert home.status_code == 200
    assert "MBC Connection Group" in text_of(home) and "Other Group" not in text_of(home)
    csp = home.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "<script" not in home.body.decode() and "style=" not in home.body.decode()


def test_every_address_gets_the_same_answer_and_only_organizers_get_a_link(world: tuple[Stack, Any]) -> None:
    stack, client = world
    answers = []
    for email in ("cora@example.org", "stranger@example.org"):
        response = client.http.post("/console/sign-in", headers=FORM, body=urlencode({"email": email}).encode())
        answers.append((response.status_code, text_of(response).replace(email, "ADDRESS")))
    assert answers[0] == answers[1]
    assert len(mails_to(stack, "cora@example.org")) == 1
    assert mails_to(stack, "stranger@example.org") == []


class CountingClient:
    """The DynamoDB client, counting each call by operation (the storage work of a request)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr) or name.startswith("_") or name in ("exceptions", "meta", "get_waiter"):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attr(*args, **kwargs)

        return counted


def test_the_sign_in_request_does_the_same_storage_work_for_every_address(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    works = {}
    for email in ("cora@example.org", "stranger@example.org", "revoked@example.org"):
        counting = CountingClient(stack.client)
        c = stack.build(dynamodb=counting)
        c.console.request_sign_in(email, source_ip="203.0.113.9")
        works[email] = counting.calls
    assert works["cora@example.org"] == works["stranger@example.org"] == works["revoked@example.org"]
    assert works["cora@example.org"] == ["update_item", "update_item", "update_item", "put_item"]


def test_a_used_or_expired_link_is_refused(world: tuple[Stack, Any]) -> None:
    stack, client = world
    Console(client).sign_in(stack, "cora@example.org")
    link = sign_in_link(stack, "cora@example.org")
    again = client.http.post(link, headers=FORM, body=b"")
    assert again.status_code == 400 and cookie_of(again) is None
    assert "already been used or has expired" in text_of(client.http.get(link))
    client.http.post("/console/sign-in", headers=FORM, body=b"email=cora%40example.org")
    fresh = sign_in_link(stack, "cora@example.org")
    stack.clock.advance(minutes=16)
    late = client.http.post(fresh, headers=FORM, body=b"")
    assert late.status_code == 400 and cookie_of(late) is None
    forged = client.http.post("/console/sign-in/link?token=" + "A" * 43, headers=FORM, body=b"")
    assert forged.status_code == 400


def test_session_fixation_is_impossible(world: tuple[Stack, Any]) -> None:
    stack, client = world
    planted = "attacker-chosen-session-id"
    attacker = Console(client, planted)
    assert attacker.get("/console").status_code == 303
    client.http.post("/console/sign-in", headers=FORM, body=b"email=cora%40example.org")
    done = client.http.post(
        sign_in_link(stack, "cora@example.org"), headers={**FORM, "Cookie": f"mbc_console={planted}"}, body=b""
    )
    issued = cookie_of(done)
    assert issued and issued != planted
    assert attacker.get("/console").status_code == 303  # the planted id never became a session
    assert Console(client, issued).get("/console").status_code == 200


def test_sessions_end_when_idle_signed_out_or_the_organizer_is_removed(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    now = stack.clock.now()
    console = signed_in(world)
    stack.clock.set(now + timedelta(hours=13))
    assert console.get("/console").status_code == 303  # idle too long
    stack.clock.set(now)
    console = signed_in(world)
    other_device = signed_in(world)
    console.post("/console/sign-out-everywhere", {})
    assert console.get("/console").status_code == 303
    assert other_device.get("/console").status_code == 303
    stack.clock.set(now + timedelta(seconds=5))
    console = signed_in(world)
    signed_out = console.post("/console/sign-out", {})
    assert "Max-Age=0" in signed_out.headers["Set-Cookie"]
    assert console.get("/console").status_code == 303
    console = signed_in(world)
    org = stack.container.organizers.by_email("cora@example.org")
    assert org is not None
    stack.container.organizers.revoke(org["id"])
    assert console.get("/console").status_code == 303


def test_a_form_without_the_right_csrf_token_changes_nothing(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    [person] = add_members(stack.container, emails=["wait@example.org"], status="pending_approval")
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/waiting"
    for token in (None, "wrong-token"):
        refused = console.post(path, [("person", person["id"]), ("action", "approve")], csrf=token)
        assert refused.status_code == 403
        assert stack.container.signups.get(GROUP_ID, person["id"])["status"] == "pending_approval"  # type: ignore[index]
    cross_site = console.client.http.post(
        path,
        headers=console.headers(**FORM, Origin="https://evil.example", Host="127.0.0.1:8000"),
        body=urlencode({"person": person["id"], "action": "approve", "csrf": console.csrf()}).encode(),
    )
    assert cross_site.status_code == 403
    assert stack.container.signups.get(GROUP_ID, person["id"])["status"] == "pending_approval"  # type: ignore[index]


# ---------------------------------------------------------------- scopes


def test_a_session_of_group_a_can_neither_see_nor_change_group_b(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    for page in ("waiting", "members", "members.csv", "settings", "meetings", "activity", "members/add"):
        assert console.get(f"/console/groups/{OTHER}/{page}").status_code == 403, page
        assert console.get(f"/console/groups/no-such-group/{page}").status_code == 403, page  # no existence leak
    before = stack.container.groups.get(OTHER)
    changed = console.post(f"/console/groups/{OTHER}/settings", {"action": "save", "name": "Mine now", "version": "1"})
    assert changed.status_code == 403
    assert stack.container.groups.get(OTHER) == before
    assert console.get("/console/organizers").status_code == 403  # admins only
    assert console.get(f"/console/groups/{GROUP_ID}/waiting").status_code == 200


def test_api_keys_carry_the_same_scopes(world: tuple[Stack, Any]) -> None:
    stack, client = world
    _, key = stack.container.organizers.create(
        name="Kay Key", email="kay@example.org", role="organizer", groups=[GROUP_ID]
    )
    mine = send(client, "GET", f"/groups/{GROUP_ID}/settings", key=key)
    assert mine.status_code == 200
    for method, path, body in (
        ("GET", f"/groups/{OTHER}/settings", None),
        ("PATCH", f"/groups/{OTHER}/settings", {"version": 1, "name": "x"}),
        ("GET", f"/groups/{OTHER}/signups", None),
        ("GET", f"/groups/{OTHER}/signups.csv", None),
        ("POST", f"/groups/{OTHER}/signups/abc/approve", None),
        ("POST", f"/groups/{OTHER}/signups/abc/reject", None),
        ("DELETE", f"/groups/{OTHER}/signups/abc", None),
        ("PUT", f"/groups/{OTHER}/meetings/2026-12-01", {"status": "cancelled"}),
        ("GET", f"/groups/{OTHER}/meetings/2026-12-01/deliveries", None),
        ("GET", "/groups/does-not-exist/settings", None),
        ("POST", "/groups", {"id": "new-group", "name": "N", "zoom_url": "https://example.zoom.us/j/1"}),
    ):
        refused = send(client, method, path, body, key=key)
        assert refused.status_code == 403, (method, path)
        assert as_json(refused)["error"]["code"] == "forbidden"
    _, admin_key = stack.container.organizers.create(name="Al", email="al@example.org", role="admin")
    assert send(client, "GET", f"/groups/{OTHER}/settings", key=admin_key).status_code == 200


def test_organizer_notices_go_to_the_groups_organizers_and_link_to_the_console(world: tuple[Stack, Any]) -> None:
    stack, client = world
    send(
        client,
        "POST",
        f"/groups/{GROUP_ID}/signups",
        {"name": "Nell", "email": "nell@example.org", "state": "MT", "consent": True},
    )
    [confirm] = mails_to(stack, "nell@example.org")
    link = re.search(r"(/signups/confirm\?token=[^\s]+)", plain_text(confirm))
    assert link
    client.http.post(link.group(1), headers={"Accept": "application/json"}, body=b"")
    assert mails_to(stack, "cora@example.org") == []  # batched: a few minutes later
    stack.clock.advance(minutes=7)
    stack.drain()
    [notice] = mails_to(stack, "cora@example.org")
    assert "http://api.test/console/groups/mbc-connection-group/waiting" in plain_text(notice)
    assert "Nell" not in plain_text(notice)  # a count, no personal details
    assert mails_to(stack, "ada@example.org") == []  # the admin is not the group's organizer


# ---------------------------------------------------------------- waiting for approval


def test_approve_two_and_decline_one_with_a_personal_note(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    a, b, d = add_members(
        stack.container, emails=["a@example.org", "b@example.org", "d@example.org"], status="pending_approval"
    )
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/waiting"
    page = text_of(console.get(path))
    assert "Member 0" in page and "3 people waiting" in page
    assert a["id"] not in page  # ids stay in the form, never in the words
    done = console.post(path, [("person", a["id"]), ("person", b["id"]), ("action", "approve")])
    assert done.status_code == 303
    assert "2 approved" in text_of(console.get(done.headers["Location"]))
    review = console.post(path, [("person", d["id"]), ("action", "decline")])
    assert "Living Beyond Breast Cancer" in text_of(review)
    declined = console.post(
        f"/console/groups/{GROUP_ID}/decline", [("person", d["id"]), ("note", "Try the caregivers' circle.")]
    )
    assert declined.status_code == 303
    statuses = {r["email"]: r["status"] for r in stack.container.signups.members(GROUP_ID)}
    assert statuses == {"a@example.org": "active", "b@example.org": "active", "d@example.org": "rejected"}
    [decline_mail] = mails_to(stack, "d@example.org")
    body = plain_text(decline_mail)
    assert "Metastatic Breast Cancer Network" in body and "Try the caregivers' circle." in body
    assert len(mails_to(stack, "a@example.org")) == 1  # the welcome
    log = text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert "Approved Member 0" in log and "Declined Member 2" in log and "Cora Coordinator" in log


def test_the_reject_api_declines_with_the_groups_message_and_an_optional_note(
    world: tuple[Stack, Any], organizer_key: str
) -> None:
    stack, client = world
    one, two = add_members(stack.container, emails=["r1@example.org", "r2@example.org"], status="pending_approval")
    plain = send(client, "POST", f"/groups/{GROUP_ID}/signups/{one['id']}/reject", key=organizer_key)
    assert plain.status_code == 200 and as_json(plain)["status"] == "rejected"
    noted = send(
        client, "POST", f"/groups/{GROUP_ID}/signups/{two['id']}/reject", {"message": "With care."}, key=organizer_key
    )
    assert noted.status_code == 200
    assert "Living Beyond Breast Cancer" in plain_text(mails_to(stack, "r1@example.org")[0])
    assert "With care." in plain_text(mails_to(stack, "r2@example.org")[0])
    bad = send(client, "POST", f"/groups/{GROUP_ID}/signups/{two['id']}/reject", {"note": 1}, key=organizer_key)
    assert bad.status_code in (200, 400)


# ---------------------------------------------------------------- members


def test_a_member_added_by_hand_confirms_then_is_active_without_another_approval(world: tuple[Stack, Any]) -> None:
    stack, client = world
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/members/add"
    refused = console.post(path, {"name": "=cmd()", "email": "nope", "state": "XX"})
    assert refused.status_code == 400
    assert {"Their name", "Their email address", "State", "Consent"} <= set(
        re.findall(r'#f-[a-z_]+">([^<]+)<', refused.body.decode())
    )
    added = console.post(path, {"name": "Hal Hand", "email": "hal@example.org", "state": "ID", "consent": "yes"})
    assert added.status_code == 303
    record = next(r for r in stack.container.signups.members(GROUP_ID) if r["email"] == "hal@example.org")
    assert record["status"] == "pending_confirmation" and record.get("consent_source") == "organizer"
    [confirm] = mails_to(stack, "hal@example.org")
    assert "added you to the group" in plain_text(confirm)
    assert "zoom" not in plain_text(confirm).lower()  # nobody gets the link before confirming
    link = re.search(r"(/signups/confirm\?token=[^\s]+)", plain_text(confirm))
    assert link
    client.http.post(link.group(1), headers={"Accept": "application/json"}, body=b"")
    record = next(r for r in stack.container.signups.members(GROUP_ID) if r["email"] == "hal@example.org")
    assert record["status"] == "active"
    twice = console.post(path, {"name": "Hal Hand", "email": "hal@example.org", "state": "ID", "consent": "yes"})
    assert twice.status_code == 400 and "Already in the group" in text_of(twice)


def test_a_member_added_by_hand_gets_the_time_she_lives_on(world: tuple[Stack, Any]) -> None:
    """North Idaho is Pacific: the organizer says so when adding her, checked as the signup's
    ``timezone`` is; "not sure" stores nothing (her state decides)."""
    stack, _ = world
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/members/add"
    form = console.get(path).body.decode()
    options = re.findall(r'<option value="([^"]*)"[^>]*>', form.split('name="timezone"')[1].split("</select>")[0])
    assert options == ["America/Denver", "America/Los_Angeles", ""]
    assert "North Idaho (Coeur d&#39;Alene" in form or "North Idaho (Coeur d'Alene" in form
    person = {"name": "Cleo Lake", "email": "cleo.lake@example.org", "state": "ID", "consent": "yes"}
    refused = console.post(path, {**person, "timezone": "Europe/Paris"})
    assert refused.status_code == 400
    assert "Please choose Mountain time or Pacific time." in text_of(refused)
    assert re.search(r'#f-timezone">The time they live on<', refused.body.decode())
    assert list(stack.container.signups.members(GROUP_ID)) == [] and mails_to(stack, "cleo.lake@example.org") == []
    assert 'value="Cleo Lake"' in refused.body.decode()  # what she typed stays
    assert console.post(path, {**person, "timezone": "America/Los_Angeles"}).status_code == 303
    record = next(r for r in stack.container.signups.members(GROUP_ID) if r["email"] == "cleo.lake@example.org")
    assert record.get("timezone") == "America/Los_Angeles"
    [confirm] = mails_to(stack, "cleo.lake@example.org")
    assert "Meeting times in our emails will be in Pacific time" in plain_text(confirm)
    unsure = {**person, "name": "Dee Unsure", "email": "dee.unsure@example.org", "timezone": ""}
    assert console.post(path, unsure).status_code == 303
    record = next(r for r in stack.container.signups.members(GROUP_ID) if r["email"] == "dee.unsure@example.org")
    assert "timezone" not in record
    assert "both Mountain and Pacific time" in plain_text(mails_to(stack, "dee.unsure@example.org")[0])


def test_csv_import_previews_every_row_then_adds_the_good_ones(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/members/import"
    csv_text = "Name,Email,State\nIvy One,ivy@example.org,Montana\n=HYPERLINK(1),x@example.org,MT\nJo Two,bad,ID\n"
    checked = console.post(path, {"csv": csv_text})
    assert checked.status_code == 303
    preview = console.get(checked.headers["Location"].split("?")[0])
    words = text_of(preview)
    assert "1 of 3 people are ready to add" in words and "A name cannot start with" in words
    assert list(stack.container.signups.members(GROUP_ID)) == []  # nothing before the go-ahead
    assert mails_to(stack, "ivy@example.org") == []
    job_path = checked.headers["Location"].split("?")[0]
    version = re.search(r'name="version" value="(\d+)"', preview.body.decode())
    assert version
    choices = {"mode": "invite", "version": version.group(1), "action": "commit"}
    no_consent = console.post(job_path, choices)
    assert no_consent.status_code == 400
    done = console.post(job_path, {**choices, "consent": "yes"})
    assert done.status_code == 303
    stack.drain()  # added in the background: the chunk, then her email
    assert [r["email"] for r in stack.container.signups.members(GROUP_ID)] == ["ivy@example.org"]
    assert len(mails_to(stack, "ivy@example.org")) == 1
    reloaded = text_of(console.get(done.headers["Location"]))  # the same address, after it finished
    assert "The list is added" in reloaded and "Adding them now" not in reloaded
    too_many = "name,email,state\n" + "".join(f"P{i},p{i}@example.org,MT\n" for i in range(5001))
    assert console.post(path, {"csv": too_many}).status_code in (400, 413)


def test_search_remove_and_export(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    [kim, _] = add_members(stack.container, emails=["kim@example.org", "lou@example.org"])
    console = signed_in(world)
    found = text_of(console.get(f"/console/groups/{GROUP_ID}/members?q=kim"))
    assert "kim@example.org" in found and "lou@example.org" not in found
    exported = console.get(f"/console/groups/{GROUP_ID}/members.csv")
    assert exported.headers["Content-Type"].startswith("text/csv") and "lou@example.org" in exported.body.decode()
    assert console.post(f"/console/groups/{GROUP_ID}/members/{kim['id']}/remove", {}).status_code == 303
    assert stack.container.signups.get(GROUP_ID, kim["id"]) is None


# ---------------------------------------------------------------- settings


def test_settings_preview_shows_the_new_link_before_saving_and_saving_logs_the_fields(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/settings"
    page = console.get(path).body.decode()
    fields: list[tuple[str, str]] = []
    for name, value in re.findall(r'<input type="(?:text|url|time)" id="f-[^"]+" name="([^"]+)" value="([^"]*)"', page):
        fields.append((name, value.replace("&amp;", "&")))
    assert "Each meeting is a relaxed video call of about 90 minutes" not in page  # {duration} stays a field
    assert "Each meeting is a relaxed video call of {duration}" in unescape(page)
    for name in ("description", "eligibility", "zoom_dial_in", "decline_message", "what_to_expect"):
        match = re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', page)
        assert match, name
        # As a browser sends a textarea: its line breaks as CRLF (no change for the activity log).
        text = match.group(1).replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"')
        fields.append((name, text.replace("\n", "\r\n")))
    fields += [
        ("repeat", "monthly"),
        ("weeks", "1"),
        ("weekday", "TU"),
        ("timezone", "America/Denver"),
        ("leads", "1440"),
        ("leads", "60"),
        ("requires_approval", "yes"),
        ("show_meeting_id", "yes"),
        ("show_dial_in", "yes"),
        ("contact_email", "cora@example.org"),
        ("version", "1"),
    ]
    fields = [(k, "Cora Coordinator" if k == "contact_name" else v) for k, v in fields]
    new_link = "https://example.zoom.us/j/11122233344?pwd=NewOne"
    fields = [
        (k, new_link if k == "zoom_url" else ("111 2223 3344" if k == "zoom_meeting_id" else v)) for k, v in fields
    ]
    preview = console.post(path, [*fields, ("action", "preview")])
    assert preview.status_code == 200, text_of(preview)[:500]
    words = text_of(preview)
    # Members' emails carry their personal link, never the room itself: the room shows once, to the
    # organizer, in the line that says where the personal links lead.
    assert "/j/PREVIEW" in words and words.count(new_link) == 1
    assert f"every personal link opens this room: {new_link}" in words
    assert "Meeting ID: 111 2223 3344" in words and "north Idaho" in words
    assert "Questions? Write to Cora Coordinator (cora@example.org)" in words
    assert stack.container.groups.get(GROUP_ID)["zoom_url"] != new_link  # not saved yet
    saved = console.post(path, [*fields, ("action", "save")])
    assert saved.status_code == 303
    group = stack.container.groups.get(GROUP_ID)
    assert group["zoom_url"] == new_link and group.get("zoom_meeting_id") == "111 2223 3344"
    activity = text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert "Changed the settings: zoom link, meeting id, contact name, contact email address" in activity
    assert "message to people you decline" not in activity and "description" not in activity
    assert "what to expect" not in activity, activity
    assert group.get("what_to_expect") is None  # the default stays unset
    stale = console.post(path, [*fields, ("action", "save")])
    assert stale.status_code == 409  # version 1 was read; the group is at 2 now
    bad = console.post(
        path, [(k, "http://insecure" if k == "zoom_url" else v) for k, v in fields] + [("action", "save")]
    )
    assert bad.status_code == 400 and "Must be an https:// URL" in text_of(bad)
    own = "Cameras are optional.\r\n\r\nCora hosts; we meet for {duration}."
    custom = [(k, own if k == "what_to_expect" else ("2" if k == "version" else v)) for k, v in fields]
    assert console.post(path, [*custom, ("action", "save")]).status_code == 303
    assert stack.container.groups.get(GROUP_ID)["what_to_expect"] == own.replace("\r\n", "\n")
    assert "what to expect at a first meeting" in text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))


# ---------------------------------------------------------------- meetings and deliveries


def test_cancelling_a_meeting_shows_who_will_be_told_and_the_run_tells_exactly_them(world: tuple[Stack, Any]) -> None:
    from tests.support.builders import MEETING_DAY, T_MINUS_1D, distributor, run_at
    from tests.support.fakes import FakeSes

    stack, _ = world
    add_members(stack.container, 3)
    ses = FakeSes()
    run = distributor(stack, ses)
    run_at(stack, run, T_MINUS_1D)  # the day-before reminder reaches the three members
    add_members(stack.container, 2, prefix="late")  # two more, never told about this meeting
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}"
    preview = console.post(path, {"change": "cancel", "note": "Snowstorm.", "action": "preview"})
    words = text_of(preview)
    assert "5 members will get a cancellation notice now (2 of them were never told" in words
    # One subject for the organizer, in the zones of the members told (within 78 characters, the name gives way).
    assert "Cancelled: Tue Dec 1, 4:00 PM Mountain · MBC Connection Group" in words  # all in Montana: one zone
    assert stack.container.meetings.meeting_on(stack.container.groups.get(GROUP_ID), MEETING_DAY).status == "scheduled"
    saved = console.post(path, {"change": "cancel", "note": "Snowstorm.", "action": "save"})
    assert saved.status_code == 303 and "done=meeting&" in saved.headers["Location"] + "&"
    assert "Members are told within 15 minutes" in text_of(console.get(saved.headers["Location"]))
    # A meeting further ahead: the saved page says what its preview said (told once it is next).
    later_day = "2027-02-02"
    later = console.post(
        f"/console/groups/{GROUP_ID}/meetings/{later_day}", {"change": "cancel", "note": "", "action": "preview"}
    )
    # Told 35 days (announce_days) before the meeting, the date the run will first send it.
    assert "5 members will get a cancellation notice on Tuesday, December 29, 2026 (not before)." in text_of(later)
    later_saved = console.post(
        f"/console/groups/{GROUP_ID}/meetings/{later_day}", {"change": "cancel", "note": "", "action": "save"}
    )
    assert "done=meeting_later" in later_saved.headers["Location"]
    assert "Members are told on Tuesday, December 29, 2026" in text_of(console.get(later_saved.headers["Location"]))
    before = len(ses.accepted)
    report = run_at(stack, run, T_MINUS_1D + timedelta(minutes=15))
    assert report.sent == 5 and {m.tags.get("kind") for m in ses.accepted[before:]} == {"cancelled"}
    assert "Cancelled the meeting of" in text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))


def test_deliveries_page_and_resend_only_to_an_active_member(world: tuple[Stack, Any]) -> None:
    from tests.support.builders import MEETING_DAY, T_MINUS_1D, distributor, run_at
    from tests.support.fakes import FakeSes

    stack, _ = world
    [member, gone] = add_members(stack.container, emails=["res@example.org", "gone@example.org"])
    run_at(stack, distributor(stack, FakeSes()), T_MINUS_1D)
    console = signed_in(world)
    page = text_of(console.get(f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}/deliveries"))
    assert "res@example.org" in page and "Sent" in page and "Re-send to Member 0" in page
    assert "Reminder with the link (1 day before)" in page and "Reminder with the link (1 hour before)" in page
    path = f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}/resend"
    assert console.post(path, {"person": member["id"]}).status_code == 303
    [again] = mails_to(stack, "res@example.org")
    assert "/j/" in plain_text(again) and "zoom.us" not in plain_text(again)  # her personal link
    stack.container.signups.repo.transition(
        GROUP_ID, gone["id"], from_statuses=("active",), to_status="unsubscribed", set_values={}
    )
    refused = console.post(path, {"person": gone["id"]})
    assert refused.status_code == 409 and mails_to(stack, "gone@example.org") == []


def test_a_resend_goes_through_the_ledger_so_the_next_run_does_not_repeat_it(world: tuple[Stack, Any]) -> None:
    from tests.support.builders import MEETING_DAY, T_MINUS_1D, distributor, run_at
    from tests.support.fakes import FakeSes

    stack, _ = world
    [member] = add_members(stack.container, emails=["res@example.org"])
    ses = FakeSes()
    run = distributor(stack, ses)
    assert run_at(stack, run, T_MINUS_1D).sent == 1  # the day-before reminder
    stack.container.meetings.put_override(GROUP_ID, MEETING_DAY, {"status": "cancelled"}, organizer_id="o")
    stack.clock.set(T_MINUS_1D + timedelta(minutes=5))
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}/resend"
    assert console.post(path, {"person": member["id"]}).status_code == 303
    [resent] = mails_to(stack, "res@example.org")
    assert str(resent["Subject"]).startswith("Cancelled:")
    # The scheduled run knows she was told: no second cancellation.
    assert run_at(stack, run, T_MINUS_1D + timedelta(minutes=15)).sent == 0
    assert [m.tags["message"] for m in ses.accepted] == ["r1440"]
    kinds = {r["kind"]: r for r in stack.container.ledger.rows(GROUP_ID, MEETING_DAY)}
    [resend_row] = [r for k, r in kinds.items() if k.startswith("x")]
    assert (resend_row["status"], resend_row["message"], resend_row["said_status"]) == (
        "sent",
        "cancelled",
        "cancelled",
    )


def test_resend_is_limited_to_one_per_member_and_meeting_every_few_minutes(world: tuple[Stack, Any]) -> None:
    from tests.support.builders import MEETING_DAY, T_MINUS_1D

    stack, _ = world
    [member, other] = add_members(stack.container, emails=["res@example.org", "oth@example.org"])
    stack.clock.set(T_MINUS_1D)
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/meetings/{MEETING_DAY}/resend"
    answers = [console.post(path, {"person": member["id"]}).status_code for _ in range(5)]
    assert answers == [303, 429, 429, 429, 429]
    assert len(mails_to(stack, "res@example.org")) == 1  # 5 clicks: one email
    assert "a moment ago" in text_of(console.post(path, {"person": member["id"]}))
    assert console.post(path, {"person": other["id"]}).status_code == 303  # another member is not held up
    stack.clock.set(T_MINUS_1D + timedelta(minutes=5, seconds=1))
    assert console.post(path, {"person": member["id"]}).status_code == 303
    assert len(mails_to(stack, "res@example.org")) == 2
    activity = text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert activity.count("Sent Member 0 the message about the meeting") == 2  # refused clicks leave no entry


# ---------------------------------------------------------------- events


def test_an_event_in_pacific_time_gets_the_offset_from_the_server(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    console = signed_in(world)
    fields = {
        "title": "Sandpoint picnic",
        "date": "2030-07-13",
        "start_time": "11:00",
        "end_time": "13:00",
        "timezone": "America/Los_Angeles",
        "states": "ID",
        "format": "in_person",
        "venue_name": "City Beach",
        "venue_street": "1 Bridge St",
        "venue_city": "Sandpoint",
        "venue_postal_code": "83864",
        "status": "published",
    }
    assert console.post("/console/events/new", fields).status_code == 303
    [event] = stack.container.events.upcoming_for_feed("ID")
    assert event["starts_at"] == "2030-07-13T11:00:00-07:00" and event["timezone"] == "America/Los_Angeles"
    listing = text_of(console.get("/console/events"))
    assert "Sandpoint picnic" in listing and "11:00 AM Pacific" in listing
    missing = console.post("/console/events/new", {**fields, "start_time": "", "states": ""})
    assert missing.status_code == 400 and "Choose Idaho, Montana or both" in text_of(missing)
    edit = console.get(f"/console/events/{event['id']}")
    version = re.search(r'name="version" value="(\d+)"', edit.body.decode())
    assert version
    cancelled = console.post(f"/console/events/{event['id']}/cancel", {"version": version.group(1)})
    assert cancelled.status_code == 303
    assert stack.container.events.get(event["id"])["status"] == "cancelled"
    assert "Cancelled" in text_of(console.get("/console/events"))  # still listed, marked cancelled
    moved = console.post(
        f"/console/events/{event['id']}",
        {**fields, "start_time": "12:00", "end_time": "14:00", "version": str(int(version.group(1)) + 1)},
    )
    assert moved.status_code == 303
    stored = stack.container.events.get(event["id"])
    assert stored["starts_at"] == "2030-07-13T12:00:00-07:00" and stored["status"] == "cancelled"


# ---------------------------------------------------------------- organizers


def test_an_admin_invites_an_organizer_for_one_group_and_removes_them(world: tuple[Stack, Any]) -> None:
    stack, client = world
    admin = signed_in(world, "ada@example.org")
    done = admin.post(
        "/console/organizers/new", [("name", "Olga New"), ("email", "olga@example.org"), ("groups", GROUP_ID)]
    )
    assert done.status_code == 303
    [invite] = mails_to(stack, "olga@example.org")
    assert "MBC Connection Group" in plain_text(invite) and "http://api.test/console" in plain_text(invite)
    olga = Console(client)
    olga.sign_in(stack, "olga@example.org")
    assert olga.get(f"/console/groups/{GROUP_ID}/members").status_code == 200
    assert olga.get(f"/console/groups/{OTHER}/members").status_code == 403
    record = stack.container.organizers.by_email("olga@example.org")
    assert record is not None and record.get("invited_by")
    assert admin.post(f"/console/organizers/{record['id']}/remove", {}).status_code == 303
    assert olga.get(f"/console/groups/{GROUP_ID}/members").status_code == 303
    assert "Added Olga New as an organizer for MBC Connection Group" in text_of(admin.get("/console/activity"))


# ---------------------------------------------------------------- the website (admins)


STAGING = "https://staging.example.org"


def page_of(response: Any) -> str:
    """The page's text as a person reads it (tags dropped, entities decoded)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.body.decode())).split())


def test_an_admin_allows_and_removes_a_website_and_each_change_is_logged(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    site = stack.container.site
    admin = signed_in(world, "ada@example.org")
    home = admin.get("/console").body.decode()
    assert 'href="/console/site"' in home  # the admin's menu
    page = admin.get("/console/site")
    assert page.status_code == 200
    words = page_of(page)
    assert "Websites you allowed None yet." in words
    assert "Set when MBC Connect was installed https://www.example.org" in words  # deploy-time, read-only
    assert "Remove https://www.example.org" not in words
    assert (
        '<script src="http://api.test/widgets/mbc-connect.js" data-group="mbc-connection-group" defer></script>'
        in words
    )
    assert '<iframe src="http://api.test/embed/other-group" title="Sign up and upcoming events"' in words
    assert ' style="' not in page.body.decode() and "<script" not in page.body.decode()  # shown, never run

    added = admin.post("/console/site", {"origin": " HTTPS://Staging.Example.org/ "})
    assert added.status_code == 303 and added.headers["Location"] == "/console/site?done=site_added"
    view = site.origins()
    assert view["origins"] == [STAGING] and view["version"] == 1  # normalised, stored once
    org = stack.container.organizers.by_email("ada@example.org")
    assert org is not None and view["updated_by"] == org["id"]
    assert site.origin_allowed(STAGING)  # CORS, redirects and frame-ancestors follow
    shown = page_of(admin.get(added.headers["Location"]))
    assert "Allowed. Within a minute" in shown and f"{STAGING} Remove {STAGING}" in shown
    assert "by Ada Admin" in shown

    again = admin.post("/console/site", {"origin": "https://staging.example.org"})
    assert again.headers["Location"] == "/console/site?done=site_already"
    assert site.origins()["version"] == 1  # nothing written

    removed = admin.post("/console/site/remove", {"origin": STAGING})
    assert removed.status_code == 303 and removed.headers["Location"] == "/console/site?done=site_removed"
    assert site.origins()["origins"] == [] and site.origins()["version"] == 2
    gone = admin.post("/console/site/remove", {"origin": STAGING})  # removed meanwhile (another tab)
    assert gone.status_code == 404 and f"{STAGING} is not in the allowed origins." in page_of(gone)
    log = page_of(admin.get("/console/activity"))
    assert f"Allowed the website {STAGING}" in log and f"Stopped allowing the website {STAGING}" in log
    assert log.count(STAGING) == 2  # one entry per change, none for "already allowed"


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("http://plain.example.org", "Must use https:// (http:// is allowed only for localhost and 127.0.0.1)."),
        # A page address is trimmed to its website (tests/integration/test_console_small_things.py).
        ("https://user:pw@www.example.org", "Must not contain a user name or password."),
        ("www.example.org", "Must start with https:// (http:// only for localhost), e.g. https://www.example.org."),
        ("", "Must be a web origin such as https://www.example.org."),
    ],
)
def test_a_bad_website_address_is_explained_next_to_the_field_and_changes_nothing(
    world: tuple[Stack, Any], typed: str, why: str
) -> None:
    stack, _ = world
    admin = signed_in(world, "ada@example.org")
    refused = admin.post("/console/site", {"origin": typed})
    assert refused.status_code == 400
    body = refused.body.decode()
    error = re.search(r'<span class="error" id="e-origin">([^<]*)</span>\s*<input type="url" id="f-origin"', body)
    assert error and unescape(error.group(1)).startswith(why)
    assert re.search(r'id="f-origin" name="origin" value="[^"]*"[^>]*aria-invalid="true"', body)
    assert f'value="{typed}"' in body  # what was typed, to correct
    assert stack.container.site.origins()["version"] == 0
    assert "Allowed the website" not in page_of(admin.get("/console/activity"))


def test_a_deploy_time_website_cannot_be_removed_here(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    admin = signed_in(world, "ada@example.org")
    refused = admin.post("/console/site/remove", {"origin": "https://www.example.org"})
    assert refused.status_code == 404
    assert "comes from the deployment settings" in page_of(refused)
    assert stack.container.site.origin_allowed("https://www.example.org")


def test_a_change_that_meets_another_change_is_explained_kindly(
    world: tuple[Stack, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.website.storage import SiteConflict

    stack, _ = world
    admin = signed_in(world, "ada@example.org")

    def always_stale(*_: Any, **__: Any) -> None:
        raise SiteConflict

    monkeypatch.setattr(stack.container.site.repo, "put_origins", always_stale)
    clash = admin.post("/console/site", {"origin": STAGING})
    assert clash.status_code == 409
    words = page_of(clash)
    assert "Someone else changed the list at the same moment, so nothing was saved" in words
    assert f'value="{STAGING}"' in clash.body.decode()  # kept, to press the button again
    assert "Sorry" not in words  # the page itself, not an error page
    assert "Allowed the website" not in page_of(admin.get("/console/activity"))


def test_the_website_page_is_for_admins_only(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    stack.container.site.add_origin(STAGING, by="cli")
    organizer = signed_in(world)
    assert 'href="/console/site"' not in organizer.get("/console").body.decode()  # no menu entry
    refused = organizer.get("/console/site")
    assert refused.status_code == 403 and "You do not have access to this page" in page_of(refused)
    assert organizer.post("/console/site", {"origin": "https://evil.example.org"}).status_code == 403
    assert organizer.post("/console/site/remove", {"origin": STAGING}).status_code == 403
    assert stack.container.site.origins()["origins"] == [STAGING]


def test_website_changes_need_the_sessions_csrf_token(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    admin = signed_in(world, "ada@example.org")
    for token in (None, "wrong-token"):
        assert admin.post("/console/site", {"origin": STAGING}, csrf=token).status_code == 403
    stack.container.site.add_origin(STAGING, by="cli")
    assert admin.post("/console/site/remove", {"origin": STAGING}, csrf=None).status_code == 403
    cross_site = admin.client.http.post(
        "/console/site",
        headers=admin.headers(**FORM, Origin="https://evil.example", Host="127.0.0.1:8000"),
        body=urlencode({"origin": "https://evil.example.org", "csrf": admin.csrf()}).encode(),
    )
    assert cross_site.status_code == 403
    assert stack.container.site.origins()["origins"] == [STAGING]


def test_the_snippets_are_the_ones_the_web_volunteers_guide_shows() -> None:
    from pathlib import Path

    from chalicelib.website.console import embed_snippets

    guide = (Path(__file__).resolve().parents[2] / "web" / "README.md").read_text()
    snippet = embed_snippets("https://api.example.org", "mbc-connection-group")
    assert snippet["script"] in guide and snippet["iframe"] in guide


def test_static_assets_are_versioned_and_cached_long(world: tuple[Stack, Any]) -> None:
    _, client = world
    page = client.http.get("/console/sign-in").body.decode()
    href = re.search(r'href="(/console/static/[0-9a-f]{12}/console.css)"', page)
    assert href
    css = client.http.get(href.group(1))
    assert css.status_code == 200 and "immutable" in css.headers["Cache-Control"]
    assert client.http.get("/console/static/000000000000/console.css").status_code == 404


@pytest.mark.ddblocal
def test_sign_in_through_the_real_stream_on_dynamodb_local(ddb_stack: Stack) -> None:
    ddb_stack.container.organizers.create(name="Cora", email="cora@example.org", role="admin")
    with make_client(ddb_stack) as client:
        console = Console(client)
        console.sign_in(ddb_stack, "cora@example.org")
        assert console.get("/console").status_code == 200


def test_every_page_renders_for_an_admin(world: tuple[Stack, Any]) -> None:
    from tests.support.builders import MEETING_DAY

    stack, _ = world
    [member] = add_members(stack.container, emails=["page@example.org"])
    stack.container.events.create(
        {
            "title": "Walk",
            "starts_at": "2030-07-13T11:00:00-07:00",
            "ends_at": "2030-07-13T12:00:00-07:00",
            "format": "virtual",
            "states": ["ID"],
            "timezone": "America/Los_Angeles",
        }
    )
    [event] = stack.container.events.upcoming_for_feed("ID")
    admin = signed_in(world, "ada@example.org")
    group = f"/console/groups/{GROUP_ID}"
    for path in (
        "/console",
        "/console/events",
        "/console/events/new",
        f"/console/events/{event['id']}",
        "/console/organizers",
        "/console/organizers/new",
        "/console/activity",
        f"{group}/waiting",
        f"{group}/members",
        f"{group}/members/add",
        f"{group}/members/import",
        f"{group}/members/{member['id']}/remove",
        f"{group}/settings",
        f"{group}/meetings",
        f"{group}/meetings/{MEETING_DAY}",
        f"{group}/meetings/{MEETING_DAY}/deliveries",
        f"{group}/activity",
        "/console/site",
    ):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'"), path
        assert "<h1>" in response.body.decode(), path


def test_sign_in_requests_are_limited_per_address_and_per_network(world: tuple[Stack, Any]) -> None:
    stack, client = world
    for _ in range(7):
        answer = client.http.post("/console/sign-in", headers=FORM, body=b"email=cora%40example.org")
        assert answer.status_code == 200  # the same answer, over the limit too
    assert len(mails_to(stack, "cora@example.org")) == 5  # five links an hour per address at most
    limited = stack.build()
    limited.console.requests_per_ip = 2
    for n in range(2):
        limited.console.request_sign_in(f"x{n}@example.org", source_ip="192.0.2.7")
    from chalicelib.errors import RateLimited

    with pytest.raises(RateLimited):
        limited.console.request_sign_in("x9@example.org", source_ip="192.0.2.7")


def test_the_activity_log_is_newest_first_a_page_at_a_time(world: tuple[Stack, Any]) -> None:
    stack, _ = world
    from chalicelib.organizers.scope import Principal

    who = Principal("org_x", "admin", frozenset(), "Pat Paging")
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for n in range(30):
        stack.clock.set(start + timedelta(minutes=n))
        stack.container.activity.record(GROUP_ID, who, "note", f"Change number {n}")
    stack.clock.set(start + timedelta(hours=1))
    console = signed_in(world)
    first = console.get(f"/console/groups/{GROUP_ID}/activity").body.decode()
    assert "Change number 29" in first and "Change number 5" in first and "Change number 4" not in first
    assert first.index("Change number 29") < first.index("Change number 28")
    older = re.search(r'href="([^"]+cursor=[^"]+)">Older changes', first)
    assert older
    rest = console.get(older.group(1).replace("&amp;", "&")).body.decode()
    assert "Change number 4" in rest and "Change number 0" in rest and "Change number 5" not in rest
    assert console.get(f"/console/groups/{GROUP_ID}/activity?cursor=forged").status_code == 400


def test_every_group_route_of_the_api_checks_the_keys_scope(world: tuple[Stack, Any]) -> None:
    """Not a list kept by hand: every organizer route under /groups/{group_id} refuses a key scoped
    to another group with 403, before it reads or changes anything."""
    from app import app

    stack, client = world
    _, key = stack.container.organizers.create(
        name="Kay Key", email="kay@example.org", role="organizer", groups=[GROUP_ID]
    )
    checked = 0
    for path, entries in app.routes.items():
        if not path.startswith("/groups/{group_id}"):
            continue
        for method, entry in entries.items():
            if entry.authorizer is None:
                continue
            concrete = path.replace("{group_id}", OTHER)
            for name in ("signup_id", "date", "announcement_id"):
                concrete = concrete.replace("{" + name + "}", "2026-12-01" if name == "date" else "abc")
            refused = send(client, method, concrete, {} if method in ("POST", "PUT", "PATCH") else None, key=key)
            assert refused.status_code == 403, (method, path, refused.status_code)
            checked += 1
    assert checked >= 18
    assert stack.container.announcements.list_page(OTHER, {})["announcements"] == []


def test_an_announcement_from_the_console_is_previewed_then_reaches_each_member_once(
    world: tuple[Stack, Any],
) -> None:
    stack, _ = world
    add_members(stack.container, 3)
    console = signed_in(world)
    page = console.get(f"/console/groups/{GROUP_ID}/announcements")
    assert page.status_code == 200 and "(3 now)" in text_of(page)
    bad = console.post(f"/console/groups/{GROUP_ID}/announcements", {"subject": "", "body": "Hello"})
    assert bad.status_code == 400 and "Subject" in text_of(bad)
    made = console.post(
        f"/console/groups/{GROUP_ID}/announcements",
        {"subject": "Snow day", "body": "We meet as usual.\n\nStay warm <3", "attach_invite": "yes"},
    )
    assert made.status_code == 303
    draft_page = console.get(made.headers["Location"])
    text = text_of(draft_page)
    assert (
        "Check and send the announcement" in text and "Stay warm &lt;3" in text and "Send it to 3 members now" in text
    )
    assert "Announcements: a message to every member" in text_of(console.get("/console"))
    assert [m["Subject"] for m in mails_to(stack, "cora@example.org") if "Preview" in m["Subject"]] == [
        "Preview: Snow day"
    ]
    assert not mails_to(stack, "m0@example.org")
    path = made.headers["Location"].split("?")[0]
    edited = console.post(path, {"action": "save", "version": "1", "subject": "Snow day!", "body": "We meet."})
    assert edited.status_code == 303
    stale = console.post(path, {"action": "send", "version": "1"})
    assert stale.status_code == 409 and not mails_to(stack, "m0@example.org")
    sent = console.post(path, {"action": "send", "version": "2"})
    assert sent.status_code == 303
    for n in range(3):
        [copy] = mails_to(stack, f"m{n}@example.org")
        assert copy["Subject"] == "Snow day!"
    done = text_of(console.get(path))
    assert "Sent to 3" in done and "Send it to" not in done
    assert "We meet." in done and "nothing has been sent" not in done  # what members got, without the banner
    assert "Sent the announcement: Snow day" in text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert console.get(f"/console/groups/{OTHER}/announcements").status_code == 403


def test_the_activity_log_keeps_members_by_id_and_forgets_an_erased_one(world: tuple[Stack, Any]) -> None:
    """Issue 19: "Approved Ann Kowalski" was kept a year. The log keeps her id; her name is read
    from her record when shown, and after her erasure nothing of her remains in the log, old
    entries (written with her name in the text) included."""
    from chalicelib.organizers.scope import Principal

    stack, _ = world
    [ann] = add_members(stack.container, emails=["ann.k@example.org"], status="pending_approval")
    stack.container.signups.repo.client.update_item(
        TableName=stack.table,
        Key={"pk": {"S": f"SIGNUPS#{GROUP_ID}"}, "sk": {"S": ann["id"]}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": "Ann Kowalski"}},
    )
    legacy = Principal("org_old", "organizer", frozenset({GROUP_ID}), "Old Organizer")
    stack.container.activity.record(GROUP_ID, legacy, "note", "Wrote to Ann Kowalski about the group")  # before ids
    console = signed_in(world)
    path = f"/console/groups/{GROUP_ID}/waiting"
    assert console.post(path, [("person", ann["id"]), ("action", "approve")]).status_code == 303
    entries = stack.client.query(
        TableName=stack.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ACTIVITY#{GROUP_ID}"}},
    )["Items"]
    approved = [e for e in entries if e["action"]["S"] == "approve"]
    assert approved and "Ann" not in str(approved) and approved[0]["member_id"]["S"] == ann["id"]
    log = text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert "Approved Ann Kowalski" in log  # shown with her current name
    stack.container.signups.erase(GROUP_ID, ann["id"])
    log = text_of(console.get(f"/console/groups/{GROUP_ID}/activity"))
    assert "Approved a member who erased her data" in log
    assert "Wrote to a member who erased her data about the group" in log
    assert "Kowalski" not in str(stack.client.scan(TableName=stack.table)["Items"])  # tests may scan


def test_the_console_is_titled_with_the_chapter_and_the_product(world: tuple[Stack, Any]) -> None:
    console = signed_in(world)
    body = unescape(console.get("/console").body.decode())
    assert "<title>Your groups - Gem State & Big Sky MBC Network organizers (MBC Connect)</title>" in body
    assert "Gem State & Big Sky MBC Network organizers</a>" in body  # the brand, top left


def test_a_form_over_64_kb_names_its_field_and_gives_her_text_back(world: tuple[Stack, Any]) -> None:
    """A new user pasted a long letter into an announcement and got 'The request body is larger
    than 64 KB': no field named, her typing lost. The page now names the field and the limit and
    gives the text back to copy; still a 4xx, nothing saved."""
    stack, _ = world
    console = signed_in(world)
    letter = "Dear friends, " + "we will meet again soon. " * 3000  # 72 KB of text
    path = f"/console/groups/{GROUP_ID}/announcements"
    page = console.post(path, {"subject": "News", "body": letter})
    assert page.status_code == 413
    html = page.body.decode()
    words = text_of(page)
    assert "The \u201cbody\u201d field is too long: a form can take 64 KB in all" in words
    assert "this one is 74 KB" in words  # as sent: form-encoded and "Nothing was saved" in words
    assert "larger than 64 KB" not in words
    assert unescape(html).count(letter.strip()) == 1  # her text, to copy (in a textarea)
    assert '<textarea id="kept"' in html
    assert stack.container.announcements.list_page(GROUP_ID, {"limit": "5"})["announcements"] == []
