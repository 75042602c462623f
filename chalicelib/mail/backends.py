"""Mail backends. Both take a finished MIME message and return a message id."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any, Protocol

from chalicelib.mail.message import OutgoingEmail, to_mime
from chalicelib.settings import Settings


class SendError(Exception):
    """A send failed. ``kind`` says what to do about it:

    - ``throttled``: retry later, with backoff (nothing was sent);
    - ``rejected``: this recipient will never take this message: record it, do not retry;
    - ``account``: the account cannot send (suspended, paused, out of quota): stop everything;
    - ``config``: our configuration is wrong (configuration set, sender identity, permissions,
      a request SES refuses): stop everything until someone fixes it;
    - ``unknown``: the outcome is unknown (a 5xx or a timeout after the request left): SES may have
      accepted it, so it must not be retried at once.
    """

    def __init__(self, kind: str, code: str) -> None:
        super().__init__(f"{kind}: {code}")
        self.kind = kind
        self.code = code


class Mailer(Protocol):
    def send(self, mail: OutgoingEmail) -> str: ...


def prepared(mailer: Mailer, mail: OutgoingEmail) -> Callable[[], str]:
    """``mail``'s send, built now if the mailer can (``SesMailer.prepare``), to be made later."""
    prepare: Callable[[OutgoingEmail], Callable[[], str]] | None = getattr(mailer, "prepare", None)
    if prepare is not None:
        return prepare(mail)
    return lambda: mailer.send(mail)


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


_THROTTLED = {"TooManyRequestsException", "Throttling", "ThrottlingException"}
_ACCOUNT = {"AccountSuspendedException", "SendingPausedException", "AccountSendingPausedException"}
# SES refuses the message for a reason about this recipient only (sandbox recipients, invalid or
# blocked addresses): record it and go on with the others.
_RECIPIENT_PROBLEMS = ("address blacklisted", "illegal address", "invalid address", "recipient address")


class SesMailer:
    """SES v2 SendEmail with raw MIME, from the configured sender, through the stage's configuration
    set. ``redirect_to`` (dev): every message goes to that one address instead (never to people)."""

    def __init__(
        self,
        client: Any,
        sender: str,
        reply_to: str | None,
        configuration_set: str | None,
        *,
        redirect_to: str | None = None,
    ) -> None:
        self.client = client
        self.sender = sender
        self.reply_to = reply_to
        self.configuration_set = configuration_set
        self.redirect_to = redirect_to

    def send(self, mail: OutgoingEmail) -> str:
        return self.prepare(mail)()

    def prepare(self, mail: OutgoingEmail) -> Callable[[], str]:
        """Build the request now and send it when called (each call one SendEmail): a sender that
        waits for its moment in the sending budget builds first, so the request reaches SES right
        at the moment, not after a few milliseconds of MIME work a busy CPU can stretch."""
        msg: EmailMessage = to_mime(mail, self.sender, self.reply_to)
        kwargs: dict[str, Any] = {
            "FromEmailAddress": parseaddr(self.sender)[1],
            "Destination": {"ToAddresses": [self.redirect_to or mail.to]},
            "Content": {"Raw": {"Data": msg.as_bytes()}},
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        if mail.tags:
            kwargs["EmailTags"] = [{"Name": k, "Value": v} for k, v in mail.tags.items()]

        def send() -> str:
            try:
                resp = self.client.send_email(**kwargs)
            except Exception as exc:  # deliberate: every botocore error is classified (by code) or passed on as is
                raise classify(exc, recipient=mail.to, sender=self.sender) from exc
            return str(resp["MessageId"])

        return send


def classify(exc: Exception, *, recipient: str = "", sender: str = "") -> Exception:
    """Turn a botocore error into a SendError with a kind (see SendError)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import (
        CredentialRetrievalError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(exc, BotoConnectionError):
        return SendError("throttled", type(exc).__name__)  # never connected to SES: safe to retry later
    if isinstance(exc, HTTPClientError):
        # A read timeout, or the connection closed after the request left: SES may have taken it.
        return SendError("unknown", type(exc).__name__)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, NoRegionError)):
        return SendError("config", type(exc).__name__)  # no request left: the setup fails for everyone
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return exc
    code = str(response.get("Error", {}).get("Code", ""))
    message = str(response.get("Error", {}).get("Message", "")).lower()
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if status == 408 or code in ("RequestTimeout", "RequestTimeoutException"):
        return SendError("unknown", code or str(status))  # the request arrived; its outcome is unknown
    if code in _THROTTLED or code == "LimitExceededException" or (status == 429 and not code):
        quota = "daily" in message or "quota" in message or code == "LimitExceededException"
        return SendError("account" if quota else "throttled", code or str(status))
    if code in _ACCOUNT or "sending paused" in message or "suspended" in message:
        return SendError("account", code)
    if code == "MessageRejected" and _about_recipient(message, recipient, sender):
        return SendError("rejected", code)
    if status >= 500:
        return SendError("unknown", code or str(status))
    # Anything else (NotFound: the configuration set; BadRequest; AccessDenied; an unverified
    # sender; MessageRejected for the message itself): our setup is wrong, for every recipient.
    return SendError("config", code or str(status))


def _about_recipient(message: str, recipient: str, sender: str) -> bool:
    if any(problem in message for problem in _RECIPIENT_PROBLEMS):
        return True
    # Sandbox: "Email address is not verified. The following identities failed the check: <list>".
    if "not verified" in message and recipient and recipient.lower() in message:
        return parseaddr(sender)[1].lower() not in message
    return False


def mailer_for(settings: Settings) -> Mailer:
    from chalicelib.organization import sender

    if settings.mail_backend == "ses":
        from chalicelib.aws import ses_client

        return SesMailer(
            ses_client(settings),
            sender(settings),
            settings.mail_reply_to,
            settings.ses_configuration_set,
            redirect_to=settings.mail_redirect_to,
        )
    return OutboxMailer(settings.outbox_dir, sender(settings), settings.mail_reply_to)
