"""Announcement items. Key prefixes are defined here and nowhere else.

- ``ANNOUNCEMENTS#<group>`` / ``<announcement id>``: one announcement (subject, text, whether it
  attaches the next meeting's invitation), optimistic-locked by ``version`` while it is a draft.
  ``draft`` → ``sending`` → ``sent``. While sending, ``gsi1`` = ``ANNOUNCEMENTS#sending`` /
  ``<group>#<id>`` lets the scheduled run finish what a sender left (a sparse index).
- ``ANNOUNCED#<group>#<id>`` / ``<signup_id>``: the announcement's ledger, one row per member:
  ``claimed`` (with a lease and the run's id) → ``sent`` | ``failed``. ``gsi1`` is the member index
  of the delivery ledger (``MEMBERDELIV#<group>#<signup_id>`` / ``A<id>``), so erasing a person
  deletes these rows too. Rows expire 90 days after they are written (DynamoDB TTL).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

ANNOUNCEMENTS_PREFIX = "ANNOUNCEMENTS#"
ANNOUNCED_PREFIX = "ANNOUNCED#"
SENDING_INDEX = "ANNOUNCEMENTS#sending"
# Sort key of an announcement's rows in the member index (meeting rows sort by date, "2026-...").
MEMBER_INDEX_SORT_PREFIX = "A"

AnnouncementStatus = Literal["draft", "sending", "sent"]
RowStatus = Literal["claimed", "sent", "failed"]


class AnnouncementRecord(TypedDict):
    id: str
    group_id: str
    subject: str
    body: str
    attach_invite: bool
    status: AnnouncementStatus
    version: int
    created_at: str
    created_by: str
    updated_at: str
    previewed_at: NotRequired[str]
    sending_at: NotRequired[str]
    sent_by: NotRequired[str]
    # When every member active while it was sending had it (sent or refused).
    sent_at: NotRequired[str]


class AnnouncedRow(TypedDict):
    signup_id: str
    status: RowStatus
    run_id: str
    claimed_at: int
    attempts: int
    lease_until: NotRequired[int]
    message_id: NotRequired[str]
    sent_at: NotRequired[str]
    failed_at: NotRequired[str]
    reason: NotRequired[str]


def announcements_partition(group_id: str) -> str:
    return f"{ANNOUNCEMENTS_PREFIX}{group_id}"


def announced_partition(group_id: str, announcement_id: str) -> str:
    return f"{ANNOUNCED_PREFIX}{group_id}#{announcement_id}"
