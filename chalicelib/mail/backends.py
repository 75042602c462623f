"""Mail backends. Both take a finished MIME message and return a message id."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol

from chalicelib.mail.message import OutgoingEmail, to_mime
from chalicelib.settings import Settings


class SendError(Exception):
    """A send failed. ``kind`` says what to do about it:

    - ``throttled``: retry later (with backoff);
    - ``account``: stop everything (quota reached, sending paused, account problem);
    - ``rejected``: this recipient/message will never go; do not retry.
    """

    def __init__(self, kind: str, code: str) -> None:
        super().__init__(f"{kind}: {code}")
        self.kind = kind
        self.code = code


class Mailer(Protocol):
    def send(self, mail: OutgoingEmail) -> str: ...


class OutboxMailer:
    """Writes each message as an .eml file: the local stand-in for SES."""

    def __init__(self, directory: str, sender: str, reply_to: str | None = None) -> None:
        self.directory = directory
        self.sender = sender
        self.reply_to = reply_to

    def send(self, mail: OutgoingEmail) -> str:
        msg = to_mime(mail, self.sender, self.reply_to)
        os.makedirs(self.directory, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        message_id = f"outbox-{stamp}-{secrets.token_hex(4)}"
        path = os.path.join(self.directory, f"{message_id}.eml")
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(msg.as_bytes())
        os.replace(tmp, path)  # readers never see a half-written message
        return message_id


_THROTTLED = {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
_ACCOUNT = {"SendingPausedException", "AccountSendingPausedException", "MailFromDomainNotVerifiedException"}


class SesMailer:
    """SES v2 SendEmail with raw MIME, through the stage's configuration set."""

    def __init__(self, client: Any, sender: str, reply_to: str | None, configuration_set: str | None) -> None:
        self.client = client
        self.sender = sender
        self.reply_to = reply_to
        self.configuration_set = configuration_set

    def send(self, mail: OutgoingEmail) -> str:
        msg: EmailMessage = to_mime(mail, self.sender, self.reply_to)
        kwargs: dict[str, Any] = {"Content": {"Raw": {"Data": msg.as_bytes()}}}
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        if mail.tags:
            kwargs["EmailTags"] = [{"Name": k, "Value": v} for k, v in mail.tags.items()]
        try:
            resp = self.client.send_email(**kwargs)
        except Exception as exc:  # deliberate: every botocore error is classified (by code) or passed on as is
            raise classify(exc) from exc
        return str(resp["MessageId"])


def classify(exc: Exception) -> Exception:
    """Turn a botocore error into a SendError with a kind; other exceptions pass through."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return exc
    code = str(response.get("Error", {}).get("Code", ""))
    message = str(response.get("Error", {}).get("Message", "")).lower()
    if code in _THROTTLED and ("daily" in message or "quota" in message):
        return SendError("account", code)
    if code in _THROTTLED:
        return SendError("throttled", code)
    if code in _ACCOUNT or "sending paused" in message:
        return SendError("account", code)
    if code in {"MessageRejected", "BadRequestException", "NotFoundException"}:
        return SendError("rejected", code)
    return SendError("throttled", code) if response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500 else exc


def mailer_for(settings: Settings) -> Mailer:
    if settings.mail_backend == "ses":
        from chalicelib.aws import generic_client

        return SesMailer(
            generic_client("sesv2", settings),
            settings.mail_from,
            settings.mail_reply_to,
            settings.ses_configuration_set,
        )
    return OutboxMailer(settings.outbox_dir, settings.mail_from, settings.mail_reply_to)
