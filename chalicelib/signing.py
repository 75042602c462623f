"""Keys, and what is signed or hashed with them.

- The **signing key** signs pagination cursors and single-purpose expiring tokens (member links).
  It can be rotated: tokens signed with the **previous signing key** are still accepted during a
  grace period (a keyring), so rotation is routine (docs/operations.md "Keys").
- The **identity key** keys the hashes that stand for an email address in keys (signup ids, the
  suppression list, counters). It is never rotated: a new one would make every existing member a
  stranger (a second record on their next signup, bounces no longer matching).

In AWS each key is an SSM SecureString read once per container; locally a file under .local/
created on first use (the identity key starts as a copy of an existing signing key, so the hashes
of data made before it existed stay the same).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
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
    import secrets  # a new local key only (make run, the tests): not on a cold start

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


def _parameter(settings: Settings, name: str, *, required: bool = True) -> bytes | None:
    from chalicelib.aws import generic_client

    ssm = generic_client("ssm", settings)
    try:
        resp = ssm.get_parameter(Name=name, WithDecryption=True)
    except ssm.exceptions.ParameterNotFound:
        if required:
            raise
        return None
    return str(resp["Parameter"]["Value"]).encode()


@lru_cache(maxsize=4)
def signing_key(settings: Settings | None = None) -> bytes:
    """The current signing key: it signs everything new."""
    s = settings or get_settings()
    if s.signing_key_param:
        key = _parameter(s, s.signing_key_param)
        assert key is not None
        return key
    return _read_or_create_local_key(s.signing_key_file)


@lru_cache(maxsize=4)
def previous_signing_key(settings: Settings | None = None) -> bytes | None:
    """The key before the last rotation, if there is one: still accepted when verifying."""
    s = settings or get_settings()
    if s.signing_key_previous_param:
        return _parameter(s, s.signing_key_previous_param, required=False)
    try:
        with open(s.signing_key_file + "-previous", "rb") as fh:
            key = fh.read().strip()
    except FileNotFoundError:
        return None
    return key if len(key) >= 32 else None


def keyring(settings: Settings | None = None) -> list[bytes]:
    """Keys that verify, oldest first: itsdangerous signs with the last and accepts them all."""
    previous = previous_signing_key(settings)
    return [previous, signing_key(settings)] if previous else [signing_key(settings)]


@lru_cache(maxsize=4)
def identity_key(settings: Settings | None = None) -> bytes:
    s = settings or get_settings()
    if s.identity_key_param:
        key = _parameter(s, s.identity_key_param)
        assert key is not None
        return key
    path = os.path.join(s.local_state_dir, "identity-key")
    if not os.path.exists(path) and os.path.exists(s.signing_key_file):
        # Data made before the identity key existed was hashed with the signing key: keep its hashes.
        existing = _read_or_create_local_key(s.signing_key_file)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(existing)
    return _read_or_create_local_key(path)


def keyed_hash(value: str, purpose: str, settings: Settings | None = None) -> str:
    """A keyed, non-reversible digest standing for a person's data (an email address in keys)."""
    return hmac.new(identity_key(settings), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=16)
def _serializer(keys: tuple[bytes, ...], salt: str, timed: bool) -> Any:
    """One itsdangerous serializer per key ring and salt (they keep no state between calls; every
    warm page with a cursor would build one). Keyed on the keys themselves: a rotation is a new one."""
    from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

    return (URLSafeTimedSerializer if timed else URLSafeSerializer)(list(keys), salt=salt)


@lru_cache(maxsize=16)
def _writer(keys: tuple[bytes, ...], salt: str, timed: bool) -> Any:
    """``_serializer``'s, writing the payload without trying zlib first. Our payloads are short JSON
    objects: a member token never gets shorter compressed (so its text is the same as before) and a
    page cursor by a few bytes only, while setting up a compressor is most of the work of signing
    one (every public page with a "more" link signs a cursor, every manage page a token). The format
    stays itsdangerous's URL-safe one, which marks a compressed payload with a leading "." and an
    uncompressed one without: the readers read both (and everything signed before)."""
    from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
    from itsdangerous.encoding import base64_encode
    from itsdangerous.serializer import Serializer

    base = URLSafeTimedSerializer if timed else URLSafeSerializer

    class Uncompressed(base):  # type: ignore[valid-type, misc]
        def dump_payload(self, obj: Any) -> bytes:
            return base64_encode(Serializer.dump_payload(self, obj))

    return Uncompressed(list(keys), salt=salt)


def sign_cursor(payload: dict[str, Any], scope: str, settings: Settings | None = None) -> str:
    return str(_writer(tuple(keyring(settings)), f"cursor:{scope}", False).dumps(payload))


def read_cursor(token: str, scope: str, settings: Settings | None = None) -> dict[str, Any]:
    """Verify a cursor made by sign_cursor for the same scope; anything else is a 400."""
    from itsdangerous import BadData

    if len(token) > 2048:
        raise InvalidCursor()
    try:
        data = _serializer(tuple(keyring(settings)), f"cursor:{scope}", False).loads(token)
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
    # "Manage my membership" (every email's footer): as long as the other footer links.
    "manage": 400 * 24 * 3600,
}


class TokenError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "expired"


def make_token(purpose: str, payload: dict[str, Any], settings: Settings | None = None) -> str:
    """A signed, timestamped token good for one purpose only (the purpose is the salt)."""
    if purpose not in TOKEN_MAX_AGE:
        raise ValueError(purpose)
    return str(_writer(tuple(keyring(settings)), f"member:{purpose}", True).dumps(payload))


def read_token(token: str | None, purpose: str, settings: Settings | None = None) -> dict[str, Any]:
    from itsdangerous import BadData, SignatureExpired

    if not token or len(token) > 1024:
        raise TokenError("invalid")
    serializer = _serializer(tuple(keyring(settings)), f"member:{purpose}", True)
    try:
        data = serializer.loads(token, max_age=TOKEN_MAX_AGE[purpose])
    except SignatureExpired:
        raise TokenError("expired") from None
    except (BadData, ValueError, TypeError):
        raise TokenError("invalid") from None
    if not isinstance(data, dict):
        raise TokenError("invalid")
    return data
