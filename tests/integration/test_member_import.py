"""Importing an organizer's existing list (issue 21 item 0): a draft that writes nobody and sends
nothing, the organizer's go-ahead in one transaction, and the people added in the background by the
outbox a chunk at a time: as members with the "we have moved" email and the basis of their consent
recorded, or invited to confirm; idempotent, resumable, paced; everyone skipped named with why."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.errors import Conflict, Invalid
from chalicelib.signups import imports as imports_module
from chalicelib.signups.addresses import signup_id_for
from chalicelib.signups.importing import parse_text
from chalicelib.signups.records import ImportJob
from tests.support.builders import GROUP_ID, add_members, make_group, outbox_messages, plain_text
from tests.support.stacks import Stack

ORG = "org-emily"


def members_list(count: int, *, start: int = 0) -> str:
    return "First Name,Last Name,E-mail Address,State\r\n" + "".join(
        f"Person,{i},p{i}@example.org,{'Idaho' if i % 2 else 'Mont.'}\r\n" for i in range(start, start + count)
    )


def finish(stack: Stack, group_id: str, job_id: str, *, rounds: int = 200) -> ImportJob:
    """Let the outbox work until the import is done (on moto: the sweep, round after round)."""
    for _ in range(rounds):
        job = stack.container.imports.job(group_id, job_id)
        if job["status"] == "done":
            stack.drain()  # the last chunk's people's emails
            return job
        stack.drain()
    raise AssertionError("the import did not finish")


def by_email(stack: Stack) -> dict[str, dict[str, Any]]:
    return {r["email"]: dict(r) for r in stack.container.signups.members(GROUP_ID)}


def mails_to(stack: Stack, address: str) -> list[Any]:
    return [m for m in outbox_messages(stack.outbox) if m["To"] == address]


@pytest.fixture
def stack(moto_stack: Stack) -> Stack:
    make_group(moto_stack.container)
    return moto_stack


def draft(stack: Stack, text: str) -> ImportJob:
    return stack.container.imports.draft(GROUP_ID, parse_text(text), by=ORG)


def commit(stack: Stack, job: ImportJob, mode: str = "members", basis_on: str = "2024-03-01") -> ImportJob:
    imports = stack.container.imports
    checked_mode, basis, day = imports.check_choices(mode, "asked_coordinator", basis_on)
    return imports.commit(
        GROUP_ID, job["id"], version=job["version"], mode=checked_mode, basis=basis, basis_on=day, by=ORG
    )


def test_a_draft_adds_nobody_and_sends_nothing_and_names_who_will_be_skipped(stack: Stack) -> None:
    add_members(stack.container, emails=["old@example.org"])
    add_members(stack.container, emails=["left@example.org"], status="unsubscribed")
    job = draft(
        stack,
        "Name,Email,State\n"
        "Ann Kowalski,ann@example.org,ID (north)\n"
        "Old Friend,OLD@example.org,MT\n"
        "Gone Away,left@example.org,MT\n"
        "No Address,,MT\n",
    )
    assert (job["rows"], job["ready"], job["problems"], job["already"]) == (4, 1, 1, 2)
    assert sorted(by_email(stack)) == ["left@example.org", "old@example.org"]  # nobody added
    stack.drain()
    assert outbox_messages(stack.outbox) == []
    people, skipped = stack.container.imports.rows(GROUP_ID, job["id"])
    assert [p["email"] for p in people] == ["ann@example.org"] and people[0].get("zone_hint") == "pacific"
    assert [(s["line"], s["kind"], s["why"]) for s in skipped] == [
        (5, "problem", "Email: Please fill this in."),  # refused rows first
        (3, "already", "Already a member."),
        (4, "already", "Left the group: only they can join again (with the signup form)."),
    ]


def test_members_are_added_as_active_with_the_basis_of_consent_and_one_kind_email(stack: Stack) -> None:
    add_members(stack.container, emails=["p1@example.org"])  # already in the group: the old 500
    job = commit(stack, draft(stack, members_list(3)))
    assert job["status"] == "adding"
    done = finish(stack, GROUP_ID, job["id"])
    assert (done["added"], done["skipped"], done["already"]) == (2, 0, 1)
    people = by_email(stack)
    for address in ("p0@example.org", "p2@example.org"):
        record = people[address]
        assert record["status"] == "active"
        assert record["consent_source"] == "organizer_import" and record["added_by"] == ORG
        assert (record["consent_basis"], record["consent_basis_on"]) == ("asked_coordinator", "2024-03-01")
        assert record["import_job"] == job["id"] and "expires_at" not in record
        [mail] = mails_to(stack, address)
        text = plain_text(mail)
        assert mail["Subject"] == "Your own link to the MBC Connection Group (nothing to do)"
        assert "You don't need to do anything: you are still a member." in text
        assert "/j/" in text  # her own link, working now
        assert "you asked the coordinator to join the group (March 2024)" in text
        assert "Leave the group: http" in text and "/signups/unsubscribe?token=" in text
        assert "Leave and erase everything we hold about you: http" in text and "/signups/erase?token=" in text
        assert "confirm" not in text.lower() and "ignore this email" not in text
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mails_to(stack, "p1@example.org") == []  # the member already in the group hears nothing
    join = re.search(r"https?://[^/\s]+(/j/[A-Za-z0-9_\-]+)", plain_text(mails_to(stack, "p0@example.org")[0]))
    assert join and stack.container.join_links.repo is not None
    # Done: the people are dropped from the import's rows; the skipped rows stay, with why.
    people_left, skipped = stack.container.imports.rows(GROUP_ID, job["id"])
    assert people_left == [] and [s["why"] for s in skipped] == ["Already a member."]


def test_strangers_are_invited_to_confirm_instead(stack: Stack) -> None:
    job = commit(stack, draft(stack, members_list(2)), mode="invite", basis_on="")
    finish(stack, GROUP_ID, job["id"])
    for address in ("p0@example.org", "p1@example.org"):
        assert by_email(stack)[address]["status"] == "pending_confirmation"
        [mail] = mails_to(stack, address)
        assert "/signups/confirm?token=" in plain_text(mail) and "/j/" not in plain_text(mail)


def test_someone_who_joined_between_the_preview_and_the_go_ahead_is_skipped_and_named(stack: Stack) -> None:
    job = draft(stack, members_list(3))
    add_members(stack.container, emails=["p2@example.org"], status="pending_approval")
    done = finish(stack, GROUP_ID, commit(stack, job)["id"])
    assert (done["added"], done["skipped"]) == (2, 1)
    _, skipped = stack.container.imports.rows(GROUP_ID, job["id"])
    assert [(s["line"], s["name"], s["why"]) for s in skipped] == [
        (4, "Person 2", "Already signed up: waiting for your approval (see Waiting).")
    ]
    assert by_email(stack)["p2@example.org"]["status"] == "pending_approval"  # untouched
    assert mails_to(stack, "p2@example.org") == []


def test_the_go_ahead_is_checked_and_given_once(stack: Stack) -> None:
    imports = stack.container.imports
    with pytest.raises(Invalid) as caught:
        imports.check_choices("members", "", "2099-01-01")
    assert set(caught.value.fields) == {"basis", "basis_on"}
    with pytest.raises(Invalid) as caught:
        imports.check_choices("everyone", "", "")
    assert set(caught.value.fields) == {"mode"}
    job = draft(stack, members_list(2))
    with pytest.raises(Conflict):  # not the version the organizer saw
        imports.commit(
            GROUP_ID, job["id"], version=job["version"] + 1, mode="invite", basis=None, basis_on=None, by=ORG
        )
    commit(stack, job)
    with pytest.raises(Conflict):
        commit(stack, job)
    with pytest.raises(Conflict):
        imports.discard(GROUP_ID, job["id"])  # not while it is being added


def test_a_chunk_delivered_twice_adds_and_mails_each_person_once(stack: Stack) -> None:
    """The outbox may hand a chunk over again (a sender that died, a lease that ran out): people
    added by the first try count as added, nobody gets a second email, the counts are not doubled."""
    job = commit(stack, draft(stack, members_list(3)))
    item: Any = {"id": "x", "kind": "member_import", "group_id": GROUP_ID, "ref": f"{job['id']}:0"}
    imports = stack.container.imports
    original = imports._add
    calls = {"n": 0}

    def dies_after_two(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the sender died here")
        return original(*args, **kwargs)

    imports._add = dies_after_two  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        imports.process_chunk(item)
    imports._add = original  # type: ignore[method-assign]
    assert imports.job(GROUP_ID, job["id"])["status"] == "adding"
    assert imports.process_chunk(item) == []
    assert imports.process_chunk(item) == []  # and once more: nothing left to do
    done = imports.job(GROUP_ID, job["id"])
    assert (done["status"], done["added"], done["skipped"], done["chunks_done"]) == ("done", 3, 0, 1)
    stack.drain()
    for i in range(3):
        assert len(mails_to(stack, f"p{i}@example.org")) == 1


def test_chunks_follow_one_another_at_half_the_sending_rate(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports_module, "CHUNK_SIZE", 4)
    waits: list[float] = []
    c = stack.rebuild(sleep=waits.append)
    c.imports.monotonic = lambda: 0.0  # adding takes no time here: the whole share is waited
    job = commit(stack, draft(stack, members_list(10)))  # chunks of 4, 4, 2
    assert job["chunks"] == 3
    finish(stack, GROUP_ID, job["id"])
    rate = c.settings.max_send_rate / 2
    assert len(waits) == 2  # none after the last chunk
    assert waits == [4 / rate, 4 / rate]
    assert c.imports.job(GROUP_ID, job["id"])["added"] == 10


def test_forgetting_an_import_deletes_its_rows(stack: Stack) -> None:
    job = draft(stack, members_list(2) + "Bad,nope,MT\r\n")
    imports = stack.container.imports
    imports.discard(GROUP_ID, job["id"])
    assert imports.repo.job(GROUP_ID, job["id"]) is None
    assert imports.repo.rows(GROUP_ID, job["id"]) == ([], [])
    assert by_email(stack) == {}


def test_an_import_of_thousands_is_checked_at_once_and_added_in_the_background(ddb_stack: Stack) -> None:
    """On DynamoDB Local through its real stream: 120 people in 5 chunks, each chunk's outbox item
    queued by the transaction that finished the one before; a member already in the group skipped."""
    stack = ddb_stack
    make_group(stack.container)
    add_members(stack.container, emails=["p7@example.org"])
    stack.clock.set(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    job = draft(stack, members_list(121))
    assert (job["ready"], job["already"], job["chunks"]) == (120, 1, 5)
    job = commit(stack, job)
    done = finish(stack, GROUP_ID, job["id"], rounds=40)
    assert (done["added"], done["skipped"], done["chunks_done"]) == (120, 0, 5)
    records = by_email(stack)
    assert sum(1 for r in records.values() if r.get("import_job") == job["id"] and r["status"] == "active") == 120
    sent = [m["To"] for m in outbox_messages(stack.outbox)]
    assert len(sent) == len(set(sent)) == 120 and "p7@example.org" not in sent
    assert stack.container.signups.get(GROUP_ID, signup_id_for(GROUP_ID, "p7@example.org"))["status"] == "active"  # type: ignore[index]


def test_the_cli_imports_a_list_and_waits_for_it(ddb_stack: Stack, tmp_path: Any) -> None:
    import subprocess
    import sys

    from tests.support.stacks import ROOT

    make_group(ddb_stack.container)
    organizer, _ = ddb_stack.container.organizers.create(name="Emily", email="emily@example.org")
    listed = tmp_path / "members.csv"
    listed.write_bytes(
        "Name;E-mail;State\r\nJosé Núñez;jose@example.org;Mont.\r\nAnn;ann@example.org;Id.\r\nNo One;nope;ID\r\n".encode(
            "cp1252"
        )
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "chalicelib.cli",
            "members",
            "import",
            "--group",
            GROUP_ID,
            "--file",
            str(listed),
        ]
        return subprocess.run(
            [*command, "--as", organizer["id"], *args], cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    checked = cli("--mode", "invite", "--check-only")
    assert checked.returncode == 0, checked.stderr
    assert (
        "2 of 3 people are ready to add" in checked.stdout and "row 4: Email: Must be a valid email" in checked.stdout
    )
    assert list(ddb_stack.container.signups.members(GROUP_ID)) == []
    bad = cli("--mode", "members", "--since", "2099-01-01")  # bad input: no basis, a future date
    assert bad.returncode == 2
    # Named by the flags she typed (not the console's field names basis and basis_on).
    assert "  --basis: Please choose how they asked to join." in bad.stderr, bad.stderr
    assert "  --since: Please give a date that has passed." in bad.stderr and "basis_on" not in bad.stderr
    done = cli("--mode", "members", "--basis", "asked_coordinator", "--since", "2024-03-01", "--wait")
    assert done.returncode == 0, done.stderr
    assert "done; 2 of 2 done, 2 added" in done.stdout
    people = by_email(ddb_stack)
    assert people["jose@example.org"]["name"] == "José Núñez" and people["jose@example.org"]["status"] == "active"
    assert sorted(m["To"] for m in outbox_messages(ddb_stack.outbox)) == ["ann@example.org", "jose@example.org"]
    assert "@example.org" not in done.stderr  # logs: ids and counts only


def test_two_runs_of_one_chunk_at_once_add_and_mail_each_person_once(ddb_stack: Stack) -> None:
    """A chunk whose lease ran out while it was still being added is claimed again: both runs go
    on at once (on DynamoDB Local, which serialises conditional writes as AWS does). Each person is
    added once, with one email; the chunk counts once; someone who signed up meanwhile is skipped."""
    from concurrent.futures import ThreadPoolExecutor

    stack = ddb_stack
    make_group(stack.container)
    job = draft(stack, members_list(12))
    add_members(stack.container, emails=["p5@example.org"], status="pending_approval")  # after the check
    job = commit(stack, job)
    item: Any = {"id": "x", "kind": "member_import", "group_id": GROUP_ID, "ref": f"{job['id']}:0"}
    runs = [stack.build() for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(lambda c: c.imports.process_chunk(item), runs)) == [[], []]
    done = stack.container.imports.job(GROUP_ID, job["id"])
    assert (done["status"], done["added"], done["skipped"], done["chunks_done"]) == ("done", 11, 1, 1)
    stack.drain()
    sent = [m["To"] for m in outbox_messages(stack.outbox)]
    assert len(sent) == len(set(sent)) == 11 and "p5@example.org" not in sent
    _, skipped = stack.container.imports.rows(GROUP_ID, job["id"])
    assert [(s["line"], s["why"]) for s in skipped] == [(7, SKIP_WHY_WAITING)]


SKIP_WHY_WAITING = "Already signed up: waiting for your approval (see Waiting)."


def test_the_cli_names_a_file_that_is_not_there(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib import cli

    organizer, _ = stack.container.organizers.create(name="Emily", email="emily@example.org")
    args = ["members", "import", "--group", GROUP_ID, "--as", organizer["id"], "--mode", "invite"]
    assert cli.main([*args, "--file", "/no/such/folder/members.csv"]) == 2
    err = capsys.readouterr().err
    assert "  --file: No such file: check the folder and the name." in err and "FileNotFoundError" not in err
