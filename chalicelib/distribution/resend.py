"""An organizer's "send it again" for one member and meeting (the console's "Who was sent what").

The request is one transaction: the outbox item ``meeting_resend`` (sent by ``Distributor.resend``
through the meeting's ledger, so the next run knows what she was told), the ledger's guard row (at
most one re-send per member and meeting per ``RESEND_COOLDOWN``), what the caller adds (the activity
entry) and her reference to the outbox item (erasure finds it by her key)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.clock import Clock
from chalicelib.db import Transaction, TransactionCancelled, to_attr
from chalicelib.errors import RateLimited

if TYPE_CHECKING:
    from chalicelib.distribution.ledger import DeliveryRepository
    from chalicelib.meetings.meeting import Meeting

# How long her reference to the outbox item is kept (the item itself is gone well before).
REF_RETENTION = timedelta(days=45)


class ResendRequests:
    def __init__(
        self,
        *,
        client: Any,
        ledger: DeliveryRepository,
        clock: Clock,
        mail_item: Callable[..., dict[str, Any]],
        member_ref_item: Callable[..., dict[str, Any]],
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.clock = clock
        self.mail_item = mail_item  # (kind, now, organizer_id=, ref=) -> the outbox item's Put
        self.member_ref_item = member_ref_item  # (group_id, signup_id, outbox_id, expires_at=) -> Put

    def request(
        self,
        group_id: str,
        day: str,
        meeting: Meeting,
        person: dict[str, Any],
        *,
        organizer_id: str,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """``day``: the meeting's date as the console names it. RateLimited (naming her) while her
        last re-send about this meeting is under the cooldown."""
        from chalicelib.distribution.runner import LEDGER_RETENTION, RESEND_COOLDOWN

        now = self.clock.now()
        item = self.mail_item("meeting_resend", now, organizer_id=organizer_id, ref=day)
        put = item["Put"]["Item"]
        put["group_id"], put["signup_id"], put["gen"] = to_attr(group_id), to_attr(person["id"]), to_attr(person["gen"])
        tx = Transaction().add("mail", item)
        guard = self.ledger.resend_guard_item(
            group_id,
            day,
            person["id"],
            now_epoch=int(now.timestamp()),
            cooldown_seconds=int(RESEND_COOLDOWN.total_seconds()),
            expires_at=int((meeting.ends_at + LEDGER_RETENTION).timestamp()),
        )
        tx.add("guard", guard)
        for label, extra in also:
            tx.add(label, extra)
        ref_expires = int((now + REF_RETENTION).timestamp())
        tx.add("mail_ref", self.member_ref_item(group_id, person["id"], put["id"]["S"], expires_at=ref_expires))
        try:
            tx.commit(self.client)
        except TransactionCancelled as exc:
            if exc.failed("guard"):
                minutes = int(RESEND_COOLDOWN.total_seconds() // 60)
                raise RateLimited(
                    f"{person['name']} was sent this a moment ago; you can send it again after {minutes} minutes.",
                    retry_after=int(RESEND_COOLDOWN.total_seconds()),
                ) from None
            raise
