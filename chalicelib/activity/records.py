"""Activity items. Key prefixes are defined here and nowhere else.

- ``ACTIVITY#<group id>`` / ``<ISO time>#<id>``: one organizer action on a group (approve, decline,
  a settings change naming the fields, a meeting cancelled or moved, ...). ``ACTIVITY#_org`` holds
  what belongs to no group (events, organizers). They expire after a year (TTL).

An entry names the organizer (id and name) and says what changed in words; it carries no member
details beyond what the console page already shows (a member's name where the action was about them).
"""

from __future__ import annotations

from typing import TypedDict

ACTIVITY_PREFIX = "ACTIVITY#"
ORGANIZATION = "_org"


class ActivityRecord(TypedDict):
    id: str
    at: str
    org_id: str
    org_name: str
    action: str
    summary: str
    expires_at: int
