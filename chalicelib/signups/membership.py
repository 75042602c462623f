"""A signup's life as a member: the links in her emails, confirming the address, an organizer's
approval or decline, and leaving (one-click unsubscribe). Every change is conditional on the state
it was read in, with the emails it promises in the same transaction."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.errors import Conflict
from chalicelib.signups.core import SignupCore, public_record
from chalicelib.signups.links import MemberLink, Purpose, link_problem, member_url, read_member_link
from chalicelib.signups.records import (
    LIVE_STATUSES,
    PublicSignup,
    SignupRecord,
    SignupStatus,
)
from chalicelib.signups.storage import StateConflict

log = logging.getLogger("mbc.signups")
# Confirmations that meet on the same batched notice item retry (with a jittered wait): more tries.
CONFIRM_TRIES = 6


class SignupMembership(SignupCore):
    # ---------------------------------------------------------------- member links

    def link(self, purpose: Purpose, member: MemberLink) -> str:
        return member_url(purpose, member, self.settings)

    def read_link(self, token: str | None, purpose: Purpose) -> MemberLink:
        return read_member_link(token, purpose, self.settings)

    def confirm(self, member: MemberLink) -> SignupStatus:
        """Confirm the address (and the details the link was sent for); returns the resulting
        status. Harmless to repeat; a link from an earlier signup or email is out of date."""
        now = self.clock.now()
        for _ in range(CONFIRM_TRIES):
            record = self.repo.get(member.group_id, member.signup_id)
            if record is None or record["gen"] != member.gen:
                raise link_problem("gone")
            if record["status"] != "pending_confirmation":
                return record["status"]
            proposal = cast(dict[str, Any] | None, record.get("proposal"))
            if member.proposal and (proposal is None or proposal.get("id") != member.proposal):
                raise link_problem("gone")  # a newer email was sent since
            details = {k: v for k, v in (proposal or {}).items() if k != "id"} if member.proposal else {}
            group = self.groups.get(member.group_id)
            # Added by an organizer: the adder's choice counts as the approval (docs/console.md).
            added = record.get("consent_source") == "organizer"
            target: SignupStatus = "pending_approval" if group["requires_approval"] and not added else "active"
            if added and group["requires_approval"]:
                details = {**details, "approved_at": now.isoformat(), "approved_by": record.get("added_by", "")}
            tx = Transaction().add(
                "signup",
                self.repo.transition_item(
                    member.group_id,
                    member.signup_id,
                    from_statuses=("pending_confirmation",),
                    to_status=target,
                    set_values={**details, "confirmed_at": now.isoformat(), "updated_at": now.isoformat()},
                    gen=member.gen,
                    remove=("expires_at", "proposal"),
                ),
            )
            if target == "active":
                self._welcome_and_catch_up(tx, now, record)
            else:
                self._organizer_notices(tx, now, member.group_id)
            try:
                tx.commit(self.repo.client)
            except TransactionCancelled as exc:
                if "TransactionConflict" in exc.reasons:
                    # Another confirmation writes the same batched notice at this moment: a short,
                    # jittered wait, then again.
                    self.sleep(0.05 + secrets.randbelow(150) / 1000)
                continue  # changed meanwhile: look again
            log.info("signup confirmed signup=%s status=%s", member.signup_id, target)
            return target
        raise Conflict("This signup is changing right now; please try the link again.")

    def unsubscribe(self, member: MemberLink) -> None:
        """Stop all emails to this address from this group. The link proves the mailbox, so it acts
        on the person's current signup even if it came from an earlier one (RFC 8058 one-click)."""
        record = self.repo.get(member.group_id, member.signup_id)
        if record is None or record["status"] not in LIVE_STATUSES:
            return  # nothing is being sent to this address: it is as unsubscribed as it can be
        stamp = self.clock.now().isoformat()
        try:
            self.repo.transition(
                member.group_id,
                member.signup_id,
                from_statuses=LIVE_STATUSES,
                to_status="unsubscribed",
                set_values={"unsubscribed_at": stamp, "updated_at": stamp},
                remove=("expires_at", "proposal"),
            )
        except StateConflict:
            return
        log.info("signup unsubscribed signup=%s", member.signup_id)

    # ---------------------------------------------------------------- organizers

    def approve(
        self, group_id: str, signup_id: str, *, organizer_id: str, also: Sequence[tuple[str, dict[str, Any]]] = ()
    ) -> PublicSignup:
        """``also``: more transaction items written with the change (e.g. the console's activity entry)."""
        self.groups.get(group_id)
        record = self._existing(group_id, signup_id)
        if record["status"] == "active":
            return public_record(record)
        now = self.clock.now()
        changes = {"approved_at": now.isoformat(), "approved_by": organizer_id, "updated_at": now.isoformat()}
        tx = Transaction().add(
            "signup",
            self.repo.transition_item(
                group_id, signup_id, from_statuses=("pending_approval",), to_status="active", set_values=changes
            ),
        )
        self._welcome_and_catch_up(tx, now, record)
        for label, item in also:
            tx.add(label, item)
        try:
            tx.commit(self.repo.client)
        except TransactionCancelled:
            current = self._existing(group_id, signup_id)
            if current["status"] == "active":
                return public_record(current)
            raise Conflict(
                f"Only a confirmed signup awaiting approval can be approved (it is {current['status']})."
            ) from None
        log.info("signup approved signup=%s by=%s", signup_id, organizer_id)
        return public_record(cast(SignupRecord, {**record, **changes, "status": "active"}))

    def reject(
        self,
        group_id: str,
        signup_id: str,
        *,
        organizer_id: str,
        message: str | None = None,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> PublicSignup:
        """Decline a signup, never in silence: a confirmed address gets the group's kind decline message
        (with resources) and the organizer's optional note, through the outbox in the same transaction.
        An unconfirmed address (pending_confirmation) is not written to: nobody proved it is theirs."""
        self.groups.get(group_id)
        record = self._existing(group_id, signup_id)
        if record["status"] == "rejected":
            return public_record(record)
        if record["status"] not in LIVE_STATUSES:
            raise Conflict(f"This signup cannot be declined (it is {record['status']}).")
        now = self.clock.now()
        stamp = now.isoformat()
        changes: dict[str, Any] = {"rejected_at": stamp, "rejected_by": organizer_id, "updated_at": stamp}
        if message:
            changes["decline_note"] = message
        tx = Transaction().add(
            "signup",
            self.repo.transition_item(
                group_id,
                signup_id,
                from_statuses=(record["status"],),
                to_status="rejected",
                set_values=changes,
                gen=record["gen"],
                remove=("expires_at", "proposal"),
            ),
        )
        if record["status"] in ("pending_approval", "active"):
            self._promise(tx, "mail", "declined", now, group_id, record)
        for label, item in also:
            tx.add(label, item)
        try:
            tx.commit(self.repo.client)
        except TransactionCancelled:
            current = self._existing(group_id, signup_id)
            if current["status"] == "rejected":
                return public_record(current)
            raise Conflict("This signup changed meanwhile; please look again.") from None
        log.info("signup declined signup=%s by=%s note=%s", signup_id, organizer_id, bool(message))
        return public_record(cast(SignupRecord, {**record, **changes, "status": "rejected"}))

    def _welcome_and_catch_up(self, tx: Transaction, now: datetime, record: SignupRecord) -> None:
        """A new member's welcome, and the link at once if a reminder already went out; their
        personal link starts to work in the same transaction."""
        if self.join_link_item is not None:
            tx.add("join_link", self.join_link_item(record))
        self._promise(tx, "welcome", "welcome", now, record["group_id"], record)
        self._promise(tx, "catch_up", "catch_up", now, record["group_id"], record)

    def _organizer_notices(self, tx: Transaction, now: datetime, group_id: str) -> None:
        """One "signups waiting" email per organizer of this group (the admins if it has none), each
        sent (or failed) on its own, and batched: every confirmation within the same few minutes
        writes the same outbox item, sent once the batch closes, naming how many wait then
        (``signups/notices.py``). Four confirmations within a second are one email."""
        from chalicelib.signups.notices import notice_item

        table = self.repo.table
        organizers = self.organizers_for_group(group_id)
        for organizer in organizers:
            tx.add("notice", notice_item(table, now, group_id, organizer_id=organizer["id"]))
        for index, _ in enumerate(() if organizers else self.settings.organizer_notify_emails):
            tx.add("notice", notice_item(table, now, group_id, fallback=str(index)))
