"""How the outbox and the distribution read SES v2's errors (chalicelib/mail/backends.py classify):
a wrong kind either sends twice (an unknown outcome read as "retry"), stops everyone for one bad
address, or retries for each email what fails for all of them (an account or setup problem)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from chalicelib.mail.backends import SendError, classify

URL = "https://email.us-west-2.amazonaws.com/v2/email/outbound-emails"
SENDER = "MBC Connect <noreply@example.org>"


def error(code: str, status: int, message: str = "") -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "SendEmail")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        # slow down, nothing was sent: retry later, with backoff
        (error("TooManyRequestsException", 429, "Maximum sending rate exceeded."), "throttled"),
        (error("ThrottlingException", 400, "Rate exceeded"), "throttled"),
        (error("", 429), "throttled"),
        (EndpointConnectionError(endpoint_url=URL), "throttled"),
        (ConnectTimeoutError(endpoint_url=URL), "throttled"),
        # the account cannot send, for anyone: pause everything
        (error("SendingPausedException", 400, "Sending is paused for this account."), "account"),
        (error("AccountSuspendedException", 400, "Your account is suspended."), "account"),
        (error("TooManyRequestsException", 429, "Daily message quota exceeded."), "account"),
        (error("LimitExceededException", 400, "Limit exceeded"), "account"),
        (error("MessageRejected", 400, "Sending paused for this configuration set."), "account"),
        # our setup is wrong, for everyone: pause everything too
        (error("AccessDeniedException", 403, "User is not authorized to perform: ses:SendEmail"), "config"),
        (error("AccessDenied", 403, "Access denied"), "config"),
        (error("NotFoundException", 404, "Configuration set does not exist."), "config"),
        (error("MailFromDomainNotVerifiedException", 400, "MAIL FROM domain is not verified."), "config"),
        (error("BadRequestException", 400, "Invalid configuration set name."), "config"),
        (error("MessageRejected", 400, "Email address is not verified: noreply@example.org"), "config"),
        (error("ExpiredTokenException", 400, "The security token included in the request is expired"), "config"),
        (NoCredentialsError(), "config"),
        # this recipient only
        (error("MessageRejected", 400, "Illegal address"), "rejected"),
        (
            error("MessageRejected", 400, "Email address is not verified. The identities failed: ann@example.org"),
            "rejected",
        ),
        # SES may have taken it: never retried on its own
        (ReadTimeoutError(endpoint_url=URL), "unknown"),
        (ConnectionClosedError(endpoint_url=URL), "unknown"),
        (error("InternalFailure", 500, "Internal failure."), "unknown"),
        (error("ServiceUnavailable", 503, "Service unavailable."), "unknown"),
        (error("RequestTimeout", 408, "Request timed out"), "unknown"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_each_ses_error_has_the_kind_that_says_what_to_do(exc: Exception, kind: str) -> None:
    found = classify(exc, recipient="ann@example.org", sender=SENDER)
    assert isinstance(found, SendError) and found.kind == kind
    assert found.code  # the alarm line names it


def test_an_error_before_any_request_is_passed_on_as_it_is() -> None:
    """A bug in our request (never reached SES): the outbox counts it against that one item."""
    bad = ParamValidationError(report="Missing required parameter")
    assert classify(bad) is bad
