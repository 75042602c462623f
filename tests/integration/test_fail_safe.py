"""Fail safe (issue 12): email a change promises is never lost and never sent by a request that
failed; the signup POST is the same work whatever the address; stale links and odd input get
clear answers; outages answer 503; erasure and key rotation keep their promises."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import container
from chalicelib.mail.backends import SendError
from chalicelib.mail.message import OutgoingEmail
from tests.support.builders import (
    GROUP_ID,
    T_MINUS_30M,
    add_members,
    as_json,
    group_body,
    link_in,
    outbox_messages,
    plain_text,
    send,
    signup_body,
)
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack, make_client

SIGNUPS = f"/groups/{GROUP_ID}/signups"


class BrokenSes:
    """SES refusing everything with one error."""

    def __init__(self, kind: str, code: str) -> None:
        self.error = SendError(kind, code)
        self.attempts = 0

    def send(self, mail: OutgoingEmail) -> str:
        self.attempts += 1
        raise self.error


def confirm_link(stack: Stack, to: str = "ann@example.org") -> str:
    [mail] = [m for m in outbox_messages(stack.outbox) if m["To"] == to and "confirm" in m["Subject"].lower()]
    return link_in(mail, "/signups/confirm")


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return dict(moto_stack.container.groups.create(group_body()))


# ---------------------------------------------------------------- the outbox


def test_a_failed_welcome_never_fails_the_approval_and_is_sent_later(
    moto_stack: Stack, group: dict[str, Any], organizer_key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body())
        api.http.post(confirm_link(moto_stack), headers={"Content-Type": "application/json"})
        [pending] = as_json(send(api, "GET", f"{SIGNUPS}?status=pending_approval", None, organizer_key))["signups"]
        broken = BrokenSes("config", "NotFoundException")
        moto_stack.rebuild(mailer=broken)
        approved = send(api, "POST", f"{SIGNUPS}/{pending['id']}/approve", None, organizer_key)
        assert approved.status_code == 200 and as_json(approved)["status"] == "active"
        assert broken.attempts == 1  # the welcome was tried (after the approval committed) and failed
        assert '"event": "outbox_failed"' in capsys.readouterr().out  # and the alarm's line was written
        moto_stack.rebuild()  # the configuration is fixed
        moto_stack.drain()
        assert not [m for m in outbox_messages(moto_stack.outbox) if m["Subject"].startswith("Welcome")]
        moto_stack.clock.advance(minutes=15)  # sending was paused for everyone until the next run
        assert moto_stack.drain() >= 1
    [welcome] = [m for m in outbox_messages(moto_stack.outbox) if m["Subject"].startswith("Welcome")]
    assert link_in(welcome, "/signups/manage")  # leaving and erasing reach the member after all


def test_a_redelivered_stream_record_sends_nothing_twice(ddb_stack: Stack) -> None:
    ddb_stack.container.groups.create(group_body())
    ses = FakeSes()
    app = ddb_stack.rebuild(mailer=ses)
    app.signups.submit(GROUP_ID, app.signups.parse_form(signup_body()), source_ip="10.0.0.1")
    ddb_stack.drain()
    assert len(ses.accepted) == 1
    [item] = app.outbox_items.pending(due_before="9999") or [None]
    assert item is None  # nothing left pending
    # Hand every outbox record of the stream to the handler again, as a retried batch would.
    ddb_stack._poller.done.clear()  # type: ignore[union-attr]
    ddb_stack.drain()
    assert len(ses.accepted) == 1


def test_the_signup_post_does_the_same_storage_work_for_every_address_state(
    moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    """Same calls, same order, whatever the address: the timing tells a prober nothing
    (docs/benchmarks.md measures the time too)."""
    c = moto_stack.container
    add_members(c, 1, prefix="active")
    add_members(c, 1, prefix="pending", status="pending_confirmation")
    add_members(c, 1, prefix="left", status="unsubscribed")
    add_members(c, 1, prefix="rejected", status="rejected")
    add_members(c, 1, prefix="bounced", status="bounced")
    calls: list[str] = []
    moto_stack.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    sequences = {}
    with make_client(moto_stack) as api:
        for email in (
            "new@example.org",
            "active0@example.org",
            "pending0@example.org",
            "left0@example.org",
            "rejected0@example.org",
            "bounced0@example.org",
        ):
            calls.clear()
            response = api._client.http.post(  # no drain: only the request's own work
                SIGNUPS,
                headers={"Content-Type": "application/json"},
                body=json.dumps(signup_body(email=email)).encode(),
            )
            assert (response.status_code, response.body) == (202, b'{"status":"check_your_email"}')
            sequences[email] = list(calls)
    assert len({tuple(s) for s in sequences.values()}) == 1, sequences
    assert sequences["new@example.org"] == ["GetItem", "UpdateItem", "PutItem"]  # group, IP counter, the form


def test_a_request_that_fails_sends_no_email(moto_stack: Stack, group: dict[str, Any]) -> None:
    with make_client(moto_stack) as api:
        bad = send(api, "POST", SIGNUPS, signup_body(state="CA"))
        assert bad.status_code == 400
        paused = moto_stack.container.groups.update(GROUP_ID, {"version": 1, "status": "paused"}, if_match=None)
        assert paused["status"] == "paused"
        assert send(api, "POST", SIGNUPS, signup_body()).status_code == 409
    assert outbox_messages(moto_stack.outbox) == []
    assert moto_stack.container.signups.pending_intakes("9999") == []


def test_a_stranger_cannot_change_a_pending_persons_details(moto_stack: Stack, group: dict[str, Any]) -> None:
    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body(name="Ann Real", state="MT"))
        first = confirm_link(moto_stack)
        moto_stack.clock.advance(minutes=11)  # past the address spacing
        send(api, "POST", SIGNUPS, signup_body(name="Mallory", state="ID"))
        record = moto_stack.container.signups.members(GROUP_ID).__next__()
        assert (record["name"], record["state"]) == ("Ann Real", "MT")  # unchanged until a link says so
        second = [m for m in outbox_messages(moto_stack.outbox) if "Mallory" in plain_text(m)]
        assert second and "You are signing up as Mallory, living in Idaho" in plain_text(second[0])
        # Ann's own link confirms what she typed.
        api.http.post(first, headers={"Content-Type": "application/json"})
    record = moto_stack.container.signups.members(GROUP_ID).__next__()
    assert (record["name"], record["state"], record["status"]) == ("Ann Real", "MT", "pending_approval")


def test_leaving_and_signing_up_again_at_once_gets_a_confirmation(moto_stack: Stack, group: dict[str, Any]) -> None:
    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body())
        first = confirm_link(moto_stack)
        [welcome_link] = [first]
        unsubscribe = first.replace("/signups/confirm", "/signups/unsubscribe")
        token = first.split("token=", 1)[1]
        from chalicelib.signing import make_token

        member = moto_stack.container.signups.read_link(token, "confirm")
        unsubscribe_token = make_token("unsubscribe", {"g": member.group_id, "s": member.signup_id, "n": member.gen})
        assert api.http.post(f"/signups/unsubscribe?token={unsubscribe_token}").status_code == 200
        moto_stack.clock.advance(minutes=2)  # within the 10-minute spacing
        send(api, "POST", SIGNUPS, signup_body())
        assert welcome_link and unsubscribe
    confirmations = [m for m in outbox_messages(moto_stack.outbox) if "confirm" in m["Subject"].lower()]
    assert len(confirmations) == 2  # not stuck: the new signup's confirmation came at once


def test_old_unsubscribe_and_erase_links_act_on_the_current_signup(moto_stack: Stack, group: dict[str, Any]) -> None:
    from chalicelib.signing import make_token

    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body())
        member = moto_stack.container.signups.read_link(confirm_link(moto_stack).split("token=", 1)[1], "confirm")
        old = {"g": member.group_id, "s": member.signup_id, "n": member.gen}
        assert api.http.post(f"/signups/unsubscribe?token={make_token('unsubscribe', old)}").status_code == 200
        moto_stack.clock.advance(minutes=20)
        send(api, "POST", SIGNUPS, signup_body())  # signs up again: a new generation
        current = next(moto_stack.container.signups.members(GROUP_ID))
        assert current["status"] == "pending_confirmation" and current["gen"] != member.gen
        # The earlier signup's unsubscribe link (the mailbox is the same) leaves the current signup...
        done = api.http.post(f"/signups/unsubscribe?token={make_token('unsubscribe', old)}")
        assert as_json(done) == {"status": "unsubscribed"}
        assert next(moto_stack.container.signups.members(GROUP_ID))["status"] == "unsubscribed"
        # ...and its erase link erases it: never "done" while nothing happened.
        assert as_json(api.http.post(f"/signups/erase?token={make_token('erase', old)}")) == {"status": "erased"}
        assert list(moto_stack.container.signups.members(GROUP_ID)) == []
        # An outdated confirmation link says so.
        stale = api.http.post(f"/signups/confirm?token={make_token('confirm', old)}")
        assert stale.status_code == 400 and as_json(stale)["error"]["code"] == "token_gone"


# ---------------------------------------------------------------- odd input


def test_odd_input_gets_a_clear_400_and_changes_nothing(
    moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    with make_client(moto_stack) as api:
        deep = api.http.post(
            "/events",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {organizer_key}"},
            body=b"[" * 60_000,
        )
        assert deep.status_code == 400 and as_json(deep)["error"]["fields"] == {"body": "Not valid JSON."}
        crlf = api.http.post(
            SIGNUPS,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            body=b"name=Ann&email=ann%40example.org&state=MT&consent=on&redirect=https%3A%2F%2Fwww.example.org%2Fx%0D%0ASet-Cookie%3A+a%3Db",
        )
        assert crlf.status_code == 400 and "redirect" in as_json(crlf)["error"]["fields"]
        for param in ("from=0001-01-01", "from=9999-12-31T23:59:59", "to=9999-12-31"):
            bounds = api.http.get(f"/events?{param}")
            name = param.split("=")[0]
            assert bounds.status_code == 400 and name in as_json(bounds)["error"]["fields"], param
        for rule in ("FREQ=DAILY;INTERVAL=0", "FREQ=WEEKLY;INTERVAL=0", "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2"):
            started = time.monotonic()
            refused = send(
                api, "PATCH", f"/groups/{GROUP_ID}/settings", {"version": 1, "schedule": {"rrule": rule}}, organizer_key
            )
            assert refused.status_code == 400 and time.monotonic() - started < 3, rule
            assert "schedule.rrule" in as_json(refused)["error"]["fields"]
            assert "day is out of range" not in as_json(refused)["error"]["fields"]["schedule.rrule"]
        for sneaky in ("Ann\u202eevil", "Ann\u2028Two", "Ann\u200dBee", "\ufeffAnn"):
            named = send(api, "POST", SIGNUPS, signup_body(name=sneaky))
            assert named.status_code == 400 and "name" in as_json(named)["error"]["fields"], repr(sneaky)
        titled = send(
            api,
            "POST",
            "/events",
            {
                "title": "Walk\u202e",
                "starts_at": "2030-01-01T10:00:00-07:00",
                "ends_at": "2030-01-01T11:00:00-07:00",
                "format": "virtual",
                "states": ["MT"],
            },
            organizer_key,
        )
        assert titled.status_code == 400 and "title" in as_json(titled)["error"]["fields"]
        for address in ("a@b.c", "ann@localhost"):
            assert send(api, "POST", SIGNUPS, signup_body(email=address)).status_code == 400
    assert outbox_messages(moto_stack.outbox) == []
    assert list(moto_stack.container.signups.members(GROUP_ID)) == []


def test_full_width_and_plain_addresses_are_one_person(moto_stack: Stack, group: dict[str, Any]) -> None:
    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body(email="ann@example.org"))
        send(api, "POST", SIGNUPS, signup_body(email="\uff41\uff4e\uff4e@example.org"))  # full-width "ann"
    assert [r["email"] for r in moto_stack.container.signups.members(GROUP_ID)] == ["ann@example.org"]


# ---------------------------------------------------------------- outages


def test_storage_outages_answer_503_with_retry_after_everywhere(moto_stack: Stack, organizer_key: str) -> None:
    from chalicelib.aws import dynamodb_client

    dead = replace(moto_stack.settings, dynamodb_endpoint="http://127.0.0.1:9")  # nothing listens there
    moto_stack.settings = dead
    moto_stack.rebuild(dynamodb=dynamodb_client(dead))
    with make_client(moto_stack) as api:
        for method, path, key in (
            ("GET", "/events", None),
            ("GET", f"/groups/{GROUP_ID}", None),
            ("POST", SIGNUPS, None),
            ("GET", SIGNUPS, organizer_key),
            ("POST", "/events", organizer_key),
        ):
            body = signup_body() if method == "POST" else None
            response = api._client.http.request(
                method,
                path,
                headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})},
                body=json.dumps(body).encode() if body else b"",
            )
            assert response.status_code == 503, (method, path, response.body)
            assert int(response.headers["Retry-After"]) > 0
            assert as_json(response)["error"]["code"] == "unavailable"


# ---------------------------------------------------------------- erasure and keys


def test_erasure_removes_ledger_rows_of_upcoming_meetings(ddb_stack: Stack) -> None:
    c = ddb_stack.container
    c.groups.create(group_body())
    [member] = add_members(c, 1)
    ses = FakeSes()
    ddb_stack.clock.set(T_MINUS_30M)
    ddb_stack.build(mailer=ses).distributor.run()
    assert c.ledger.rows(GROUP_ID, "2026-12-01")
    assert c.signups.erase(GROUP_ID, member["id"])
    assert c.ledger.rows(GROUP_ID, "2026-12-01") == []
    rows = c.ledger.rows(GROUP_ID, "2026-12-01")
    assert all(r["expires_at"] > 0 for r in rows)


def test_ledger_and_outbox_items_expire(moto_stack: Stack, group: dict[str, Any]) -> None:
    add_members(moto_stack.container, 1)
    moto_stack.clock.set(T_MINUS_30M)
    moto_stack.build(mailer=FakeSes()).distributor.run()
    [row] = moto_stack.container.ledger.rows(GROUP_ID, "2026-12-01")
    meeting_end = T_MINUS_30M + timedelta(minutes=120)
    assert row["expires_at"] == int((meeting_end + timedelta(days=90)).timestamp())
    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body(email="new@example.org"))
    items = moto_stack.client.scan(TableName=moto_stack.table)["Items"]  # a test may look at everything
    outbox = [i for i in items if i["pk"]["S"].startswith("OUTBOX#")]
    assert outbox and all("expires_at" in i and i["status"]["S"] == "sent" for i in outbox)
    intakes = [i for i in items if i["pk"]["S"].startswith("INTAKE#")]
    # The form is gone once processed: a tombstone holds its request id only, and expires within a day.
    assert intakes and all(set(i) == {"pk", "sk", "done", "expires_at"} for i in intakes)


def test_rotating_the_signing_key_keeps_links_and_identities(moto_stack: Stack, group: dict[str, Any]) -> None:
    from chalicelib import signing
    from chalicelib.signups.addresses import email_hash

    with make_client(moto_stack) as api:
        send(api, "POST", SIGNUPS, signup_body())
    old_link = confirm_link(moto_stack)
    identity = email_hash("ann@example.org")
    key_file = moto_stack.settings.signing_key_file
    with open(key_file, "rb") as fh:
        old_key = fh.read()
    with open(key_file + "-previous", "wb") as fh:  # the rotation: the old key becomes "previous"
        fh.write(old_key)
    with open(key_file, "wb") as fh:
        fh.write(b"n" * 64)
    container.reset()
    moto_stack.rebuild()
    for cached in (signing.signing_key, signing.previous_signing_key, signing.identity_key):
        cached.cache_clear()
    assert email_hash("ann@example.org") == identity  # the same person: no second record
    with make_client(moto_stack) as api:
        confirmed = api.http.post(old_link, headers={"Content-Type": "application/json"})
        assert as_json(confirmed) == {"status": "pending_approval"}  # an old link still works...
        send(api, "POST", SIGNUPS, signup_body())
    assert len(list(moto_stack.container.signups.members(GROUP_ID))) == 1
    import os

    os.remove(key_file + "-previous")  # ...until the grace period ends
    signing.previous_signing_key.cache_clear()
    with make_client(moto_stack) as api:
        gone = api.http.post(old_link, headers={"Content-Type": "application/json"})
        assert gone.status_code == 400 and as_json(gone)["error"]["code"] == "token_invalid"


# ---------------------------------------------------------------- SES errors in the distribution


@pytest.mark.parametrize(
    ("kind", "code", "stopped"),
    [
        ("config", "NotFoundException", "config"),
        ("account", "AccountSuspendedException", "account"),
        ("unknown", "InternalFailure", "error"),
    ],
)
def test_ses_errors_that_are_not_about_a_recipient_stop_the_run_and_keep_the_mail(
    ddb_stack: Stack, kind: str, code: str, stopped: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ddb_stack.container.groups.create(group_body())
    add_members(ddb_stack.container, 5)
    ddb_stack.clock.set(T_MINUS_30M)
    broken = BrokenSes(kind, code)
    report = ddb_stack.build(mailer=broken, workers=1).distributor.run()
    assert report.stopped == stopped and report.sent == 0 and report.failed == 0
    # Stopped at the first (the third unknown answer: one lost answer is not an outage); nobody
    # marked failed, nothing retried at once.
    assert broken.attempts == (3 if kind == "unknown" else 1)
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["event"], summary["stopped"]) == ("distribution_run", stopped)
    assert summary["scope"] == "all"  # the schedule's own run (a catch-up says "member")
    rows = ddb_stack.container.ledger.rows(GROUP_ID, "2026-12-01")
    assert all(r["status"] != "failed" for r in rows)
    if kind != "unknown":
        assert rows == []  # claims released: the next run (once fixed) sends to everyone
    # Leases are wall-clock seconds shared by processes (the default lease_clock); 10 minutes on.
    after_lease = lambda: time.time() + 600  # noqa: E731  # real clock: leases
    later = ddb_stack.build(mailer=FakeSes(), lease_clock=after_lease).distributor.run()
    assert later.sent == 5


def test_one_lost_answer_from_ses_does_not_hold_up_everyone_else(ddb_stack: Stack) -> None:
    """A timeout or a closed connection after the request left: that member's claim waits out its
    lease (SES may have taken it), and the run goes on with the others."""
    from botocore.exceptions import ConnectionClosedError

    from chalicelib.mail.backends import classify

    assert classify(ConnectionClosedError(endpoint_url="https://email")).kind == "unknown"  # type: ignore[union-attr]
    ddb_stack.container.groups.create(group_body())
    add_members(ddb_stack.container, 5)
    ddb_stack.clock.set(T_MINUS_30M)

    class OneLost(FakeSes):
        def send(self, mail: Any) -> str:
            if mail.to == "m2@example.org" and not getattr(self, "lost", False):
                self.lost = True
                self.accepted.append(mail)  # SES took it; its answer never came back
                raise SendError("unknown", "ConnectionClosedError")
            return super().send(mail)

    ses = OneLost()
    report = ddb_stack.build(mailer=ses, workers=1).distributor.run()
    assert (report.sent, report.deferred, report.stopped) == (4, 1, None)
    # Leases are wall-clock seconds shared by processes (the default lease_clock); 10 minutes on.
    after_lease = lambda: time.time() + 600  # noqa: E731  # real clock: leases
    later = ddb_stack.build(mailer=ses, lease_clock=after_lease).distributor.run()
    assert later.sent == 1  # after the lease: the one duplicate window, and nothing else
    assert sorted(ses.per_recipient().values()) == [1, 1, 1, 1, 2]


def test_failed_deliveries_can_be_requeued(ddb_stack: Stack) -> None:
    import subprocess
    import sys

    from tests.support.stacks import ROOT

    ddb_stack.container.groups.create(group_body())
    add_members(ddb_stack.container, 3)
    ddb_stack.clock.set(T_MINUS_30M)
    run = ddb_stack.build(mailer=FakeSes(reject={"m0@example.org", "m1@example.org"})).distributor.run()
    assert (run.sent, run.failed) == (1, 2)
    again = ddb_stack.build(mailer=FakeSes()).distributor.run()
    assert again.planned == 0  # failed is final until someone requeues
    done = subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", "reminders", "requeue", "--group", GROUP_ID, "--date", "2026-12-01"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "2 failed deliveries" in done.stdout
    assert ddb_stack.build(mailer=FakeSes()).distributor.run().sent == 2


@pytest.mark.parametrize("lose_answer", [False, True], ids=["refused", "answer_lost"])
@pytest.mark.parametrize("route", ["signups", "resend"])
def test_a_request_answered_503_changed_nothing_and_a_202_was_kept(
    moto_stack: Stack, group: dict[str, Any], lose_answer: bool, route: str
) -> None:
    """Issue 19: a signup answered 503 during an outage had been stored, and its confirmation went
    out. The outage is injected at each storage call of the request in turn (refused, or done with
    its answer lost, as a timeout after DynamoDB wrote): a 503 leaves no form and sends nothing,
    even when the lost write is replayed late; a 202 is processed and sends its email. The same
    for "send me the link again" (an active member's link)."""
    from tests.support.faulty_client import FaultyClient

    ops = {"get_item", "put_item", "update_item", "delete_item", "query", "batch_get_item", "transact_write_items"}
    if route == "resend":
        add_members(moto_stack.container, 8, prefix="p")
    for n in range(1, 8):
        email = f"p{n}@example.org"
        faulty = FaultyClient(moto_stack.client, fail_at=n, operations=ops, lose_answer=lose_answer)
        moto_stack.rebuild(dynamodb=faulty)
        body = signup_body(email=email) if route == "signups" else {"email": email}
        with make_client(moto_stack) as api:
            answer = api._client.http.post(
                f"/groups/{GROUP_ID}/{route}",
                headers={"Content-Type": "application/json"},
                body=json.dumps(body).encode(),
            )
            if answer.status_code == 503:
                for name, late in faulty.failed_calls:  # the write lands after the request gave up
                    if name == "put_item":
                        with contextlib.suppress(moto_stack.client.exceptions.ConditionalCheckFailedException):
                            moto_stack.client.put_item(**late)
            moto_stack.rebuild()
            moto_stack.drain()
        emails = [m for m in outbox_messages(moto_stack.outbox) if m["To"] == email]
        stored = moto_stack.container.signups.get(GROUP_ID, signup_id_for_test(email))
        assert answer.status_code in (202, 503), (n, answer.status_code)
        if answer.status_code == 202:
            assert len(emails) == 1 and stored is not None, n
        else:
            assert emails == [], (n, faulty.failed)
            assert (stored is None) if route == "signups" else True


def signup_id_for_test(email: str) -> str:
    from chalicelib.signups.addresses import signup_id_for

    return signup_id_for(GROUP_ID, email)
