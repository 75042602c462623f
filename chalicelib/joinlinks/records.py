"""Join-link items. Key prefixes are defined here and nowhere else.

- ``JOIN#<sha256 of the token>`` / ``JOIN``: which member a personal link belongs to (the token
  itself is never stored). The link works while that member is active with the same generation
  and link revision (``link_rev`` on the signup record grows when an organizer replaces the link).
  A replaced link's row is deleted with the replacement, an earlier generation's row when the
  record restarts; ``gsi1`` is the delivery ledger's member index (``MEMBERDELIV#<group>#<signup_id>``
  / ``L<token hash>``), so erasure finds every one.
- ``JOINWIN#<group>`` / ``JOINWIN``: what the link needs at 3:59 PM in one read: the room (Zoom
  link, passcode, meeting ID, dial-in) as it stands and the next meetings' opening windows.
  Rewritten with every change of the group's settings or a meeting, and by every scheduled run.
- ``RATE#join#<token hash>`` and ``RATE#joinip#<ip hash>`` / ``<minute>``: the link's rate limits.
- The first time a member opened their link for a meeting is a row in that meeting's delivery
  ledger partition (``<signup_id>#opened``, see chalicelib/distribution/records.py), so it expires
  with the ledger; it is in the member index (``<date>#opened``), so erasure finds it even under
  a date the schedule no longer has.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

JOIN_PREFIX = "JOIN#"
JOIN_SK = "JOIN"
WINDOW_PREFIX = "JOINWIN#"
WINDOW_SK = "JOINWIN"
OPENED_KIND = "opened"
# Sort key prefix of a link row in the member index (meeting rows sort by date, announcements by "A").
LINK_INDEX_SORT_PREFIX = "L"
# Per-minute counters with TTL: uses of one personal link, and unknown links tried from one address.
TOKEN_RATE_PREFIX = "RATE#join#"
IP_RATE_PREFIX = "RATE#joinip#"


class JoinLinkRecord(TypedDict):
    group_id: str
    signup_id: str
    gen: str
    link_rev: int


class WindowMeeting(TypedDict):
    date: str
    start: str  # ISO 8601 with the group's offset
    end: str
    opens: str
    status: Literal["scheduled", "moved", "cancelled"]
    sequence: int


class JoinWindowRecord(TypedDict):
    group_id: str
    name: str
    timezone: str
    zoom_url: str
    zoom_passcode: str | None
    zoom_meeting_id: str | None
    zoom_dial_in: list[str]
    window_minutes: int
    # What a first meeting is like (groups/expect.py), shown on the page outside the window.
    what_to_expect: NotRequired[str]
    meetings: list[WindowMeeting]
    computed_at: str
