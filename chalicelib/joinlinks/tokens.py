"""Personal link tokens: 160 bits derived with the identity key (stable across signing-key
rotations) from the member's signup, generation and link revision, so any email can show the link
without the token being stored; only its SHA-256 is stored, to find the member."""

from __future__ import annotations

import base64
import hashlib
import hmac

from chalicelib.settings import Settings
from chalicelib.signing import identity_key

TOKEN_LENGTH = 27  # base64url characters: 162 bits


def join_token(*, group_id: str, signup_id: str, gen: str, link_rev: int, settings: Settings) -> str:
    digest = hmac.new(
        identity_key(settings), f"join:{group_id}:{signup_id}:{gen}:{link_rev}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:TOKEN_LENGTH]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plausible(token: str) -> bool:
    return len(token) == TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in token)


def personal_link(*, group_id: str, signup_id: str, gen: str, link_rev: int, settings: Settings) -> str:
    token = join_token(group_id=group_id, signup_id=signup_id, gen=gen, link_rev=link_rev, settings=settings)
    return f"{settings.public_api_url}/j/{token}"
