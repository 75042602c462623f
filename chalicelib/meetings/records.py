"""Meeting override items. Key prefixes are defined here and nowhere else.

- ``GROUPMEET#<group_id>`` / ``<scheduled date>``: an organizer's override of one occurrence
  (cancel, move, note). The item outlives the override: removing the override clears it
  (``status`` back to ``scheduled``) and keeps ``sequence``, the meeting's revision counter,
  which only grows (calendar apps ignore an update whose SEQUENCE did not grow).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

OVERRIDE_PREFIX = "GROUPMEET#"

MeetingStatus = Literal["scheduled", "moved", "cancelled"]


class OverrideRecord(TypedDict):
    status: MeetingStatus
    starts_at: str | None
    note: str | None
    # Revision of this occurrence: +1 on every PUT and DELETE of its override.
    sequence: int
    updated_at: str
    updated_by: NotRequired[str]
    # False after a change made with notify=false: members who were never told anything about
    # this meeting are not sent an announcement of it (refused once anyone was told).
    announce: NotRequired[bool]
    # The organizer asked to tell members now (ISO instant of the change): the cancellation or
    # move is announced from then on instead of ``announce_days`` before the meeting.
    announce_from: NotRequired[str]
