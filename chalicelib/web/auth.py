"""The organizer-key check behind app.py's built-in authorizer, and its refusal.

API Gateway answers 401 when a TOKEN authorizer raises "Unauthorized"; the local gateway
(chalice local, chalice.test) answers 401 for its own NotAuthorizedError. ``refusal()`` builds
whichever applies, so all three agree.
"""

from __future__ import annotations

from typing import Any

from chalice.app import AuthResponse


class KeyRefused(Exception):
    """Raised by the authorizer in Lambda for a missing, unknown or revoked key."""


def authorize_organizer(token: str | None) -> AuthResponse:
    """Allow a valid key. If storage is down the key cannot be checked: the request goes on marked
    ``unavailable``, and every organizer route answers 503 with Retry-After (never a dropped
    connection or a 500, and never anything a key would unlock)."""
    from chalicelib import container
    from chalicelib.db import is_unavailable

    try:
        org_id = container.current().organizers.organizer_for_header(token)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        return AuthResponse(routes=["*"], principal_id="unavailable", context={"unavailable": "true"})
    if org_id is None:
        raise refusal()
    return AuthResponse(routes=["*"], principal_id=org_id)


def require_admin(request: Any) -> None:
    """Admin-only routes (site settings) call this after the organizer authorizer. Until organizer
    roles exist every organizer with a key is an admin; the console branch puts the role check here."""
    if not (request.context.get("authorizer") or {}).get("principalId"):
        from chalicelib.errors import NotAuthenticated

        raise NotAuthenticated()


def organizer_from_header(headers: Any) -> str | None:
    """The organizer behind an optional Authorization header (public routes that show more to organizers)."""
    from chalicelib import container

    header = headers.get("authorization")
    return container.current().organizers.organizer_for_header(header) if header else None


def _refusal_base() -> type[Exception]:
    try:  # Present with the dev tools (chalice local, chalice.test); absent in Lambda.
        from chalice.local import NotAuthorizedError

        return NotAuthorizedError
    except ImportError:
        return Exception


def refusal() -> Exception:
    base = _refusal_base()
    if base is Exception:
        return KeyRefused("Unauthorized")
    body = b'{"error":{"code":"unauthorized","message":"A valid organizer key is required.","fields":{}}}'
    headers = {
        "Content-Type": "application/json",
        "WWW-Authenticate": "Bearer",
        "x-amzn-ErrorType": "UnauthorizedException",
    }
    return base(headers, body)  # type: ignore[call-arg]
