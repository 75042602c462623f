"""An SES v2 client stand-in for the app's real ``SesMailer`` (so ``classify`` sorts every error),
playing faults: what SES answers, per call. Counts every call it gets (the storm's measure)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.mail.backends import SesMailer

SENDER = "MBC Connect <noreply@example.org>"


def client_error(code: str, status: int, message: str) -> Exception:
    from botocore.exceptions import ClientError

    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "SendEmail")


class Crash(BaseException):
    """The Lambda process dies (nothing in the sender may catch it)."""


# fault -> (accepted by SES?, what the client raises)
FAULTS = {
    "paused": (False, lambda: client_error("SendingPausedException", 400, "Sending is paused for this account.")),
    "suspended": (False, lambda: client_error("AccountSuspendedException", 400, "The account is suspended.")),
    "denied": (
        False,
        lambda: client_error("AccessDeniedException", 403, "User is not authorized to perform: ses:SendEmail"),
    ),
    "throttle": (False, lambda: client_error("TooManyRequestsException", 429, "Maximum sending rate exceeded.")),
    "rejected": (False, lambda: client_error("MessageRejected", 400, "Illegal address")),
    "lost": (True, None),  # SES took it; the answer never came back (a read timeout)
    "crash": (True, None),  # SES took it; the process died before it heard the answer
}


class FaultySesClient:
    def __init__(self, fault: str | None = None) -> None:
        self.fault = fault  # every call, until changed
        self.script: list[str | None] = []  # the next calls' faults, first (None: accept)
        self.calls = 0
        self.calls_per_item: Counter[str] = Counter()  # outbox id -> SES calls for its email
        self.accepted: list[dict[str, Any]] = []

    def mailer(self) -> SesMailer:
        return SesMailer(self, SENDER, None, None)

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        self.calls_per_item[_outbox_id(kwargs)] += 1
        fault = self.script.pop(0) if self.script else self.fault
        accepted, error = FAULTS[fault] if fault else (True, None)
        if accepted:
            self.accepted.append(kwargs)
        if fault == "lost":
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url="https://email.us-west-2.amazonaws.com/v2/email/outbound-emails")
        if fault == "crash":
            raise Crash()
        if error is not None:
            raise error()
        return {"MessageId": f"ses-{len(self.accepted)}"}

    def per_outbox_item(self) -> Counter[str]:
        """How many copies SES accepted of each outbox item's email."""
        return Counter(_outbox_id(kwargs) for kwargs in self.accepted)

    def recipients(self) -> Counter[str]:
        return Counter(kwargs["Destination"]["ToAddresses"][0] for kwargs in self.accepted)


def _outbox_id(kwargs: dict[str, Any]) -> str:
    return next((t["Value"] for t in kwargs.get("EmailTags", []) if t["Name"] == "outbox"), "")
