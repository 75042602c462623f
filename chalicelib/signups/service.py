"""Connection Group signups: double opt-in, approval, leaving and erasure.

Privacy rules this module keeps:
- the signup POST does the same work whatever the address's state (it stores the form; the
  outbox's handler processes it), so neither its answer nor its timing reveals who applied;
- every email a state change promises is an outbox item written in the same transaction as the
  change (``chalicelib/outbox``): a request that fails has sent nothing;
- logs carry signup ids (keyed hashes) and counts, never names, addresses or tokens;
- erasure deletes every row about the person except a keyed hash needed for suppression, and can
  always be finished: it starts by writing a marker in the same transaction that deletes the
  record, and the marker goes last (``erase``; the scheduled run finishes interrupted ones).
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from chalicelib.clock import Clock
from chalicelib.db import Transaction, TransactionCancelled, is_unavailable
from chalicelib.errors import Conflict, GroupPaused, Invalid, InvalidCursor, NotFound, RateLimited, validate_model
from chalicelib.groups.service import GroupService
from chalicelib.organizers.keys import OrganizerService
from chalicelib.outbox.records import AddressLimit, OutboxRecord
from chalicelib.outbox.sender import new_outbox_id
from chalicelib.outbox.storage import OutboxRepository
from chalicelib.settings import Settings
from chalicelib.signing import keyed_hash, read_cursor, sign_cursor
from chalicelib.signups.addresses import email_hash, signup_id_for
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.signups.links import MemberLink, Purpose, link_problem, member_url, read_member_link
from chalicelib.signups.records import (
    CSV_COLUMNS,
    INTAKE_SK,
    LIVE_STATUSES,
    PUBLIC_FIELDS,
    RESEND_SK,
    STATUSES,
    ErasureRecord,
    IntakeRecord,
    PublicSignup,
    ResendRequest,
    SignupPage,
    SignupRecord,
    SignupStatus,
)
from chalicelib.signups.storage import SignupRepository, StateConflict

log = logging.getLogger("mbc.signups")

PENDING_TTL = timedelta(days=7)
INTAKE_TTL = timedelta(days=1)
# Outbox items are kept 30 days after they finish; the references to them a little longer.
MEMBER_REF_TTL = timedelta(days=45)
# Tries to take back a form whose write's answer was lost (storage not answering), and the waits.
WITHDRAW_WAITS = (0.2, 0.5, 1.0, 2.0)
DETAIL_FIELDS = ("name", "state", "timezone", "how_heard")
# (group_id, signup_id): erase what other features hold about the person (the delivery ledger).
ErasureHook = Callable[[str, str], object]
# A member's personal-link row (a transaction item), written when they become active; and the
# transaction item that deletes it (when the record restarts, the old link's row goes with it).
LinkItem = Callable[[SignupRecord], dict[str, Any]]
# Legacy activity entries that name the person in their text: (group_id, name) -> rewritten count.
ActivityScrub = Callable[[str, str], int]
PROCESS_TRIES = 3


class SignupService:
    def __init__(
        self,
        *,
        repo: SignupRepository,
        outbox: OutboxRepository,
        groups: GroupService,
        organizers: OrganizerService,
        settings: Settings,
        clock: Clock,
        on_erased: ErasureHook | None = None,
        join_link_item: LinkItem | None = None,
        forget_join_link: Callable[[SignupRecord], object] | None = None,
        forget_join_link_item: LinkItem | None = None,
        scrub_activity: ActivityScrub | None = None,
        origin_allowed: Callable[[str], bool] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.repo = repo
        self.outbox = outbox
        self.groups = groups
        self.organizers = organizers
        self.settings = settings
        self.clock = clock
        self.on_erased = on_erased
        self.join_link_item = join_link_item
        self.forget_join_link = forget_join_link
        self.forget_join_link_item = forget_join_link_item
        self.scrub_activity = scrub_activity
        self.sleep = sleep or _sleep
        # Website origins: the deploy-time list, or (wired by the container) that plus the stored one.
        self.origin_allowed = origin_allowed or (lambda o: o in {w.lower() for w in settings.website_origins})

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
            "timezone": form.timezone,
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
            "timezone": intake.get("timezone"),
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

    def _promise(
        self,
        tx: Transaction,
        label: str,
        kind: str,
        now: datetime,
        group_id: str,
        record: SignupRecord | None = None,
        *,
        limit: AddressLimit | None = None,
        proposal: str | None = None,
        **refs: str,
    ) -> None:
        """Add an outbox item to the transaction, and (if it is about a member) its reference in
        the member's own partition, so erasure finds it."""
        item = self._mail(kind, now, group_id, record, limit=limit, proposal=proposal, **refs)
        tx.add(label, item)
        if record is not None:
            outbox_id = item["Put"]["Item"]["id"]["S"]
            expires = int((now + MEMBER_REF_TTL).timestamp())
            tx.add(label + "_ref", self.repo.member_ref_item(group_id, record["id"], outbox_id, expires_at=expires))

    def _mail(
        self,
        kind: str,
        now: datetime,
        group_id: str,
        record: SignupRecord | None = None,
        *,
        limit: AddressLimit | None = None,
        proposal: str | None = None,
        **refs: str,
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": new_outbox_id(now),
            "kind": kind,
            "status": "pending",
            "created_at": now.isoformat(),
            "group_id": group_id,
            **refs,
        }
        if record is not None:
            item.update(signup_id=record["id"], gen=record["gen"])
        if limit is not None:
            item["limit"] = limit
        if proposal is not None:
            item["proposal"] = proposal
        return self.outbox.new_item(cast(OutboxRecord, item))

    def pending_intakes(self, received_before: str) -> list[dict[str, Any]]:
        return self.repo.pending_intakes(received_before=received_before)

    def address_may_be_mailed(self, email: str, limit: AddressLimit) -> bool:
        """Take one of the address's email slots (the per-address limits), or say it is held back."""
        s, now = self.settings, self.clock.now()
        return self.repo.claim_address_send(
            email_hash(email),
            day=now.strftime("%Y-%m-%d"),
            now_epoch=int(now.timestamp()),
            min_interval=s.signup_email_min_interval_seconds if limit == "spaced" else 0,
            per_day=s.signup_emails_per_address_per_day,
        )

    def address_slot_back(self, email: str) -> None:
        """Give back a slot ``address_may_be_mailed`` took for an email SES did not accept: only an
        email SES accepted spends one (a retry after a throttle or a pause is not held back)."""
        self.repo.release_address_send(email_hash(email), day=self.clock.now().strftime("%Y-%m-%d"))

    # ---------------------------------------------------------------- member links

    def link(self, purpose: Purpose, member: MemberLink) -> str:
        return member_url(purpose, member, self.settings)

    def read_link(self, token: str | None, purpose: Purpose) -> MemberLink:
        return read_member_link(token, purpose, self.settings)

    def confirm(self, member: MemberLink) -> SignupStatus:
        """Confirm the address (and the details the link was sent for); returns the resulting
        status. Harmless to repeat; a link from an earlier signup or email is out of date."""
        now = self.clock.now()
        for _ in range(PROCESS_TRIES):
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
            except TransactionCancelled:
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

    def erase_self(self, member: MemberLink) -> None:
        """The link proves the mailbox: erase the person's current signup in this group."""
        self.erase(member.group_id, member.signup_id)

    def erase(self, group_id: str, signup_id: str) -> bool:
        """Every row about the person in this group; False if there was nothing to erase.

        Resumable and idempotent: the record is deleted in the same transaction that writes the
        erasure's marker (keys and hashes only), every later step deletes by key and may be
        repeated, and the marker goes last. A call after an interruption (the link again, the
        organizer, or the scheduled run) finishes the work."""
        if not 1 <= len(signup_id) <= 64:
            return False  # no signup has such an id
        found = False
        for _ in range(PROCESS_TRIES):
            record = self.repo.get(group_id, signup_id)
            if record is None:
                break
            if self.scrub_activity is not None:
                # Entries written before the log kept people by id name her in their text.
                self.scrub_activity(group_id, record["name"])
            marker: ErasureRecord = {
                "group_id": group_id,
                "signup_id": signup_id,
                "address_hash": email_hash(record["email"]),
                "gen": record["gen"],
                "link_rev": int(record.get("link_rev", 0)),
                "started_at": self.clock.now().isoformat(),
            }
            if self.repo.start_erasure(marker, version=int(record["version"])):
                found = True
                break
        else:
            raise Conflict("This signup is changing right now; please try again.")
        marker_found = self.repo.erasure(group_id, signup_id)
        if marker_found is None:
            log.info("signup erased signup=%s found=%s", signup_id, found)
            return found
        self._finish_erasure(marker_found)
        log.info("signup erased signup=%s found=True resumed=%s", signup_id, not found)
        return True

    def _finish_erasure(self, marker: ErasureRecord) -> None:
        """Every step deletes by key (or a consistent Query of a partition the person owns, or the
        member index for rows old enough to be in it) and may run again."""
        group_id, signup_id = marker["group_id"], marker["signup_id"]
        if self.forget_join_link is not None:
            # The personal link's lookup row, by the key the generation and revision give.
            stub = {"group_id": group_id, "id": signup_id, "gen": marker["gen"], "link_rev": marker["link_rev"]}
            self.forget_join_link(cast(SignupRecord, stub))
        if self.on_erased is not None:
            self.on_erased(group_id, signup_id)  # delivery ledger, openings, announcements, link rows
        self.repo.erase_member_refs(group_id, signup_id)  # outbox items about her
        self.repo.delete_address_counters(marker["address_hash"])
        self.repo.delete_intake(marker["address_hash"], group_id, received_before=marker["started_at"])
        self.repo.finish_erasure(group_id, signup_id)

    def finish_erasures(self) -> int:
        """The scheduled run: finish every erasure an interruption left (each marker read again)."""
        finished = 0
        for listed in self.repo.pending_erasures():
            marker = self.repo.erasure(listed["group_id"], listed["signup_id"])
            if marker is None:
                continue  # finished meanwhile (the index lags the deletion)
            self._finish_erasure(marker)
            finished += 1
        if finished:
            log.info("interrupted erasures finished count=%d", finished)
        return finished

    def erase_for_organizer(self, group_id: str, signup_id: str) -> None:
        self.groups.get(group_id)
        if not self.erase(group_id, signup_id):
            raise NotFound("signup")

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
        sent (or failed) on its own."""
        organizers = self.organizers.for_group(group_id)
        for organizer in organizers:
            self._promise(tx, "notice", "organizer_notice", now, group_id, organizer_id=organizer["id"])
        for index, _ in enumerate(() if organizers else self.settings.organizer_notify_emails):
            self._promise(tx, "notice", "organizer_notice", now, group_id, fallback=str(index))

    def _existing(self, group_id: str, signup_id: str) -> SignupRecord:
        record = self.repo.get(group_id, signup_id) if 1 <= len(signup_id) <= 64 else None
        if record is None:
            raise NotFound("signup")
        return record

    def get(self, group_id: str, signup_id: str) -> SignupRecord | None:
        """The record as stored (consistent read), or None."""
        return self.repo.get(group_id, signup_id)

    def members(self, group_id: str, *, status: SignupStatus | None = None) -> Iterator[SignupRecord]:
        """Every record of a group (optionally of one status), page by page."""
        return self.repo.all(group_id, status=status)

    def members_now(self, group_id: str, *, status: SignupStatus) -> Iterator[SignupRecord]:
        """The same, read consistently from the records themselves (never the index alone): for a
        decision such as "every active member has it"."""
        return self.repo.all_consistent(group_id, status=status)

    def list_page(self, group_id: str, params: dict[str, str]) -> SignupPage:
        self.groups.get(group_id)
        status, limit = _list_params(params)
        scope = f"signups:{group_id}:{status or 'all'}"
        start_key = None
        if params.get("cursor"):
            data = read_cursor(params["cursor"], "signups", self.settings)
            if data.get("s") != scope or not isinstance(data.get("k"), dict):
                raise InvalidCursor()
            start_key = data["k"]
        records, last = self.repo.page(group_id, status=status, limit=limit, start_key=start_key)
        cursor = sign_cursor({"s": scope, "k": last}, "signups", self.settings) if last else None
        return {"signups": [public_record(r) for r in records], "next_cursor": cursor}

    def csv_export(self, group_id: str, params: dict[str, str]) -> str:
        self.groups.get(group_id)
        status, _ = _list_params({k: v for k, v in params.items() if k == "status"})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for record in self.repo.all(group_id, status=status):
            values: dict[str, Any] = dict(record)
            writer.writerow([csv_cell(values.get(col)) for col in CSV_COLUMNS])
        return out.getvalue()

    # ---------------------------------------------------------------- bounces

    def suppress_address(self, email: str, *, reason: str) -> int:
        """Never mail this address again; close its live signups in every group. Returns how many closed."""
        stamp = self.clock.now().isoformat()
        self.repo.suppress(email_hash(email), reason=reason, when=stamp)
        closed = 0
        for group in self.groups.all():
            try:
                self.repo.transition(
                    group["id"],
                    signup_id_for(group["id"], email),
                    from_statuses=LIVE_STATUSES,
                    to_status="bounced",
                    set_values={"bounced_at": stamp, "updated_at": stamp, "bounce_reason": reason},
                    remove=("expires_at", "proposal"),
                )
                closed += 1
            except StateConflict:
                continue  # no such signup, or already closed
        return closed


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def _replaceable(record: SignupRecord, now: datetime) -> bool:
    """A new signup replaces a record only after the person left, or an expired pending one."""
    if record["status"] == "unsubscribed":
        return True
    return record["status"] == "pending_confirmation" and record.get("expires_at", 0) < int(now.timestamp())


def public_record(record: SignupRecord) -> PublicSignup:
    values: dict[str, Any] = dict(record)
    return cast(PublicSignup, {k: values.get(k) for k in PUBLIC_FIELDS})


def csv_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection): prefix risky leading characters with '."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r", "|", "%"):
        return "'" + text
    return text


def _list_params(params: dict[str, str]) -> tuple[SignupStatus | None, int]:
    errors: dict[str, str] = {}
    status = params.get("status")
    if status is not None and status not in STATUSES:
        errors["status"] = "Must be one of " + ", ".join(STATUSES) + "."
    limit = 50
    if params.get("limit") is not None:
        raw = params["limit"].strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 200:
            errors["limit"] = "Must be a whole number from 1 to 200."
        else:
            limit = int(raw)
    if errors:
        raise Invalid(fields=errors)
    return cast(SignupStatus | None, status), limit
