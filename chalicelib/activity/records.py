"""Activity items. Key prefixes are defined here and nowhere else.

- ``ACTIVITY#<group id>`` / ``<ISO time>#<id>``: one organizer action on a group (approve, decline,
  a settings change naming the fields, a meeting cancelled or moved, ...). ``ACTIVITY#_org`` holds
  what belongs to no group (events, organizers). They expire after a year (TTL).

An entry names the organizer (id and name) and says what changed in words. A member it is about is
kept by id (``member_id``), never by name: the text holds the placeholder ``{member}``, filled in
when the log is read from the member's current record, or "a member who erased her data" once the
record is gone. Entries written before that (no ``member_id``) name the member in their text; the
member's erasure rewrites them (``ActivityLog.scrub_name``).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

ACTIVITY_PREFIX = "ACTIVITY#"
ORGANIZATION = "_org"
MEMBER_PLACEHOLDER = "{member}"
ERASED_MEMBER = "a member who erased her data"


class ActivityRecord(TypedDict):
    id: str
    at: str
    org_id: str
    org_name: str
    action: str
    summary: str
    expires_at: int
    # The signup the action was about (the summary says ``{member}`` where her name goes).
    member_id: NotRequired[str]
