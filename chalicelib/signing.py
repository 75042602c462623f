"""The signing key and what is signed with it: pagination cursors now, and
single-purpose expiring tokens for member links.

In AWS the key is an SSM SecureString read once per container; locally it is a
random file under .local/ created on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from typing import Any

from chalicelib.errors import InvalidCursor
from chalicelib.settings import Settings, get_settings


def _read_or_create_local_key(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            key = fh.read().strip()
            if len(key) >= 32:
                return key
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # O_EXCL so two processes starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, "rb") as fh:
            return fh.read().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


@lru_cache(maxsize=4)
def signing_key(settings: Settings | None = None) -> bytes:
    s = settings or get_settings()
    if s.signing_key_param:
        from chalicelib.aws import generic_client

        resp = generic_client("ssm", s).get_parameter(Name=s.signing_key_param, WithDecryption=True)
        return str(resp["Parameter"]["Value"]).encode()
    return _read_or_create_local_key(s.signing_key_file)


def keyed_hash(value: str, purpose: str, settings: Settings | None = None) -> str:
    """A keyed, non-reversible digest (e.g. of an email address kept for suppression)."""
    return hmac.new(signing_key(settings), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def sign_cursor(payload: dict[str, Any], scope: str, settings: Settings | None = None) -> str:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(signing_key(settings), salt=f"cursor:{scope}").dumps(payload)


def read_cursor(token: str, scope: str, settings: Settings | None = None) -> dict[str, Any]:
    """Verify a cursor made by sign_cursor for the same scope; anything else is a 400."""
    from itsdangerous import BadData, URLSafeSerializer

    if len(token) > 2048:
        raise InvalidCursor()
    try:
        data = URLSafeSerializer(signing_key(settings), salt=f"cursor:{scope}").loads(token)
    except (BadData, ValueError, TypeError):
        raise InvalidCursor() from None
    if not isinstance(data, dict):
        raise InvalidCursor()
    return data


# ------------------------------------------------------------------ member tokens

TOKEN_MAX_AGE = {
    "confirm": 72 * 3600,
    # Links in every email: they must keep working for as long as a member keeps old emails.
    "unsubscribe": 400 * 24 * 3600,
    "erase": 400 * 24 * 3600,
}


class TokenError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "expired"


def make_token(purpose: str, payload: dict[str, Any], settings: Settings | None = None) -> str:
    """A signed, timestamped token good for one purpose only (the purpose is the salt)."""
    from itsdangerous import URLSafeTimedSerializer

    if purpose not in TOKEN_MAX_AGE:
        raise ValueError(purpose)
    return URLSafeTimedSerializer(signing_key(settings), salt=f"member:{purpose}").dumps(payload)


def read_token(token: str | None, purpose: str, settings: Settings | None = None) -> dict[str, Any]:
    from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

    if not token or len(token) > 1024:
        raise TokenError("invalid")
    serializer = URLSafeTimedSerializer(signing_key(settings), salt=f"member:{purpose}")
    try:
        data = serializer.loads(token, max_age=TOKEN_MAX_AGE[purpose])
    except SignatureExpired:
        raise TokenError("expired") from None
    except (BadData, ValueError, TypeError):
        raise TokenError("invalid") from None
    if not isinstance(data, dict):
        raise TokenError("invalid")
    return data
