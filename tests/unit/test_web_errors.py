"""The one table at the web edge: every domain error gets its status, code and headers."""

from __future__ import annotations

import pytest

from chalicelib import errors
from chalicelib.cli import exit_code
from chalicelib.web.errors import ERROR_TABLE, HttpError, describe


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.Invalid(fields={"email": "Must be a valid email address."}), 400, "validation_error"),
        (errors.InvalidCursor(), 400, "invalid_cursor"),
        (errors.NotFound("group"), 404, "not_found"),
        (errors.StaleVersion("changed"), 409, "conflict"),
        (errors.AlreadyExists("taken"), 409, "conflict"),
        (errors.GroupPaused(), 409, "group_paused"),
        (errors.RateLimited(retry_after=30), 429, "too_many_requests"),
        (errors.NotAuthenticated(), 401, "unauthorized"),
        (errors.Forbidden(), 403, "forbidden"),
        (errors.LinkProblem("expired", "This link has expired."), 400, "token_expired"),
        (errors.Unavailable(retry_after=30), 503, "unavailable"),
        (errors.EmailUnavailable(retry_after=120), 503, "email_unavailable"),
    ],
)
def test_each_domain_error_has_a_status_and_code(error: errors.DomainError, status: int, code: str) -> None:
    got_status, body, _ = describe(error)
    assert (got_status, body["error"]["code"]) == (status, code)
    assert body["error"]["message"] == error.message
    assert body["error"]["fields"] == error.fields


def test_waiting_errors_say_when_to_retry() -> None:
    assert describe(errors.RateLimited(retry_after=42))[2] == {"Retry-After": "42"}
    assert describe(errors.Unavailable(retry_after=7))[2] == {"Retry-After": "7"}
    assert describe(errors.NotAuthenticated())[2] == {"WWW-Authenticate": "Bearer"}
    assert errors.RateLimited(retry_after=0).retry_after == 1  # never "retry in 0 seconds"


def test_edge_errors_keep_their_own_status() -> None:
    status, body, headers = describe(HttpError(415, "unsupported_media_type", "Send JSON.", {"Content-Type": "x"}))
    assert (status, body["error"]["code"], body["error"]["fields"]) == (
        415,
        "unsupported_media_type",
        {"Content-Type": "x"},
    )
    assert headers == {}


def test_every_domain_error_class_is_mapped_for_the_web_and_the_cli() -> None:
    classes = {cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)}
    for cls in classes - {errors.DomainError}:
        mapped = cls is errors.LinkProblem or any(base in ERROR_TABLE for base in cls.__mro__)
        assert mapped, cls
    assert exit_code(errors.Invalid()) == 2
    assert exit_code(errors.NotFound("group")) == 3
    assert exit_code(errors.StaleVersion()) == 4
    assert exit_code(errors.Unavailable()) == 7
