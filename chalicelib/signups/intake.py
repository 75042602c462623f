"""Signup intake: the form and "send me the link again". Both requests only store what was
posted (the same storage work for every address); the outbox's stream handler processes it
(``process_intake``): create, restart or refresh the signup and promise at most one email, in one
transaction."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from chalicelib.db import Transaction, TransactionCancelled, is_unavailable
from chalicelib.errors import GroupPaused, Invalid, NotFound, RateLimited, validate_model
from chalicelib.signing import keyed_hash
from chalicelib.signups.addresses import email_hash, signup_id_for
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.signups.core import INTAKE_TTL, PENDING_TTL, PROCESS_TRIES, SignupCore
from chalicelib.signups.records import (
    INTAKE_SK,
    RESEND_SK,
    IntakeRecord,
    ResendRequest,
    SignupRecord,
)

log = logging.getLogger("mbc.signups")

# Tries to take back a form whose write's answer was lost (storage not answering), and the waits.
WITHDRAW_WAITS = (0.2, 0.5, 1.0, 2.0)
DETAIL_FIELDS = ("name", "state", "how_heard")


class SignupIntake(SignupCore):
    # ---------------------------------------------------------------- the form

    def parse_form(self, data: dict[str, Any]) -> Any:
        from chalicelib.signups.models import SignupForm

        if isinstance(data, dict) and "consent" not in data:
            # An unticked checkbox is not sent at all: say what it means, not "please fill this in".
            data = {**data, "consent": False}
        form = validate_model(SignupForm, data)
        if form.redirect is not None and not self.redirect_allowed(form.redirect):
            raise Invalid(fields={"redirect": "Must be a page on the website's own origin."})
        return form

    def redirect_allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.username or parts.password:
            return False
        return self.origin_allowed(f"{parts.scheme}://{parts.netloc}".lower())

    def check_ip(self, source_ip: str, now: datetime) -> None:
        """Per-source-IP limit on signups (a 429 here reveals nothing about any address)."""
        hour_start = now.replace(minute=0, second=0, microsecond=0)
        reset = hour_start + timedelta(hours=1)
        count = self.repo.count_ip(
            keyed_hash(source_ip, "ip"), hour=hour_start.strftime("%Y-%m-%dT%H"), ttl=int(reset.timestamp()) + 3600
        )
        if count > self.settings.signup_limit_per_ip_per_hour:
            log.warning("signup rate limited by source ip count=%d", count)
            raise RateLimited(
                "Too many signups from your network. Please try again later.",
                retry_after=int((reset - now).total_seconds()),
            )

    def submit(self, group_id: str, form: Any, *, source_ip: str) -> None:
        """Keep the form for the outbox's handler; the caller answers 202 whatever the address.
        Every address costs the same storage work here: the group, the IP counter, one put."""
        now = self.clock.now()
        if form.website.strip():
            log.info("signup honeypot filled; ignored")
            return
        group = self.groups.get(group_id)
        if group["status"] != "active":
            raise GroupPaused()
        self.check_ip(source_ip, now)
        intake: dict[str, Any] = {
            "group_id": group_id,
            "request_id": secrets.token_hex(8),
            "received_at": now.isoformat(),
            "name": form.name,
            "email": form.email,
            "state": form.state,
            # The version the person was shown (the form refuses any but the current one).
            "consent_version": form.consent_version or CONSENT_VERSION,
            "how_heard": form.how_heard,
            "expires_at": int((now + INTAKE_TTL).timestamp()),
        }
        address_hash = email_hash(form.email)
        try:
            self.repo.put_intake(
                cast(IntakeRecord, {k: v for k, v in intake.items() if v is not None}), address_hash=address_hash
            )
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # The write's answer was lost: it may have landed (or land later). The request answers
            # 503 only once the form is taken back for good; if it was processed already, it succeeded.
            if self._withdraw(address_hash, group_id, intake["request_id"], now=now):
                raise
            log.info("signup form write confirmed after an outage")

    def _withdraw(
        self, address_hash: str, group_id: str, request_id: str, *, now: datetime, sk: str = INTAKE_SK
    ) -> bool:
        """Take back a form whose write may have landed: True once it is taken back (nothing will
        happen), False if it was processed already (the request succeeded). Raises if storage does
        not answer at all meanwhile."""
        expires = int((now + INTAKE_TTL).timestamp())
        for wait in (*WITHDRAW_WAITS, None):
            try:
                return self.repo.withdraw_intake(address_hash, group_id, request_id, expires_at=expires, sk=sk)
            except Exception as exc:
                if not is_unavailable(exc) or wait is None:
                    raise
                self.sleep(wait)
        raise AssertionError("unreachable")

    # ---------------------------------------------------------------- "send me the link again"

    def parse_resend(self, data: dict[str, Any]) -> Any:
        from chalicelib.signups.models import ResendForm

        form = validate_model(ResendForm, data)
        if form.redirect is not None and not self.redirect_allowed(form.redirect):
            raise Invalid(fields={"redirect": "Must be a page on the website's own origin."})
        return form

    def submit_resend(self, group_id: str, form: Any, *, source_ip: str) -> None:
        """Keep the request for the outbox's handler; the caller answers 202 whatever the address.
        Every address costs the same storage work here: the group, the IP counter, one put."""
        now = self.clock.now()
        if form.website.strip():
            log.info("resend honeypot filled; ignored")
            return
        self.groups.get(group_id)
        hour_start = now.replace(minute=0, second=0, microsecond=0)
        reset = hour_start + timedelta(hours=1)
        count = self.repo.count_ip(
            keyed_hash(source_ip, "resend-ip"),
            hour=hour_start.strftime("%Y-%m-%dT%H"),
            ttl=int(reset.timestamp()) + 3600,
        )
        if count > self.settings.signup_limit_per_ip_per_hour:
            log.warning("resend rate limited by source ip count=%d", count)
            raise RateLimited(
                "Too many requests from your network. Please try again later.",
                retry_after=int((reset - now).total_seconds()),
            )
        request: ResendRequest = {
            "group_id": group_id,
            "request_id": secrets.token_hex(8),
            "received_at": now.isoformat(),
            "email": form.email,
            "expires_at": int((now + INTAKE_TTL).timestamp()),
        }
        address_hash = email_hash(form.email)
        try:
            self.repo.put_resend(request, address_hash=address_hash)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            if self._withdraw(address_hash, group_id, request["request_id"], now=now, sk=RESEND_SK):
                raise  # taken back: 503, and nothing is sent
            log.info("resend request write confirmed after an outage")

    def _process_resend(self, request: dict[str, Any]) -> None:
        """An active member gets her link and the next meeting; someone still to confirm gets the
        confirmation again; someone waiting for approval hears that it is on its way. Nobody else
        gets anything, and the requester's answer was the same in every case."""
        now = self.clock.now()
        group_id, email = str(request["group_id"]), str(request["email"])
        address_hash = email_hash(email)
        existing = self.repo.get(group_id, signup_id_for(group_id, email))
        tx = Transaction()
        if existing is not None and not self.repo.is_suppressed(address_hash):
            kind = {"active": "your_link", "pending_approval": "already_member", "pending_confirmation": "confirm"}
            if existing["status"] in kind:
                self._promise(tx, "mail", kind[existing["status"]], now, group_id, existing, limit="spaced")
        done = int((now + INTAKE_TTL).timestamp())
        request_id = str(request["request_id"])
        promised = "mail" in tx.labels
        tx.add(
            "request",
            self.repo.resend_done_item(address_hash, group_id, request_id, expires_at=done, tombstone=promised),
        )
        try:
            tx.commit(self.repo.client)
        except TransactionCancelled:
            return  # a newer request replaced this one (it is processed on its own)
        log.info("resend request processed mail=%s", "mail" in tx.labels)

    def process_intake(self, intake: dict[str, Any]) -> None:
        """Apply one posted form (the outbox's stream handler calls this): create, restart or
        refresh the signup and promise at most one email, in one transaction."""
        if "email" not in intake:
            return  # a tombstone of a processed form or request, or a withdrawal's fence: nothing to do
        if intake.get("withdrawn") is not None and intake.get("withdrawn") == intake.get("request_id"):
            # Its request answered 503 after taking it back: it never happened.
            sk = RESEND_SK if intake.get("sk") == RESEND_SK else INTAKE_SK
            group_id, request_id = str(intake["group_id"]), str(intake["request_id"])
            self.repo.drop_withdrawn(email_hash(str(intake["email"])), group_id, request_id, sk=sk)
            return
        if intake.get("sk") == RESEND_SK:
            self._process_resend(intake)
            return
        for _ in range(PROCESS_TRIES):
            if self._process_intake_once(intake):
                return
        log.warning("signup form left for the sweep after %d tries", PROCESS_TRIES)

    def _process_intake_once(self, intake: dict[str, Any]) -> bool:
        now = self.clock.now()
        group_id, email = str(intake["group_id"]), str(intake["email"])
        address_hash = email_hash(email)
        sid = signup_id_for(group_id, email)
        tx = Transaction()
        try:
            group = self.groups.get(group_id)
        except NotFound:
            group = None
        existing = self.repo.get(group_id, sid) if group else None
        details = {
            "name": intake["name"],
            "state": intake["state"],
            "how_heard": intake.get("how_heard"),
            "consent_at": intake["received_at"],
            "consent_version": intake["consent_version"],
        }
        if group is None or self.repo.is_suppressed(address_hash):
            pass  # nothing to do and nothing to say: the form is dropped
        elif existing is None or _replaceable(existing, now):
            record = cast(
                SignupRecord,
                {
                    **{k: v for k, v in details.items() if v is not None},
                    "id": sid,
                    "group_id": group_id,
                    "email": email,
                    "status": "pending_confirmation",
                    "created_at": now.isoformat(),
                    "updated_at": now.isoformat(),
                    "gen": str(int(now.timestamp() * 1000)),
                    "expires_at": int((now + PENDING_TTL).timestamp()),
                    "version": 1,
                },
            )
            self.add_new_record(tx, record, existing, now=now)
            # A new or restarted signup is held back by the daily cap only (not the spacing), so
            # someone who left and signs up again at once gets their confirmation.
            self._promise(tx, "mail", "confirm", now, group_id, record, limit="daily")
        elif existing["status"] == "pending_confirmation":
            proposal_id = None
            if any(details.get(f) != existing.get(f) for f in DETAIL_FIELDS):
                # Someone posted this address again with other details. They change only through a
                # link sent to the address, which shows them before confirming.
                proposal_id = secrets.token_hex(6)
                proposal = {"id": proposal_id, **{k: v for k, v in details.items() if v is not None}}
                tx.add("signup", self.repo.propose_item(group_id, sid, proposal))
            self._promise(tx, "mail", "confirm", now, group_id, existing, limit="spaced", proposal=proposal_id)
        elif existing["status"] in ("active", "pending_approval"):
            self._promise(tx, "mail", "already_member", now, group_id, existing, limit="spaced")
        # rejected or bounced: say nothing to anyone
        done = int((now + INTAKE_TTL).timestamp())
        request_id, promised = str(intake["request_id"]), "mail" in tx.labels
        tx.add(
            "intake",
            self.repo.intake_done_item(address_hash, group_id, request_id, expires_at=done, tombstone=promised),
        )
        try:
            tx.commit(self.repo.client)
        except TransactionCancelled as exc:
            if exc.failed("erasure"):
                # The address's earlier signup is being erased: the form waits (the sweep offers it
                # again once the erasure has finished).
                log.info("signup form waits for an erasure signup=%s", sid)
                return True
            # A newer post of the address replaced this one (it is processed on its own), or its
            # request took it back: done. Otherwise the record changed meanwhile: read it again.
            return exc.failed("intake")
        log.info("signup form processed signup=%s mail=%s", sid, "mail" in tx.labels)
        return True

    def add_new_record(
        self, tx: Transaction, record: SignupRecord, existing: SignupRecord | None, *, now: datetime
    ) -> None:
        """Create or restart a signup: never while an erasure of the address is under way, and a
        restarted record's earlier personal link (another generation) is deleted with it."""
        tx.add("signup", self.repo.new_record_item(record, now_epoch=int(now.timestamp())))
        tx.add("erasure", self.repo.no_erasure_item(record["group_id"], record["id"]))
        if existing is not None and self.forget_join_link_item is not None:
            tx.add("old_link", self.forget_join_link_item(existing))

    def pending_intakes(self, received_before: str) -> list[dict[str, Any]]:
        return self.repo.pending_intakes(received_before=received_before)


def _replaceable(record: SignupRecord, now: datetime) -> bool:
    """A new signup replaces a record only after the person left, or an expired pending one."""
    if record["status"] == "unsubscribed":
        return True
    return record["status"] == "pending_confirmation" and record.get("expires_at", 0) < int(now.timestamp())
