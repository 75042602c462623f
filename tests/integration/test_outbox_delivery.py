"""The outbox under the stream's real semantics (issue 19 section 1), on DynamoDB Local with its
stream played by devtools/stream_poller.py from the deployed mapping's definition, and SES played
by a client stand-in behind the app's real SesMailer (so its errors are classified as in AWS).

Every promised email is sent exactly once, or is visibly parked with an alarm line; an email that
cannot go out costs a bounded number of SES calls; one bad item never stops the others."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.container import Container
from chalicelib.db import Transaction
from chalicelib.outbox.promise import new_outbox_id
from chalicelib.outbox.sender import MAX_ATTEMPTS
from chalicelib.signups.storage import signup_key
from tests.support.builders import GROUP_ID, add_members, group_body, signup_body
from tests.support.ses_faults import Crash, FaultySesClient, client_error
from tests.support.stacks import Stack

T0 = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # a Friday, well before the group's first meeting
QUARTER = timedelta(minutes=15)


def alarm_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"event": "outbox_failed"' in line]


def sign_up(app: Container, email: str) -> None:
    app.signups.submit(GROUP_ID, app.signups.parse_form(signup_body(email=email)), source_ip="10.0.0.1")


def scheduled_runs(stack: Stack, app: Container, count: int) -> list[dict[str, Any]]:
    """The 15-minute schedule, ``count`` times: the clock moves on, the whole scheduled function
    runs (sweep, link windows, distribution, announcements), then the stream catches up."""
    from chalicelib.distribution.scheduled import every_quarter_hour

    reports = []
    for _ in range(count):
        stack.clock.advance(minutes=15)
        reports.append(every_quarter_hour(app))
        stack.drain()
    return reports


def statuses(app: Container, ids: list[str]) -> list[str]:
    return [str((app.outbox_items.get(i) or {}).get("status")) for i in ids]


def outbox_ids(stack: Stack) -> list[str]:
    items = stack.client.scan(TableName=stack.table)["Items"]  # a test may look at everything
    return sorted(i["pk"]["S"].split("#", 1)[1] for i in items if i["pk"]["S"].startswith("OUTBOX#"))


@pytest.fixture
def ready(ddb_stack: Stack) -> Stack:
    ddb_stack.clock.set(T0)
    ddb_stack.container.groups.create(group_body())
    return ddb_stack


def test_an_email_during_an_ses_pause_costs_one_call_per_run_and_goes_out_after(
    ready: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    ses = FaultySesClient(fault="paused")
    app = ready.rebuild(mailer=ses.mailer())
    sign_up(app, "ann@example.org")
    ready.drain()
    assert ses.calls == 1  # tried once; SES answered "sending paused"
    sign_up(app, "bea@example.org")  # promised while paused: the stream leaves it to the sweep
    ready.drain()
    assert ses.calls == 1
    runs = 8  # two hours of the schedule
    scheduled_runs(ready, app, runs)
    assert ses.calls == 1 + runs and ses.accepted == []  # one question per run, whatever waits
    poller = ready._poller
    assert poller is not None and poller.failed == [] and poller.invocations <= 4  # no re-invocation
    lines = alarm_lines(capsys)
    assert lines and {line["status"] for line in lines} == {"paused"}  # for everyone, never per item
    assert len(lines) <= 1 + runs
    ses.fault = None  # the account may send again
    scheduled_runs(ready, app, 1)
    assert ses.recipients() == {"ann@example.org": 1, "bea@example.org": 1}
    assert app.outbox.parked() == [] and app.outbox_items.pending(due_before="~") == []
    assert set(statuses(app, outbox_ids(ready))) == {"sent"}


@pytest.mark.parametrize("fault", ["suspended", "denied"])
def test_account_and_permission_errors_stop_sending_for_everyone(ready: Stack, fault: str) -> None:
    ses = FaultySesClient(fault=fault)
    app = ready.rebuild(mailer=ses.mailer())
    for name in ("ann", "bea", "cat"):
        sign_up(app, f"{name}@example.org")
    ready.drain()
    assert ses.calls == 1  # the first refusal stopped the batch: the others were not tried
    assert app.outbox.paused_until() is not None
    ses.fault = None
    app.outbox.resume()  # an admin: `make cli ARGS='outbox resume'` once the account is fixed
    ready.clock.advance(minutes=3)
    app.outbox.sweep(pending_intake=app.signups.pending_intakes)
    assert sorted(ses.recipients().values()) == [1, 1, 1]


def test_a_throttled_email_is_retried_by_the_sweep_with_backoff_and_not_held_by_its_own_slot(ready: Stack) -> None:
    ses = FaultySesClient()
    app = ready.rebuild(mailer=ses.mailer())
    sign_up(app, "ann@example.org")
    ready.drain()
    first = outbox_ids(ready)
    ready.clock.advance(minutes=11)
    start = ready.clock.now()
    ses.script = ["throttle", "throttle"]
    sign_up(app, "ann@example.org")  # the same address again: a confirmation held to one per 10 minutes
    ready.drain()
    [item_id] = [i for i in outbox_ids(ready) if i not in first]
    item = app.outbox_items.get(item_id)
    assert item is not None and item["status"] == "pending" and item["attempts"] == 1
    assert item["next_attempt_at"] == (start + timedelta(minutes=1)).isoformat(timespec="microseconds")
    app.outbox.sweep(min_age=timedelta(0))  # not due yet: no SES call, whoever asks
    assert ses.calls == 2
    ready.clock.advance(minutes=1)
    app.outbox.sweep(min_age=timedelta(0))
    item = app.outbox_items.get(item_id)
    assert ses.calls == 3 and item is not None and item["attempts"] == 2
    assert item["next_attempt_at"] == (start + timedelta(minutes=3)).isoformat(timespec="microseconds")
    ready.clock.advance(minutes=2)  # within the address's 10-minute spacing
    app.outbox.sweep(min_age=timedelta(0))
    assert ses.recipients() == {"ann@example.org": 2}  # not "held: address limit"
    assert statuses(app, [item_id]) == ["sent"]
    # Only accepted emails spent a slot of the address's daily allowance.
    from chalicelib.signups.addresses import email_hash
    from chalicelib.signups.records import ADDRESS_RATE_PREFIX

    counter = ready.client.get_item(
        TableName=ready.table,
        Key={"pk": {"S": ADDRESS_RATE_PREFIX + email_hash("ann@example.org")}, "sk": {"S": T0.strftime("%Y-%m-%d")}},
    )["Item"]
    assert counter["n"] == {"N": "2"}


def test_a_poison_item_is_parked_with_an_alarm_while_everything_else_goes_out(
    ready: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    ses = FaultySesClient()
    app = ready.rebuild(mailer=ses.mailer())
    # A record an upgrade no longer reads: a pending signup without its generation.
    [old] = add_members(app, emails=["old@example.org"], status="pending_confirmation")
    ready.client.update_item(TableName=ready.table, Key=signup_key(GROUP_ID, old["id"]), UpdateExpression="REMOVE gen")
    poison = new_outbox_id(T0)
    item: Any = {"id": poison, "kind": "confirm", "status": "pending", "created_at": T0.isoformat()}
    item.update(group_id=GROUP_ID, signup_id=old["id"], gen="1")
    Transaction().add("mail", app.outbox_items.new_item(item)).commit(ready.client)
    sign_up(app, "ann@example.org")
    ready.drain()
    reports = scheduled_runs(ready, app, 10)  # 2.5 hours
    assert len(reports) == 10 and all("outbox" in report for report in reports)  # every run went on
    sign_up(app, "bea@example.org")
    ready.drain()
    assert ses.recipients() == {"ann@example.org": 1, "bea@example.org": 1}
    assert ses.calls == 2  # the poison item never reached SES
    [parked] = app.outbox.parked()
    assert parked["id"] == poison and parked["attempts"] == MAX_ATTEMPTS
    assert (parked["kind"], parked["group_id"], parked["reason"]) == ("confirm", GROUP_ID, "handler:KeyError")
    [alarm] = [line for line in alarm_lines(capsys) if line["status"] == "parked"]
    assert (alarm["outbox_id"], alarm["reason"]) == (poison, "handler:KeyError")
    # An admin decides: retry (after a fix) or discard.
    app.outbox.discard_parked(poison)
    assert app.outbox.parked() == [] and statuses(app, [poison]) == ["discarded"]


def test_a_lost_answer_parks_the_item_and_nothing_sends_it_again_on_its_own(
    ready: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    ses = FaultySesClient()
    ses.script = ["lost"]
    app = ready.rebuild(mailer=ses.mailer())
    sign_up(app, "ann@example.org")
    sign_up(app, "bea@example.org")
    ready.drain()
    scheduled_runs(ready, app, 4)
    assert ses.recipients() == {"ann@example.org": 1, "bea@example.org": 1}  # ann's went out once (unheard)
    [parked] = app.outbox.parked()
    assert parked["reason"] == "outcome_unknown:ReadTimeoutError"
    assert [line["status"] for line in alarm_lines(capsys)] == ["parked"]
    app.outbox.retry_parked(parked["id"])  # an admin's explicit decision: send it again
    scheduled_runs(ready, app, 1)
    assert ses.recipients() == {"ann@example.org": 2, "bea@example.org": 1}


def test_a_crash_between_the_send_and_its_record_never_sends_twice(ready: Stack) -> None:
    ses = FaultySesClient()
    ses.script = ["crash"]
    app = ready.rebuild(mailer=ses.mailer())
    sign_up(app, "ann@example.org")
    with pytest.raises(Crash):
        ready.drain()
    # A new process; the crashed one's lease runs out.
    # Leases are wall-clock seconds shared by processes (the default lease_clock); 10 minutes on.
    later = ready.rebuild(mailer=ses.mailer(), lease_clock=lambda: time.time() + 600)  # real clock: leases
    later.outbox.sweep(min_age=timedelta(0))
    scheduled_runs(ready, later, 2)
    assert ses.recipients() == {"ann@example.org": 1}
    [parked] = later.outbox.parked()
    assert parked["reason"] == "outcome_unknown"


class StorageOutage:
    """DynamoDB refuses the sender's "sent" marks (``failures`` times; -1: for good)."""

    def __init__(self, client: Any, failures: int) -> None:
        self.client = client
        self.failures = failures
        self.refused = 0
        client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", self.before, unique_id="outage")

    def before(self, params: dict[str, Any], **_: Any) -> None:
        if {"S": "sent"} in params.get("ExpressionAttributeValues", {}).values() and self.failures != 0:
            self.failures -= 1
            self.refused += 1
            raise client_error("InternalServerError", 500, "Internal server error")

    def close(self) -> None:
        self.client.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem", unique_id="outage")


@pytest.mark.parametrize("failures", [4, -1], ids=["a-few-seconds", "longer-than-the-invocation"])
def test_a_storage_outage_after_ses_accepted_never_sends_again(ready: Stack, failures: int) -> None:
    ses = FaultySesClient()
    app = ready.rebuild(mailer=ses.mailer())
    sign_up(app, "ann@example.org")
    outage = StorageOutage(ready.client, failures)
    try:
        ready.drain()
    finally:
        outage.close()
    assert outage.refused == (failures if failures > 0 else 8)  # the mark was retried, bounded
    # Leases are wall-clock seconds shared by processes (the default lease_clock); 10 minutes on.
    later = ready.rebuild(mailer=ses.mailer(), lease_clock=lambda: time.time() + 600)  # real clock: leases
    scheduled_runs(ready, later, 3)
    assert ses.recipients() == {"ann@example.org": 1}
    [item_id] = outbox_ids(ready)
    item = later.outbox_items.get(item_id)
    assert item is not None
    if failures > 0:
        assert (item["status"], item["message_id"]) == ("sent", "ses-1")  # SES's id is recorded
    else:
        assert (item["status"], item["reason"]) == ("parked", "outcome_unknown")  # an admin decides
