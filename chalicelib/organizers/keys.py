"""Organizer API keys: random, shown once, stored only as a SHA-256 hash.

Keys carry 256 bits of randomness, so a plain (unsalted) SHA-256 is enough to make a stolen
table useless and lets the authorizer find a key with one GetItem.
"""

from __future__ import annotations

import hashlib
import secrets

from chalicelib.clock import Clock
from chalicelib.organizers.records import OrganizerRecord
from chalicelib.organizers.storage import OrganizerRepository

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


class OrganizerService:
    def __init__(self, repo: OrganizerRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def organizer_for_header(self, header: str | None) -> str | None:
        """The organizer id a valid ``Authorization: Bearer`` header belongs to, else None."""
        token = bearer_token(header)
        return self.repo.organizer_for_key_hash(hash_key(token)) if token else None

    def create(self, *, name: str, email: str) -> tuple[OrganizerRecord, str]:
        """A new organizer and its key (the only time the key exists in clear)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        org: OrganizerRecord = {
            "id": "org_" + secrets.token_hex(6),
            "name": name,
            "email": email,
            "status": "active",
            "created_at": self.clock.now().isoformat(),
        }
        self.repo.create(org, hash_key(key))
        return org, key

    def all(self) -> list[OrganizerRecord]:
        return self.repo.list()

    def active_emails(self) -> list[str]:
        return [o["email"] for o in self.repo.list() if o["status"] == "active"]

    def revoke(self, org_id: str) -> bool:
        return self.repo.revoke(org_id, when=self.clock.now().isoformat())
