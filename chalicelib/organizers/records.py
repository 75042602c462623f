"""Organizer items. Key prefixes are defined here and nowhere else.

- ``ORGS`` / ``<org_id>``: an organizer (with the SHA-256 of its key).
- ``ORGKEY#<sha256>`` / ``ORGKEY``: the key-hash lookup row the authorizer reads (one GetItem).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

ORGS_PK = "ORGS"
ORGKEY_PREFIX = "ORGKEY#"
ORGKEY_SK = "ORGKEY"

OrganizerStatus = Literal["active", "revoked"]


class OrganizerRecord(TypedDict):
    id: str
    name: str
    email: str
    status: OrganizerStatus
    created_at: str
    revoked_at: NotRequired[str]


PUBLIC_FIELDS = ("id", "name", "email", "status", "created_at", "revoked_at")
