"""Announcements (issue 15): an organizer drafts, gets a preview, sends; each active member gets
it exactly once (crashes, overlapping senders and erasures included), nobody who left gets it,
and every copy carries the member footer."""

from __future__ import annotations

import threading
from email.message import Message
from typing import Any

import pytest

from chalicelib import cli
from chalicelib.signups.addresses import signup_id_for
from tests.support.builders import (
    GROUP_ID,
    ZOOM_URL,
    add_members,
    as_json,
    group_body,
    outbox_messages,
    plain_text,
    send,
)
from tests.support.fakes import Crash, FakeSes
from tests.support.stacks import Stack

BASE = f"/groups/{GROUP_ID}/announcements"
BODY = (
    "Dear friends,\n\nOur January meeting has a guest: Dr. Lee, on fatigue.\n"
    "Details: https://example.org/guest.\n\n<b>Bring questions</b> & a cup of tea."
)


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    c = moto_stack.container
    created = c.groups.create(group_body())
    add_members(c, 3)
    add_members(c, 1, prefix="left", status="unsubscribed")
    add_members(c, 1, prefix="waiting", status="pending_approval")
    return dict(created)


def member_copies(stack: Stack) -> list[Message]:
    return [m for m in outbox_messages(stack.outbox) if not str(m["Subject"]).startswith("Preview")]


def draft(api: Any, key: str, **overrides: Any) -> dict[str, Any]:
    body = {"subject": "A guest in January", "body": BODY, **overrides}
    response = send(api, "POST", BASE, body, key)
    assert response.status_code == 201, response.body
    return dict(as_json(response))


def test_draft_preview_send_each_member_once(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    made = draft(api, organizer_key)
    assert (made["status"], made["version"], made["audience"]) == ("draft", 1, 3)
    [preview] = outbox_messages(moto_stack.outbox)
    assert preview["To"] == "organizer@example.org"
    assert preview["Subject"] == "Preview: A guest in January"
    assert "nothing has been sent to members yet" in plain_text(preview)
    assert "(3 members now)" in plain_text(preview)

    stale = send(api, "PATCH", f"{BASE}/{made['id']}", {"version": 2, "subject": "x"}, organizer_key)
    assert stale.status_code == 409 and as_json(stale)["error"]["fields"]["version"]
    edited = as_json(send(api, "PATCH", f"{BASE}/{made['id']}", {"version": 1, "attach_invite": True}, organizer_key))
    assert (edited["version"], edited["attach_invite"]) == (2, True)
    assert len(outbox_messages(moto_stack.outbox)) == 2  # a second preview, nothing to members
    assert send(api, "POST", f"{BASE}/{made['id']}/send", {"version": 1}, organizer_key).status_code == 409
    assert member_copies(moto_stack) == []

    sending = send(api, "POST", f"{BASE}/{made['id']}/send", {"version": 2}, organizer_key)
    assert sending.status_code == 202
    copies = member_copies(moto_stack)
    assert sorted(m["To"] for m in copies) == ["m0@example.org", "m1@example.org", "m2@example.org"]
    done = as_json(send(api, "GET", f"{BASE}/{made['id']}", None, organizer_key))
    assert done["status"] == "sent" and done["counts"] == {"sent": 3, "failed": 0, "pending": 0}
    assert done["sent_by"].startswith("org_") and done["sent_at"]

    again = send(api, "POST", f"{BASE}/{made['id']}/send", {"version": 3}, organizer_key)
    assert again.status_code == 409
    moto_stack.drain()
    moto_stack.container.announcements.continue_sending()
    assert len(member_copies(moto_stack)) == 3  # once each, whatever runs again

    listed = as_json(send(api, "GET", BASE, None, organizer_key))["announcements"]
    assert [a["id"] for a in listed] == [made["id"]]


def test_every_copy_reads_well_and_carries_the_member_footer(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    made = draft(api, organizer_key, attach_invite=True)
    send(api, "POST", f"{BASE}/{made['id']}/send", {"version": 1}, organizer_key)
    copy = next(m for m in member_copies(moto_stack) if m["To"] == "m0@example.org")
    assert copy["Subject"] == "A guest in January"
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert copy["List-Unsubscribe"].startswith("<http://api.test/signups/unsubscribe?token=")
    assert copy["Reply-To"]
    text = plain_text(copy)
    # Her organizer's own greeting opens it, once (not "Hello Member 0, / Dear friends,").
    assert text.startswith("Dear friends,") and "Hello Member 0" not in text
    assert "<b>Bring questions</b> & a cup of tea." in text
    assert "/signups/manage?token=" in text and "/signups/unsubscribe?token=" not in text
    assert "MBC Connection Group usually meets: First Tuesday of every month, 4:00 PM Mountain." in text
    assert "Questions? Write to" in text
    html = next(p for p in copy.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "&lt;b&gt;Bring questions&lt;/b&gt; &amp; a cup of tea." in html and "<b>" not in html
    assert '<a href="https://example.org/guest"' in html  # the address, without the full stop after it
    assert "font-size:13px" not in html
    [invite] = [p for p in copy.walk() if p.get_content_type() == "text/calendar"]
    ics = invite.get_payload(decode=True).decode()
    assert "/j/" in ics and ZOOM_URL not in ics and ZOOM_URL not in copy.as_string()


def test_bad_input_is_named_and_changes_nothing(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    cases = [
        ({"subject": "", "body": "Hi"}, "subject"),
        ({"subject": "Two\nlines", "body": "Hi"}, "subject"),
        ({"subject": "Hi", "body": "   \n "}, "body"),
        ({"subject": "Hi", "body": "x" * 10001}, "body"),
        ({"subject": "Hi", "body": "Hi", "attach_invite": "yes"}, "attach_invite"),
        ({"subject": "Hi", "body": "Hi", "to": "everyone"}, "to"),
    ]
    for body, field in cases:
        response = send(api, "POST", BASE, body, organizer_key)
        assert response.status_code == 400, body
        assert field in as_json(response)["error"]["fields"], body
    assert (
        send(
            api, "POST", "/groups/no-such-group/announcements", {"subject": "a", "body": "b"}, organizer_key
        ).status_code
        == 404
    )
    assert send(api, "GET", f"{BASE}/nope", None, organizer_key).status_code == 404
    assert send(api, "POST", BASE, {"subject": "a", "body": "b"}).status_code == 401
    assert as_json(send(api, "GET", BASE, None, organizer_key))["announcements"] == []
    assert outbox_messages(moto_stack.outbox) == []


def test_a_draft_can_be_discarded_but_not_a_sent_one(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    first = draft(api, organizer_key)
    assert send(api, "DELETE", f"{BASE}/{first['id']}", None, organizer_key).status_code == 400  # which version?
    assert send(api, "DELETE", f"{BASE}/{first['id']}?version=1", None, organizer_key).status_code == 204
    assert send(api, "GET", f"{BASE}/{first['id']}", None, organizer_key).status_code == 404
    second = draft(api, organizer_key)
    send(api, "POST", f"{BASE}/{second['id']}/send", {"version": 1}, organizer_key)
    assert send(api, "DELETE", f"{BASE}/{second['id']}?version=2", None, organizer_key).status_code == 409


def test_nobody_to_send_to_is_refused(api: Any, moto_stack: Stack, organizer_key: str) -> None:
    moto_stack.container.groups.create(group_body())
    made = draft(api, organizer_key)
    response = send(api, "POST", f"{BASE}/{made['id']}/send", {"version": 1}, organizer_key)
    assert response.status_code == 409
    assert as_json(send(api, "GET", f"{BASE}/{made['id']}", None, organizer_key))["status"] == "draft"


def test_a_crashed_sender_is_finished_by_the_next_run_without_duplicates(
    moto_stack: Stack, group: dict[str, Any]
) -> None:
    c = moto_stack.container
    org, _ = c.organizers.create(name="Org", email="org@example.org")
    made = c.announcements.draft(GROUP_ID, {"subject": "Hello", "body": "Hi all"}, organizer_id=org["id"])
    crashing = FakeSes(crash_after=1, crash_before_accept=True)  # dies before SES takes the second
    lease = [1_000_000.0]
    crashed = moto_stack.build(mailer=crashing, lease_clock=lambda: lease[0])
    crashed.announcements.send(GROUP_ID, made["id"], {"version": 1}, organizer_id=org["id"])
    with pytest.raises(Crash):
        crashed.announcements.deliver(GROUP_ID, made["id"])
    ses = FakeSes()
    later = moto_stack.build(mailer=ses, lease_clock=lambda: lease[0])
    later.announcements.continue_sending()
    assert len(ses.accepted) == 1  # the member whose claim is still leased waits
    lease[0] += 400  # the dead run's lease ran out
    later.announcements.continue_sending()
    everyone = [m.to for m in crashing.accepted + ses.accepted]
    assert sorted(everyone) == ["m0@example.org", "m1@example.org", "m2@example.org"]
    assert later.announcements.get(GROUP_ID, made["id"])["status"] == "sent"


def test_who_leaves_or_is_erased_before_their_turn_gets_nothing(moto_stack: Stack, group: dict[str, Any]) -> None:
    c = moto_stack.container
    org, _ = c.organizers.create(name="Org", email="org@example.org")
    made = c.announcements.draft(GROUP_ID, {"subject": "Hello", "body": "Hi all"}, organizer_id=org["id"])
    c.announcements.send(GROUP_ID, made["id"], {"version": 1}, organizer_id=org["id"])
    c.signups.repo.transition(
        GROUP_ID,
        signup_id_for(GROUP_ID, "m1@example.org"),
        from_statuses=("active",),
        to_status="unsubscribed",
        set_values={"unsubscribed_at": "2026-11-25T00:00:00+00:00"},
    )
    c.signups.erase(GROUP_ID, signup_id_for(GROUP_ID, "m0@example.org"))
    ses = FakeSes()
    moto_stack.build(mailer=ses).announcements.continue_sending()
    assert [m.to for m in ses.accepted] == ["m2@example.org"]
    assert c.announcements.get(GROUP_ID, made["id"])["status"] == "sent"
    m2 = signup_id_for(GROUP_ID, "m2@example.org")
    assert m2 in {r["signup_id"] for r in c.announcements.repo.rows(GROUP_ID, made["id"])}
    c.signups.erase(GROUP_ID, m2)
    assert c.announcements.repo.rows(GROUP_ID, made["id"]) == []  # erasure reaches the announcement's ledger


def test_overlapping_senders_send_once_each_on_dynamodb_local(ddb_stack: Stack) -> None:
    c = ddb_stack.container
    c.groups.create(group_body())
    add_members(c, 40)
    org, _ = c.organizers.create(name="Org", email="org@example.org")
    made = c.announcements.draft(GROUP_ID, {"subject": "Hello", "body": "Hi all"}, organizer_id=org["id"])
    c.announcements.send(GROUP_ID, made["id"], {"version": 1}, organizer_id=org["id"])
    ses = FakeSes(latency=0.005)
    senders = [ddb_stack.build(mailer=ses, workers=4).announcements for _ in range(3)]
    threads = [threading.Thread(target=s.deliver, args=(GROUP_ID, made["id"])) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ses.per_recipient().values()) == [1] * 40
    assert c.announcements.get(GROUP_ID, made["id"])["status"] == "sent"


def test_the_cli_drafts_and_sends(moto_stack: Stack, group: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    c = moto_stack.container
    org, _ = c.organizers.create(name="Org", email="org@example.org")
    code = cli.main(
        ["announcements", "draft", "--group", GROUP_ID, "--as", org["id"], "--subject", "Hi", "--body", "Hello all"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "It would go to 3 active members." in out
    announcement_id = out.split()[1]
    assert (
        cli.main(["announcements", "send", "--group", GROUP_ID, announcement_id, "--version", "2", "--as", org["id"]])
        == 4
    )
    assert (
        cli.main(["announcements", "send", "--group", GROUP_ID, announcement_id, "--version", "1", "--as", org["id"]])
        == 0
    )
    moto_stack.drain()
    assert len(member_copies(moto_stack)) == 3
    assert (
        cli.main(["announcements", "draft", "--group", GROUP_ID, "--as", org["id"], "--subject", "", "--body", "x"])
        == 2
    )


def test_finishing_reads_the_members_themselves_not_the_lagging_index(moto_stack: Stack, group: dict[str, Any]) -> None:
    """Issue 19: "every active member has it" was decided from the status index alone. A member
    approved a moment ago is not in the index yet (it lags); the announcement must not be marked
    sent without her, and she gets it on the next pass."""
    c = moto_stack.container
    organizer, _ = c.organizers.create(name="Olga Organizer", email="olga@example.org")
    late = signup_id_for(GROUP_ID, "waiting0@example.org")
    ses = FakeSes()
    lagging = LaggingIndex(moto_stack.client, hidden={late})
    sender = moto_stack.build(mailer=ses, dynamodb=lagging)
    made = c.announcements.draft(GROUP_ID, {"subject": "Hello", "body": "Text."}, organizer_id=organizer["id"])
    c.signups.approve(GROUP_ID, late, organizer_id=organizer["id"])  # active now; the index lags
    c.announcements.send(GROUP_ID, made["id"], {"version": made["version"]}, organizer_id=organizer["id"])
    sender.announcements.deliver(GROUP_ID, made["id"])
    record = c.announcements.repo.get(GROUP_ID, made["id"])
    assert record is not None and record["status"] == "sending"  # not finished without her
    lagging.hidden.clear()  # the index caught up
    sender.announcements.continue_sending()
    record = c.announcements.repo.get(GROUP_ID, made["id"])
    assert record is not None and record["status"] == "sent"
    assert ses.per_recipient()["waiting0@example.org"] == 1


class LaggingIndex:
    """A DynamoDB client whose index Queries do not list some signups yet (gsi1 is eventually
    consistent); everything else is the real client."""

    def __init__(self, client: Any, *, hidden: set[str]) -> None:
        self._client = client
        self.hidden = hidden

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **kwargs: Any) -> Any:
        resp = self._client.query(**kwargs)
        if kwargs.get("IndexName") and self.hidden:
            items = [i for i in resp.get("Items", []) if i.get("sk", {}).get("S") not in self.hidden]
            resp = {**resp, "Items": items, "Count": len(items)}
        return resp


class SlowInvocation:
    """The outbox Lambda's context: 120 s at first, and every email SES takes costs 8 s of it."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.left * 1000)


class SlowSes(FakeSes):
    def __init__(self, invocation: SlowInvocation) -> None:
        super().__init__()
        self.invocation = invocation
        self.left_at_send: list[float] = []

    def send(self, mail: Any) -> str:
        self.left_at_send.append(self.invocation.left)
        self.invocation.left -= 8.0
        return super().send(mail)


def test_passes_in_one_outbox_batch_stop_before_the_invocations_deadline(moto_stack: Stack) -> None:
    """Two announcement passes in one stream batch share the outbox Lambda's 120 s: each budgets
    from the invocation's time left (not a minute of its own), stops well before the deadline and
    hands over; the handover finishes the rest, once each."""
    from app import outbox_sender

    c = moto_stack.container
    c.groups.create(group_body())
    add_members(c, 8)
    org, _ = c.organizers.create(name="Org", email="org@example.org")
    made = [
        c.announcements.draft(GROUP_ID, {"subject": f"News {n}", "body": "Hi all"}, organizer_id=org["id"])
        for n in range(2)
    ]
    before = {item["id"] for item in c.outbox.repo.pending(created_before="~")}
    for one in made:
        c.announcements.send(GROUP_ID, one["id"], {"version": 1}, organizer_id=org["id"])
    passes = [item for item in c.outbox.repo.pending(created_before="~") if item["id"] not in before]
    assert [item["kind"] for item in passes] == ["announcement", "announcement"]
    invocation = SlowInvocation(120.0)
    ses = SlowSes(invocation)
    moto_stack.rebuild(mailer=ses, workers=1)
    batch = {
        "Records": [
            {
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-west-2",
                "eventID": str(n),
                "eventSourceARN": "arn:aws:dynamodb:us-west-2:000000000000:table/t/stream/1",
                "dynamodb": {
                    "Keys": {"pk": {"S": f"OUTBOX#{item['id']}"}, "sk": {"S": "OUTBOX"}},
                    "NewImage": {
                        "pk": {"S": f"OUTBOX#{item['id']}"},
                        "sk": {"S": "OUTBOX"},
                        "status": {"S": "pending"},
                    },
                    "SequenceNumber": str(n),
                    "ApproximateCreationDateTime": 1_800_000_000,
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
            for n, item in enumerate(passes)
        ]
    }
    outbox_sender(batch, invocation)
    assert ses.left_at_send, "the first pass sent nothing"
    # Nothing was sent within the safety margin and the reserve left to the rest of the batch.
    assert min(ses.left_at_send) >= 30.0  # the sending safety margin (20 s) and the reserve (10 s)
    assert len(ses.accepted) < 16  # so the passes stopped early ...
    handed_over = [i for i in c.outbox.repo.pending(created_before="~") if i["kind"] == "announcement"]
    assert handed_over  # ... and handed over to fresh items
    # The scheduled run (or the next pass) finishes: each member gets each announcement once.
    moto_stack.rebuild(mailer=ses, workers=1)
    invocation.left = 900.0
    c = moto_stack.container
    c.announcements.continue_sending()
    per_pair = [(m.to, m.subject) for m in ses.accepted]
    assert len(per_pair) == len(set(per_pair)) == 16
    assert {c.announcements.get(GROUP_ID, one["id"])["status"] for one in made} == {"sent"}


def test_the_cli_names_its_flags_and_a_missing_file_in_words(
    moto_stack: Stack, group: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """A new user was told 'subject: ...' and 'body: ...' (fields she never typed) and, for a
    --body-file that was not there, 'FileNotFoundError'."""
    org, _ = moto_stack.container.organizers.create(name="Org", email="org@example.org")
    draft = ["announcements", "draft", "--group", GROUP_ID, "--as", org["id"]]
    assert cli.main([*draft, "--subject", "", "--body", ""]) == 2
    err = capsys.readouterr().err
    assert "  --subject: " in err and "  --body: " in err
    assert "\n  subject:" not in err and "\n  body:" not in err
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert cli.main([*draft, "--subject", "Hi", "--body-file", str(empty)]) == 2
    assert "  --body-file: " in capsys.readouterr().err
    assert cli.main([*draft, "--subject", "Hi", "--body-file", str(tmp_path / "nope.txt")]) == 2
    err = capsys.readouterr().err
    assert "--body-file: No such file: check the folder and the name." in err
    assert "FileNotFoundError" not in err
    assert cli.main([*draft, "--subject", "Hi", "--body-file", str(tmp_path)]) == 2
    assert "--body-file: That is a folder, not a file." in capsys.readouterr().err
    assert moto_stack.container.announcements.list_page(GROUP_ID, {"limit": "5"})["announcements"] == []
