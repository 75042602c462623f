"""The organizers' "signups waiting" notices, in batches (issue 21 item 9).

Every confirmation that leaves someone waiting for approval adds, in its own transaction, the
outbox item of its batch for each organizer: batches are ``NOTICE_BATCH`` long, and every
confirmation of a batch writes the same item (a deterministic id; an update that sets each field
only if missing, so it never fails the transaction). The item is due ``NOTICE_MARGIN`` after the
batch closes (no write of the batch can reach it after it was sent) and the scheduled sweep sends
it, naming how many wait then. A notice whose batch a later notice already counted (rendered at or
after its due time: ``NOTICE#<group>`` / ``<recipient>``, a conditional update) sends nothing more.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from chalicelib.clock import Clock
from chalicelib.outbox.promise import batched_email
from chalicelib.outbox.records import OutboxRecord, stamp
from chalicelib.signups.storage import SignupRepository

NOTICE_BATCH = timedelta(minutes=5)
NOTICE_MARGIN = timedelta(minutes=1)
MARK_TTL = timedelta(days=2)


def notice_recipient(item: OutboxRecord) -> str:
    """Who an organizer notice is for, as a key: an organizer, or an entry of ORGANIZER_NOTIFY_EMAILS."""
    return f"org:{item['organizer_id']}" if "organizer_id" in item else f"fallback:{item.get('fallback', '0')}"


def notice_batch(now: datetime, group_id: str, recipient: str) -> tuple[str, str]:
    """The batch a confirmation at ``now`` joins: (when its notice is due, the outbox id it shares)."""
    width = int(NOTICE_BATCH.total_seconds())
    start = int(now.timestamp()) // width * width
    due = datetime.fromtimestamp(start + width, tz=UTC) + NOTICE_MARGIN
    digest = hashlib.sha256(f"notice\n{group_id}\n{recipient}".encode()).hexdigest()[:12]
    return stamp(due), f"{due:%Y%m%dT%H%M%S%f}-{digest}"


def notice_item(table: str, now: datetime, group_id: str, **recipient: str) -> dict[str, Any]:
    """The transaction item of this confirmation's batch, to one organizer (``organizer_id``) or one
    entry of ORGANIZER_NOTIFY_EMAILS (``fallback``)."""
    due, outbox_id = notice_batch(now, group_id, notice_recipient(cast(OutboxRecord, recipient)))
    return batched_email(
        table=table,
        outbox_id=outbox_id,
        kind="organizer_notice",
        now=now,
        due=due,
        group_id=group_id,
        organizer_id=recipient.get("organizer_id"),
        fallback=recipient.get("fallback"),
        ref=due,
    )


def may_send_notice(repo: SignupRepository, clock: Clock, item: OutboxRecord) -> bool:
    """A batched notice goes unless a notice to the same organizer was rendered since its batch
    closed (that one counted this batch's signups too). Claims it: call when rendering."""
    due = item.get("ref")
    if not due:
        return True  # written before notices were batched
    now = clock.now()
    return repo.claim_notice(
        item["group_id"],
        notice_recipient(item),
        due=due,
        now=stamp(now),
        outbox_id=item["id"],
        ttl=int((now + MARK_TTL).timestamp()),
    )
