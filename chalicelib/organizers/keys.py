"""Organizer API keys: random, shown once, stored only as a SHA-256 hash.

Keys carry 256 bits of randomness, so a plain (unsalted) SHA-256 is enough to make a stolen
table useless and lets the authorizer find a key with one GetItem.

Organizers added from the console have no key (they sign in by email); the CLI makes keys.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from chalicelib.clock import Clock
from chalicelib.errors import Invalid, NotFound
from chalicelib.organizers.records import ROLES, OrganizerRecord, Role, role_of
from chalicelib.organizers.scope import Principal
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


def new_organizer_id() -> str:
    return "org_" + secrets.token_hex(6)


class OrganizerService:
    def __init__(self, repo: OrganizerRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def principal_for_header(self, header: str | None) -> Principal | None:
        """Who a valid ``Authorization: Bearer`` header belongs to (id, role, groups), else None."""
        token = bearer_token(header)
        found = self.repo.lookup_key_hash(hash_key(token)) if token else None
        if found is None:
            return None
        return Principal(str(found["org_id"]), role_of(found), frozenset(found.get("groups") or ()))

    def organizer_for_header(self, header: str | None) -> str | None:
        """The organizer id a valid ``Authorization: Bearer`` header belongs to, else None."""
        token = bearer_token(header)
        return self.repo.organizer_for_key_hash(hash_key(token)) if token else None

    def record(
        self, *, name: str, email: str, role: Role = "admin", groups: Iterable[str] = (), invited_by: str | None = None
    ) -> OrganizerRecord:
        """A new organizer's record (not stored): the role's rules checked."""
        from chalicelib.validation import refused_character

        if role not in ROLES:
            raise Invalid(fields={"role": "Must be admin or organizer."})
        problem = refused_character(name)  # the single-line rule (names may reach an email's header)
        if problem:
            raise Invalid(fields={"name": problem})
        chosen = sorted(set(groups))
        if role == "organizer" and not chosen:
            raise Invalid(fields={"groups": "Choose at least one group for an organizer."})
        org: OrganizerRecord = {
            "id": new_organizer_id(),
            "name": name,
            "email": email,
            "status": "active",
            "created_at": self.clock.now().isoformat(),
            "role": role,
            "groups": chosen if role == "organizer" else [],
        }
        if invited_by:
            org["invited_by"] = invited_by
        return org

    def create(
        self, *, name: str, email: str, role: Role = "admin", groups: Iterable[str] = ()
    ) -> tuple[OrganizerRecord, str]:
        """A new organizer and its key (the only time the key exists in clear)."""
        org = self.record(name=name, email=email, role=role, groups=groups)
        if self.by_email(email) is not None:
            raise Invalid(fields={"email": "An active organizer already has this address."})
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.repo.create(org, hash_key(key))
        return org, key

    def get(self, org_id: str) -> OrganizerRecord | None:
        return self.repo.get(org_id) if 1 <= len(org_id) <= 64 else None

    def by_email(self, email: str) -> OrganizerRecord | None:
        """The active organizer with this (normalised) address: one Query of the few organizers."""
        found = [o for o in self.repo.list() if o["status"] == "active" and o["email"].lower() == email.lower()]
        return found[0] if found else None

    def all(self) -> list[OrganizerRecord]:
        return self.repo.list()

    def active_emails(self) -> list[str]:
        return [o["email"] for o in self.repo.list() if o["status"] == "active"]

    def for_group(self, group_id: str) -> list[OrganizerRecord]:
        """Who hears about a group's waiting signups: the organizers named for it, or (if it has
        none) the admins."""
        active = [o for o in self.repo.list() if o["status"] == "active"]
        named = [o for o in active if role_of(o) == "organizer" and group_id in (o.get("groups") or [])]
        return named or [o for o in active if role_of(o) == "admin"]

    def revoke(self, org_id: str) -> bool:
        return self.repo.revoke(org_id, when=self.clock.now().isoformat())

    def invite(self, record: OrganizerRecord, *, also: Sequence[tuple[str, dict[str, Any]]] = ()) -> None:
        """Store an organizer added in the console (no API key: they sign in by email) in one
        transaction with ``also`` (the invitation email, the activity entry)."""
        from chalicelib.db import Transaction

        tx = Transaction()
        for item in self.repo.new_items(record, None):
            tx.add("organizer", item)
        for label, item in also:
            tx.add(label, item)
        tx.commit(self.repo.client)

    def remove(self, org_id: str, *, also: Sequence[tuple[str, dict[str, Any]]] = ()) -> None:
        """Revoke an organizer (their key row goes; sessions end with the status) in one transaction
        with ``also`` (the activity entry). NotFound if unknown or already revoked."""
        from chalicelib.db import Transaction

        items = self.repo.revoke_items(org_id, when=self.clock.now().isoformat())
        if items is None:
            raise NotFound("organizer")
        tx = Transaction()
        for item in items:
            tx.add("organizer", item)
        for label, item in also:
            tx.add(label, item)
        tx.commit(self.repo.client)

    def sign_out_everywhere(self, org_id: str) -> None:
        self.repo.set_sessions_valid_after(org_id, self.clock.now().isoformat())
