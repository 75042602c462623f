"""Parked outbox items are visible and re-triable or discardable by an admin (CLI and console),
with nothing personal listed; the stream handler reports partial batch failures."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

from chalicelib import cli, errors
from chalicelib.container import Container
from tests.support.builders import GROUP_ID, group_body, make_group, outbox_messages, signup_body
from tests.support.console import Console, text_of
from tests.support.ses_faults import FaultySesClient
from tests.support.stacks import ROOT, Stack, make_client


def park_a_confirmation(stack: Stack, email: str = "ann@example.org") -> tuple[Container, str]:
    """A confirmation whose send outcome SES never told us (a read timeout): parked at once."""
    ses = FaultySesClient()
    ses.script = ["lost"]
    app = stack.rebuild(mailer=ses.mailer())
    before = {str(item["id"]) for item in app.outbox.parked()}
    app.signups.submit(
        GROUP_ID, app.signups.parse_form(signup_body(email=email, name="Ann Kowalski")), source_ip="10.0.0.1"
    )
    stack.drain()
    [parked] = [item for item in app.outbox.parked() if item["id"] not in before]
    assert parked["reason"] == "outcome_unknown:ReadTimeoutError"
    stack.rebuild()  # SES (the .eml outbox) answers again
    return app, str(parked["id"])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_the_cli_lists_retries_and_discards_parked_emails(ddb_stack: Stack) -> None:
    ddb_stack.container.groups.create(group_body())
    _, parked_id = park_a_confirmation(ddb_stack)
    listed = run_cli("outbox", "parked")
    assert listed.returncode == 0, listed.stderr
    view = json.loads(listed.stdout)
    [item] = view["parked"]
    assert (item["id"], item["kind"], item["group_id"], item["attempts"]) == (parked_id, "confirm", GROUP_ID, 1)
    assert view["paused_until"] is None
    assert "@" not in listed.stdout and "Kowalski" not in listed.stdout  # nothing personal
    retried = run_cli("outbox", "retry", parked_id)
    assert retried.returncode == 0, retried.stderr
    assert "tried now: sent" in retried.stdout
    assert [m["To"] for m in outbox_messages(ddb_stack.outbox)] == ["ann@example.org"]
    assert run_cli("outbox", "discard", parked_id).returncode == cli.EXIT_CODES[errors.Conflict]  # sent by now
    assert run_cli("outbox", "retry", "no-such-item").returncode == cli.EXIT_CODES[errors.NotFound]
    assert json.loads(run_cli("outbox", "parked").stdout)["parked"] == []


def test_admins_see_and_decide_parked_emails_in_the_console(moto_stack: Stack) -> None:
    c = moto_stack.container
    make_group(c)
    c.organizers.create(name="Ada Admin", email="ada@example.org", role="admin")
    c.organizers.create(name="Cora Coordinator", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    with make_client(moto_stack) as client:
        ada, cora = Console(client), Console(client)
        ada.sign_in(moto_stack, "ada@example.org")
        cora.sign_in(moto_stack, "cora@example.org")
        first = park_a_confirmation(moto_stack, "ann@example.org")[1]
        second = park_a_confirmation(moto_stack, "bea@example.org")[1]
        assert cora.get("/console/outbox").status_code == 403  # admins only
        page = ada.get("/console/outbox")
        assert page.status_code == 200 and page.headers["Content-Security-Policy"]
        words = text_of(page)
        assert first in words and second in words and "SES may have sent it" in words
        assert "@example.org" not in words.replace("ada@example.org", "") and "Kowalski" not in words
        assert cora.post(f"/console/outbox/{first}", {"action": "retry"}).status_code == 403
        done = ada.post(f"/console/outbox/{first}", {"action": "retry"})
        assert done.status_code == 303 and "done=outbox_retried" in done.headers["Location"]
        assert ada.post(f"/console/outbox/{second}", {"action": "discard"}).status_code == 303
        assert "Nothing is parked" in text_of(ada.get("/console/outbox"))
        moto_stack.clock.advance(minutes=1)
        moto_stack.drain()
    sent = [m["To"] for m in outbox_messages(moto_stack.outbox) if "confirm" in m["Subject"].lower()]
    assert sent == ["ann@example.org"]  # retried once; the discarded one never goes out
    assert c.outbox_items.get(second)["status"] == "discarded"  # type: ignore[index]


def lambda_record(pk: str, image: dict[str, Any], sequence: str, event: str = "INSERT") -> dict[str, Any]:
    return {
        "eventID": sequence,
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-west-2",
        "eventSourceARN": "arn:aws:dynamodb:us-west-2:0:table/t/stream/x",
        "dynamodb": {
            "Keys": {"pk": {"S": pk}, "sk": {"S": "X"}},
            "NewImage": {"pk": {"S": pk}, "sk": {"S": "X"}, **image},
            "SequenceNumber": sequence,
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "ApproximateCreationDateTime": 1.0,
        },
    }


def test_the_stream_handler_reports_the_records_it_could_not_handle(moto_stack: Stack) -> None:
    from app import outbox_sender
    from devtools.stream_poller import LambdaContext

    moto_stack.container.groups.create(group_body())
    app = moto_stack.rebuild()
    app.signups.submit(GROUP_ID, app.signups.parse_form(signup_body()), source_ip="10.0.0.1")
    [intake] = app.signups.pending_intakes("~")
    good = next(i for i in moto_stack.client.scan(TableName=moto_stack.table)["Items"] if i["pk"]["S"] == intake["pk"])
    # A form this version cannot read (an earlier version's, without the fields it needs now).
    broken = {"group_id": {"S": GROUP_ID}, "email": {"S": "bea@example.org"}, "request_id": {"S": "r1"}}
    event = {
        "Records": [
            lambda_record("INTAKE#broken#g", broken, "101"),
            lambda_record(intake["pk"], good, "102"),
            lambda_record("OUTBOX#gone", {"status": {"S": "pending"}}, "103"),  # nothing to claim
        ]
    }
    answer = outbox_sender(event, LambdaContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "101"}]}
    assert app.signups.pending_intakes("~") == []  # the good form was processed all the same
    moto_stack.clock.advance(minutes=3)
    assert app.outbox.sweep(min_age=timedelta(0)) == {"sent": 1}


def test_erasure_removes_the_persons_parked_emails(moto_stack: Stack) -> None:
    """A parked item never expires on its own: erasing the person deletes it (ids only, but hers)."""
    from chalicelib.signups.addresses import signup_id_for

    moto_stack.container.groups.create(group_body())
    _, ann = park_a_confirmation(moto_stack, "ann@example.org")
    _, bea = park_a_confirmation(moto_stack, "bea@example.org")
    assert moto_stack.container.signups.erase(GROUP_ID, signup_id_for(GROUP_ID, "ann@example.org"))
    assert [p["id"] for p in moto_stack.container.outbox.parked()] == [bea]
    assert moto_stack.container.outbox_items.get(ann) is None
