"""Mail plumbing: MIME, autoescaping, the outbox and SES v2 (moto and botocore's Stubber)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.mail.backends import OutboxMailer, SendError, SesMailer
from chalicelib.mail.message import render_email
from chalicelib.organization import organization
from chalicelib.settings import Settings
from tests.support.builders import outbox_messages

GROUP = {"id": "g", "name": "MBC <Connection> Group"}
ORG = organization(Settings(org_name="Gem State & <Big Sky>", org_website_url="https://www.example.org/"))


def confirmation(name: str = "Ann") -> object:
    return render_email(
        "signups/email/confirm",
        to="ann@example.org",
        org=ORG,
        unsubscribe_url="https://api.example.org/signups/unsubscribe?token=abc",
        name=name,
        group=GROUP,
        confirm_url="https://api.example.org/signups/confirm?token=xyz",
        manage_url="https://api.example.org/signups/manage?token=zzz",
        state_name="Montana",
        hours=72,
    )


def test_html_is_autoescaped_and_text_is_not(tmp_path: Path) -> None:
    mail = confirmation(name='<script>alert("x")</script>')
    OutboxMailer(str(tmp_path), "MBC <no-reply@example.org>").send(mail)  # type: ignore[arg-type]
    [message] = outbox_messages(tmp_path)
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "MBC &lt;Connection&gt; Group" in html
    assert "Gem State &amp; &lt;Big Sky&gt;" in html and "Gem State & <Big Sky>" in text  # the chapter signs
    assert '<script>alert("x")</script>' in text
    assert message["List-Unsubscribe"] == "<https://api.example.org/signups/unsubscribe?token=abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not list(tmp_path.glob("*.tmp"))


def test_ses_v2_raw_send_through_moto() -> None:
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    with mock_aws():
        client = boto3.client("sesv2", region_name="us-west-2")
        client.create_email_identity(EmailIdentity="example.org")
        mailer = SesMailer(client, "MBC <no-reply@example.org>", "help@example.org", None)
        message_id = mailer.send(confirmation())  # type: ignore[arg-type]
        assert message_id
        sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-west-2"].sent_messages
        assert len(sent) == 1
        raw = sent[0].raw_data
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
        assert "Reply-To: help@example.org" in raw


@pytest.mark.parametrize(
    ("code", "message", "status", "kind"),
    [
        ("TooManyRequestsException", "Maximum sending rate exceeded.", 400, "throttled"),
        ("LimitExceededException", "Daily message quota exceeded.", 400, "account"),
        ("SendingPausedException", "Sending is paused for this account.", 400, "account"),
        ("AccountSuspendedException", "Account suspended.", 400, "account"),
        # Only a refusal about this recipient is "rejected" (recorded, not retried)...
        (
            "MessageRejected",
            "Email address is not verified. The following identities failed the check in "
            "region US-WEST-2: ann@example.org",
            400,
            "rejected",
        ),
        ("MessageRejected", "Address blacklisted.", 400, "rejected"),
        # ...the configuration or the sender is everyone's problem: stop, keep the mail, alarm.
        (
            "MessageRejected",
            "Email address is not verified. The following identities failed the check in "
            "region US-WEST-2: no-reply@example.org, ann@example.org",
            400,
            "config",
        ),
        ("MessageRejected", "Message contains a virus.", 400, "config"),
        ("NotFoundException", "Configuration set <cfg> does not exist.", 404, "config"),
        ("BadRequestException", "Invalid request.", 400, "config"),
        ("AccessDeniedException", "Not authorized to perform ses:SendEmail.", 403, "config"),
        # A 5xx may or may not have been accepted: never retried at once.
        ("InternalFailure", "Internal error.", 500, "unknown"),
    ],
)
def test_ses_errors_are_classified(code: str, message: str, status: int, kind: str) -> None:
    client = boto3.client("sesv2", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code=code, service_message=message, http_status_code=status)
        with pytest.raises(SendError) as info:
            SesMailer(client, "MBC <no-reply@example.org>", None, "cfg").send(confirmation())  # type: ignore[arg-type]
    assert (info.value.kind, info.value.code) == (kind, code)


def test_a_read_timeout_is_an_unknown_outcome_and_a_refused_connection_is_retryable() -> None:
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

    from chalicelib.mail.backends import classify

    timeout = classify(ReadTimeoutError(endpoint_url="https://email.us-west-2.amazonaws.com"))
    refused = classify(EndpointConnectionError(endpoint_url="https://email.us-west-2.amazonaws.com"))
    assert (timeout.kind, refused.kind) == ("unknown", "throttled")  # type: ignore[attr-defined]


def test_ses_sends_from_the_sender_and_dev_redirects_every_message() -> None:
    client = boto3.client("sesv2", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        for to in ("ann@example.org", "success@simulator.amazonses.com"):
            stub.add_response(
                "send_email",
                {"MessageId": "m"},
                {
                    "FromEmailAddress": "no-reply@example.org",
                    "Destination": {"ToAddresses": [to]},
                    "Content": {"Raw": {"Data": stubbed_any()}},
                    "ConfigurationSetName": "cfg",
                },
            )
        SesMailer(client, "MBC <no-reply@example.org>", None, "cfg").send(confirmation())  # type: ignore[arg-type]
        dev = SesMailer(
            client, "MBC <no-reply@example.org>", None, "cfg", redirect_to="success@simulator.amazonses.com"
        )
        dev.send(confirmation())  # type: ignore[arg-type]
        stub.assert_no_pending_responses()


def test_the_ses_client_makes_no_retries_of_its_own() -> None:
    from chalicelib.aws import ses_client
    from chalicelib.settings import Settings

    client = ses_client(Settings())
    assert client.meta.config.retries["total_max_attempts"] == 1


def stubbed_any() -> object:
    from botocore.stub import ANY

    return ANY
