"""Organizer API keys: random, shown once, stored only as a SHA-256 hash.

Keys carry 256 bits of randomness, so a plain (unsalted) SHA-256 is enough to
make a stolen table useless and lets the authorizer find a key with one GetItem.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from chalicelib.clock import utc_now
from chalicelib.storage.organizers import OrganizerRepository

KEY_PREFIX = "mbck_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token.startswith(KEY_PREFIX) or not 20 <= len(token) <= 128:
        return None
    return token


def organizer_for_header(repo: OrganizerRepository, header: str | None) -> str | None:
    """The organizer id a valid ``Authorization: Bearer`` header belongs to, else None."""
    token = bearer_token(header)
    if token is None:
        return None
    return repo.organizer_for_key_hash(hash_key(token))


def create_organizer(repo: OrganizerRepository, name: str, email: str) -> tuple[dict[str, Any], str]:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    org = {
        "id": "org_" + secrets.token_hex(6),
        "name": name,
        "email": email,
        "status": "active",
        "created_at": utc_now().isoformat(),
    }
    repo.create(org, hash_key(key))
    return org, key


def _refusal_base() -> type[Exception]:
    try:  # Present with the dev tools (chalice local, chalice.test); absent in Lambda.
        from chalice.local import NotAuthorizedError

        return NotAuthorizedError
    except ImportError:
        return Exception


class KeyRefused(Exception):
    """Raised by the authorizer for a missing, unknown or revoked key.

    API Gateway answers 401 when a TOKEN authorizer raises "Unauthorized"; the
    local gateway (chalice local, chalice.test) answers 401 for its own
    NotAuthorizedError. ``refusal()`` builds whichever applies, so all three agree.
    """


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
