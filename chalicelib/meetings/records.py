"""Meeting override items. Key prefixes are defined here and nowhere else.

- ``GROUPMEET#<group_id>`` / ``<scheduled date>``: an organizer's override of one occurrence
  (cancel, move, note) as a JSON document, with a ``sequence`` that only grows.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

OVERRIDE_PREFIX = "GROUPMEET#"

MeetingStatus = Literal["scheduled", "moved", "cancelled"]


class OverrideRecord(TypedDict):
    status: MeetingStatus
    starts_at: str | None
    note: str | None
    sequence: int
    updated_at: str
    updated_by: NotRequired[str]
