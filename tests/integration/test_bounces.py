"""SES bounce and complaint notifications, from real-shaped SES JSON, through the SNS handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib import container
from chalicelib.signups.addresses import email_hash
from tests.support.builders import GROUP_ID, add_members, make_group
from tests.support.stacks import Stack, make_client

FIXTURES = Path(__file__).parent.parent / "support" / "fixtures" / "ses"


def sns_event(message: str) -> dict[str, object]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-west-2:000000000000:mbc-connect-ses-events:1",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": "arn:aws:sns:us-west-2:000000000000:mbc-connect-ses-events",
                    "Subject": None,
                    "Message": message,
                    "Timestamp": "2026-12-01T22:05:13.000Z",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def status_of(email: str) -> str | None:
    from chalicelib.signups.addresses import signup_id_for

    record = container.current().signups.repo.get(GROUP_ID, signup_id_for(GROUP_ID, email))
    return record["status"] if record else None


@pytest.fixture
def people(moto_stack: Stack) -> None:
    make_group(container.current())
    add_members(
        container.current(),
        0,
        emails=[f"{p}@example.org" for p in ("gone", "also.gone", "full", "annoyed", "suppressed", "fine")],
    )


def deliver(stack: Stack, fixture: str) -> dict[str, int]:
    with make_client(stack) as client:
        result: dict[str, int] = client.lambda_.invoke(
            "ses_events", sns_event((FIXTURES / fixture).read_text())
        ).payload
    return result


def test_permanent_bounce_with_several_recipients(moto_stack: Stack, people: None) -> None:
    result = deliver(moto_stack, "permanent_bounce.json")
    assert result == {"suppressed": 2, "bounced": 2, "ignored": 0}
    assert status_of("gone@example.org") == "bounced"
    assert status_of("also.gone@example.org") == "bounced"
    assert status_of("fine@example.org") == "active"
    repo = container.current().signups.repo
    assert repo.is_suppressed(email_hash("gone@example.org"))
    assert repo.is_suppressed(email_hash("also.gone@example.org"))
    replay = deliver(moto_stack, "permanent_bounce.json")
    assert replay == {"suppressed": 2, "bounced": 0, "ignored": 0}  # harmless


def test_transient_bounce_changes_nothing(moto_stack: Stack, people: None) -> None:
    assert deliver(moto_stack, "transient_bounce.json") == {"suppressed": 0, "bounced": 0, "ignored": 1}
    assert not container.current().signups.repo.is_suppressed(email_hash("full@example.org"))
    assert status_of("full@example.org") == "active"


def test_complaint_and_event_destination_shapes(moto_stack: Stack, people: None) -> None:
    assert deliver(moto_stack, "complaint.json")["suppressed"] == 1
    assert deliver(moto_stack, "event_destination_bounce.json")["suppressed"] == 1
    assert deliver(moto_stack, "delivery.json") == {"suppressed": 0, "bounced": 0, "ignored": 1}
    repo = container.current().signups.repo
    assert status_of("annoyed@example.org") == "bounced"
    assert status_of("fine@example.org") == "active"
    assert repo.is_suppressed(email_hash("annoyed@example.org"))
    assert repo.is_suppressed(email_hash("suppressed@example.org"))


def test_bounced_members_are_marked_and_skipped(moto_stack: Stack) -> None:
    make_group(container.current())
    [member] = add_members(container.current(), 1, prefix="gone")
    message = json.loads((FIXTURES / "permanent_bounce.json").read_text())
    message["bounce"]["bouncedRecipients"] = [{"emailAddress": member["email"]}]
    from chalicelib.signups.bounces import handle_notification

    deliver_result = handle_notification(json.dumps(message), container.current().signups)
    assert deliver_result["bounced"] == 1
    assert status_of(member["email"]) == "bounced"
    assert container.current().signups.repo.count(GROUP_ID, "active") == 0


def test_garbage_is_ignored(moto_stack: Stack) -> None:
    from chalicelib.signups.bounces import handle_notification

    assert handle_notification("not json", container.current().signups)["ignored"] == 1
    assert handle_notification("[1, 2]", container.current().signups)["ignored"] == 1
    bad = json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "nope"}]},
        }
    )
    assert handle_notification(bad, container.current().signups)["ignored"] == 1
