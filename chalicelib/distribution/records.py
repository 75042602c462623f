"""Delivery ledger items. Key prefixes are defined here and nowhere else.

- ``DELIVERIES#<group>#<date>`` / ``<signup_id>#<message key>``: one row per meeting, member and
  message. ``gsi1`` = ``MEMBERDELIV#<group>#<signup_id>`` / ``<date>#<message key>`` finds a
  person's rows for erasure.
- ``TOLDDATES#<group>`` / ``<date>``: a meeting date somebody was sent something about (written
  with each claim, no personal data): the planner finds the dates a changed schedule no longer
  generates, whose told members are owed a cancellation (one Query per group and run).

- ``RUNLEASE#scheduled`` / ``RUNLEASE``: the scheduled run's lease (``holder``: the run holding it,
  ``until``: wall-clock epoch seconds, its Lambda deadline; ``event_id``: the schedule event it last
  took), so two invocations never run at once and a delivered-twice event runs once
  (``distribution/run_lease.py``).

A row moves ``claimed`` (with a lease and the claiming run's id) → ``sent`` (with the SES
message id) or ``failed`` (with a reason). A claim whose lease ran out belongs to a run that
died; the next run may take it over.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

LEDGER_PREFIX = "DELIVERIES#"
TOLD_DATES_PREFIX = "TOLDDATES#"
MEMBER_INDEX_PREFIX = "MEMBERDELIV#"
RUN_LEASE_PREFIX = "RUNLEASE#"
RUN_LEASE_SK = "RUNLEASE"

# reminder: at a lead time, with the meeting as it stands; changed: the time or the join details
# are no longer what the member was told; cancelled / back_on: the meeting is off / on again.
MessageType = Literal["reminder", "changed", "cancelled", "back_on"]
DeliveryStatus = Literal["claimed", "sent", "failed"]


class DeliveryRow(TypedDict):
    signup_id: str
    # The message's ledger key: "r<lead minutes>" for a reminder of the meeting at its scheduled
    # time, "r<lead minutes>@<UTC start, YYYYMMDDTHHMMZ>" for a reminder of the meeting moved to that
    # start, "n<sequence>" for a notice about the meeting's revision <sequence> (each revision is
    # announced at most once), "x<time>" for an organizer's re-send.
    kind: str
    message: MessageType
    status: DeliveryStatus
    run_id: str
    claimed_at: int
    attempts: int
    # What the message says (truth.Said): start and end (ISO UTC), on or cancelled, join fingerprint;
    # and the calendar SEQUENCE its invite carries.
    said_start: str
    said_end: str
    said_status: Literal["on", "cancelled"]
    said_join: str
    seq: int
    lease_until: NotRequired[int]
    message_id: NotRequired[str]
    sent_at: NotRequired[str]
    failed_at: NotRequired[str]
    reason: NotRequired[str]


def ledger_partition(group_id: str, day: str) -> str:
    return f"{LEDGER_PREFIX}{group_id}#{day}"


def member_index_key(group_id: str, signup_id: str) -> str:
    return f"{MEMBER_INDEX_PREFIX}{group_id}#{signup_id}"


# The row an organizer's "Re-send" leaves in the meeting's ledger partition (``<signup_id>#resend``,
# ``requested_at`` in epoch seconds): at most one re-send per member and meeting per RESEND_COOLDOWN.
RESEND_GUARD_KIND = "resend"
RESEND_KEY_PREFIX = "x"


def told_dates_partition(group_id: str) -> str:
    return f"{TOLD_DATES_PREFIX}{group_id}"


def run_lease_pk(name: str) -> str:
    return f"{RUN_LEASE_PREFIX}{name}"
