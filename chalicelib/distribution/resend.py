"""An organizer's "send it again" for one member and meeting (the console's "Who was sent what").

The request is one transaction: the email about her (the outbox item ``meeting_resend`` and her
reference to it, the signups' part: ``SignupService.promise_member_email``), sent by
``Distributor.resend`` through the meeting's ledger so the next run knows what she was told; the
ledger's guard row (at most one re-send per member and meeting per ``RESEND_COOLDOWN``); and what
the caller adds (the activity entry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.clock import Clock
from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.errors import RateLimited

if TYPE_CHECKING:
    from chalicelib.distribution.ledger import DeliveryRepository
    from chalicelib.meetings.meeting import Meeting
    from chalicelib.signups.records import SignupRecord


class ResendRequests:
    def __init__(
        self,
        *,
        client: Any,
        ledger: DeliveryRepository,
        clock: Clock,
        promise_member_email: Callable[..., None],
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.clock = clock
        # SignupService.promise_member_email: the outbox's part and her reference to it, in our transaction.
        self.promise_member_email = promise_member_email

    def request(
        self,
        group_id: str,
        day: str,
        meeting: Meeting,
        person: SignupRecord,
        *,
        organizer_id: str,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """``day``: the meeting's date as the console names it. RateLimited (naming her) while her
        last re-send about this meeting is under the cooldown."""
        from chalicelib.distribution.runner import LEDGER_RETENTION, RESEND_COOLDOWN

        now = self.clock.now()
        tx = Transaction()
        self.promise_member_email(
            tx, label="mail", kind="meeting_resend", record=person, now=now, organizer_id=organizer_id, ref=day or None
        )
        # Through the meeting's ledger (the next run knows what she was told), one per few minutes.
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
