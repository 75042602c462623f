"""Outbox and intake items. Key prefixes are defined here and nowhere else.

- ``OUTBOX#<id>`` / ``OUTBOX``: one email (or batch of emails) a state change promised. It holds
  references only (group, signup id, generation), never an address or a name: the sender reads
  the record it refers to when it sends. ``pending`` → ``sending`` (claimed, with a lease) →
  ``sent`` (with SES's ``message_id``) | ``done`` | ``held`` (nothing to send any more, or an
  address limit held it back) | ``failed`` (SES refused the recipient) | ``pending`` again with a
  later ``next_attempt_at`` (a retry, with backoff) | ``parked`` (out of attempts, or the outcome of
  a send is unknown: an admin retries or discards it) → ``discarded``.
  While pending, ``gsi1`` = ``OUTBOX#pending`` / ``<due>#<id>`` (due: ``created_at``, then
  ``next_attempt_at``) lets the scheduled sweep find what is due; while parked, ``gsi1`` =
  ``OUTBOX#parked`` / ``<parked_at>#<id>`` lists what waits for an admin. ``submit_run`` is set
  just before SES is asked and removed with the outcome: a claim that finds it set belongs to a
  sender that died between the send and its record, and is parked (never sent again on its own).
- ``MAILPAUSE`` / ``MAILPAUSE``: "sending is paused until ...", written (conditionally, once) when
  SES refuses for every recipient (account paused or suspended, access denied, configuration).
  The sender reads it once per batch and sweep; pending items wait for the sweep after it.
The same stream handler also processes signup forms (``INTAKE#`` items, owned by
``chalicelib/signups/records.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

from chalicelib.db import key

OUTBOX_PREFIX = "OUTBOX#"
OUTBOX_SK = "OUTBOX"
OUTBOX_PENDING = "OUTBOX#pending"
OUTBOX_PARKED = "OUTBOX#parked"
# Not under OUTBOX#: the stream's filter passes OUTBOX# inserts, and the marker must not invoke it.
PAUSE_PK = "MAILPAUSE"
PAUSE_SK = "MAILPAUSE"

# done: the item promised work but no email (e.g. a late joiner's catch-up when nothing was due).
OutboxStatus = Literal["pending", "sending", "sent", "done", "held", "failed", "parked", "discarded"]
# Address limits for mail a stranger can trigger by posting the form: "spaced" (at most one such
# email to an address every few minutes, and a daily cap), "daily" (the cap only: a new or
# restarted signup is never held back by the spacing), None (not limited: mail after a
# member's own action or an organizer's).
AddressLimit = Literal["spaced", "daily"]


class OutboxRecord(TypedDict):
    id: str
    kind: str
    status: OutboxStatus
    created_at: str
    group_id: str
    signup_id: NotRequired[str]
    gen: NotRequired[str]
    limit: NotRequired[AddressLimit]
    # Details of the confirmation: which proposal (pending details) the link confirms.
    proposal: NotRequired[str]
    # An organizer notice: to this organizer, or to this entry of ORGANIZER_NOTIFY_EMAILS.
    organizer_id: NotRequired[str]
    fallback: NotRequired[str]
    # An announcement's preview (to ``organizer_id``) or a sender pass; the draft's version.
    announcement_id: NotRequired[str]
    version: NotRequired[int]
    # What else the handler needs, by reference: a console sign-in link's id, a meeting's date.
    ref: NotRequired[str]
    attempts: NotRequired[int]
    next_attempt_at: NotRequired[str]
    lease_until: NotRequired[int]
    run_id: NotRequired[str]
    submit_run: NotRequired[str]
    sent_at: NotRequired[str]
    message_id: NotRequired[str]
    parked_at: NotRequired[str]
    reason: NotRequired[str]
    expires_at: NotRequired[int]


class PauseRecord(TypedDict):
    until: str
    reason: str
    since: str


def outbox_key_pk(outbox_id: str) -> str:
    return OUTBOX_PREFIX + outbox_id


def outbox_key(outbox_id: str) -> dict[str, Any]:
    """The item's key (other features delete by it: erasure of the items about a member)."""
    return key(outbox_key_pk(outbox_id), OUTBOX_SK)


def stamp(moment: datetime) -> str:
    """One fixed-width form for the times the sender compares (due, parked)."""
    return moment.isoformat(timespec="microseconds")
