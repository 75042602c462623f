"""Organizer items. Key prefixes are defined here and nowhere else.

- ``ORGS`` / ``<org_id>``: an organizer (with the SHA-256 of its API key, when it has one).
- ``ORGKEY#<sha256>`` / ``ORGKEY``: the key-hash lookup row the authorizer reads (one GetItem). It
  carries the organizer's id, role and groups, so the authorizer needs nothing else.

Roles: ``admin`` (every group; manages organizers and creates groups) or ``organizer`` (only the
groups named in ``groups``). An organizer stored before roles existed has no ``role``: it reads
as ``admin`` (it could already do everything).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

ORGS_PK = "ORGS"
ORGKEY_PREFIX = "ORGKEY#"
ORGKEY_SK = "ORGKEY"

OrganizerStatus = Literal["active", "revoked"]
Role = Literal["admin", "organizer"]
ROLES: tuple[Role, ...] = ("admin", "organizer")
# An organizer without a role was made before roles existed, when every key could do everything.
LEGACY_ROLE: Role = "admin"


class OrganizerRecord(TypedDict):
    id: str
    name: str
    email: str
    status: OrganizerStatus
    created_at: str
    revoked_at: NotRequired[str]
    role: NotRequired[Role]
    groups: NotRequired[list[str]]
    # Who added this organizer from the console (an organizer id), if anyone.
    invited_by: NotRequired[str]
    # "Sign out everywhere": console sessions started before this instant no longer count.
    sessions_valid_after: NotRequired[str]


PUBLIC_FIELDS = (
    "id",
    "name",
    "email",
    "status",
    "created_at",
    "revoked_at",
    "role",
    "groups",
    "invited_by",
    "sessions_valid_after",
)


def role_of(record: OrganizerRecord | dict[str, object]) -> Role:
    role = record.get("role")
    return role if role in ROLES else LEGACY_ROLE  # type: ignore[return-value]
