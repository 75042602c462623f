"""One error shape for the whole API, ``{"error": {"code", "message", "fields"}}``, and the one
table that maps each domain error to its HTTP status and code.

Services raise ``chalicelib.errors`` classes and know nothing of HTTP; problems that exist only
at the edge (a body that is not JSON, too large, the wrong content type) are ``HttpError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import errors as domain

# Most specific first: the first class in an exception's MRO found here wins.
ERROR_TABLE: dict[type[domain.DomainError], tuple[int, str]] = {
    domain.InvalidCursor: (400, "invalid_cursor"),
    domain.Invalid: (400, "validation_error"),
    domain.NotAuthenticated: (401, "unauthorized"),
    domain.Forbidden: (403, "forbidden"),
    domain.NotFound: (404, "not_found"),
    domain.GroupPaused: (409, "group_paused"),
    domain.AlreadyExists: (409, "conflict"),
    domain.StaleVersion: (409, "conflict"),
    domain.Conflict: (409, "conflict"),
    domain.RateLimited: (429, "too_many_requests"),
    domain.EmailUnavailable: (503, "email_unavailable"),
    domain.Unavailable: (503, "unavailable"),
}
# Member links: one code per reason, e.g. token_expired.
LINK_PROBLEM_STATUS = 400


class HttpError(Exception):
    """A problem of the request itself, found at the edge (never raised by a service)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_body(code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def status_and_code(exc: domain.DomainError) -> tuple[int, str]:
    if isinstance(exc, domain.LinkProblem):
        return LINK_PROBLEM_STATUS, f"token_{exc.reason}"
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return 400, "bad_request"


def describe(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, extra headers) for a domain or edge error."""
    if isinstance(exc, HttpError):
        return exc.status, error_body(exc.code, exc.message, exc.fields), exc.headers
    assert isinstance(exc, domain.DomainError)
    status, code = status_and_code(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, (domain.RateLimited, domain.Unavailable)):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, domain.NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return status, error_body(code, exc.message, exc.fields), headers


_CHALICE_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
}


def normalize_framework_error(status: int, body: Any) -> dict[str, Any] | None:
    """Chalice's own errors ({"Code", "Message"}) rewritten into our error shape."""
    if status < 400 or not isinstance(body, dict) or "Code" not in body:
        return None
    code = _CHALICE_CODES.get(status, "error")
    message = str(body.get("Message", "")) or code
    fields: dict[str, str] = {}
    if status == 415:
        fields = {"Content-Type": "This content type is not accepted here."}
    if status == 500:
        message = "Something went wrong on our side; please try again."
    return error_body(code, message, fields)
