"""Delivery ledger items. Key prefixes are defined here and nowhere else.

- ``DELIVERIES#<group>#<date>`` / ``<signup_id>#<message key>``: one row per meeting, member and
  message. ``gsi1`` = ``MEMBERDELIV#<group>#<signup_id>`` / ``<date>#<message key>`` finds a
  person's rows for erasure.

A row moves ``claimed`` (with a lease and the claiming run's id) → ``sent`` (with the SES
message id) or ``failed`` (with a reason). A claim whose lease ran out belongs to a run that
died; the next run may take it over.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

LEDGER_PREFIX = "DELIVERIES#"
MEMBER_INDEX_PREFIX = "MEMBERDELIV#"

MessageType = Literal["reminder", "cancelled", "moved"]
DeliveryStatus = Literal["claimed", "sent", "failed"]


class DeliveryRow(TypedDict):
    signup_id: str
    # The message's ledger key, e.g. "r60", "cancelled", "moved-20261201T2300Z".
    kind: str
    message: MessageType
    status: DeliveryStatus
    run_id: str
    claimed_at: int
    attempts: int
    # The meeting start this message announced (ISO UTC).
    for_start: str
    lease_until: NotRequired[int]
    message_id: NotRequired[str]
    sent_at: NotRequired[str]
    failed_at: NotRequired[str]
    reason: NotRequired[str]


def ledger_partition(group_id: str, day: str) -> str:
    return f"{LEDGER_PREFIX}{group_id}#{day}"


def member_index_key(group_id: str, signup_id: str) -> str:
    return f"{MEMBER_INDEX_PREFIX}{group_id}#{signup_id}"
