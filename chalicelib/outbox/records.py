"""Outbox and intake items. Key prefixes are defined here and nowhere else.

- ``OUTBOX#<id>`` / ``OUTBOX``: one email (or batch of emails) a state change promised. It holds
  references only (group, signup id, generation), never an address or a name: the sender reads
  the record it refers to when it sends. ``pending`` → ``sending`` (claimed, with a lease) →
  ``sent`` | ``held`` (nothing to send any more, or an address limit held it back) | ``failed``.
  While pending, ``gsi1`` = ``OUTBOX#pending`` / ``<created_at>#<id>`` lets the scheduled sweep
  find what the stream did not deliver.
The same stream handler also processes signup forms (``INTAKE#`` items, owned by
``chalicelib/signups/records.py``).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

OUTBOX_PREFIX = "OUTBOX#"
OUTBOX_SK = "OUTBOX"
OUTBOX_PENDING = "OUTBOX#pending"

# done: the item promised work but no email (e.g. a late joiner's catch-up when nothing was due).
OutboxStatus = Literal["pending", "sending", "sent", "done", "held", "failed"]
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
    lease_until: NotRequired[int]
    run_id: NotRequired[str]
    sent_at: NotRequired[str]
    reason: NotRequired[str]
    expires_at: NotRequired[int]


def outbox_key_pk(outbox_id: str) -> str:
    return OUTBOX_PREFIX + outbox_id
