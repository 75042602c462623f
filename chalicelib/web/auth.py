"""The organizer-key check behind app.py's built-in authorizer, and its refusal.

API Gateway answers 401 when a TOKEN authorizer raises "Unauthorized"; the local gateway
(chalice local, chalice.test) answers 401 for its own NotAuthorizedError. ``refusal()`` builds
whichever applies, so all three agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import AuthResponse

from chalicelib.errors import Forbidden

if TYPE_CHECKING:
    from chalicelib.organizers.scope import Principal


class KeyRefused(Exception):
    """Raised by the authorizer in Lambda for a missing, unknown or revoked key."""


def authorize_organizer(token: str | None) -> AuthResponse:
    """Allow a valid key. If storage is down the key cannot be checked: the request goes on marked
    ``unavailable``, and every organizer route answers 503 with Retry-After (never a dropped
    connection or a 500, and never anything a key would unlock)."""
    from chalicelib import container
    from chalicelib.db import is_unavailable

    try:
        who = container.current().organizers.principal_for_header(token)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        return AuthResponse(routes=["*"], principal_id="unavailable", context={"unavailable": "true"})
    if who is None:
        raise refusal()
    return AuthResponse(routes=["*"], principal_id=who.org_id, context=who.context())


def caller(request: Any) -> Principal:
    """The organizer the authorizer let through, with the role and groups its key carries."""
    from chalicelib.organizers.scope import Principal

    context = dict(request.context.get("authorizer") or {})
    return Principal.from_context(str(context.get("principalId") or ""), context)


def require_group(request: Any, group_id: str) -> Principal:
    """Refuse (403) an organizer whose key does not cover this group, before anything is read: the
    answer is the same whether or not the group exists."""
    who = caller(request)
    if not who.may_manage(group_id):
        raise Forbidden("Your organizer key does not cover this group.")
    return who


def require_admin(request: Any) -> Principal:
    who = caller(request)
    if not who.is_admin:
        raise Forbidden("Only an admin may do this.")
    return who


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
