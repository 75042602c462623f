"""Announcements: draft (previewed to its organizer), edit, send; then each active member gets it
exactly once through the announcement's ledger (claim → send → mark, ``distribution/sending.py``).

Sending starts in the same transaction that marks the draft ``sending``: an outbox item whose
handler sends for up to a minute and, if members remain, writes the next such item; the scheduled
run finishes anything a sender left. The announcement is ``sent`` once every active member has it
(sent, or refused by SES); a member who leaves meanwhile never gets it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from chalicelib.announcements.records import AnnouncedRow, AnnouncementRecord
from chalicelib.announcements.storage import AnnouncementRepository
from chalicelib.clock import Clock
from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.distribution.sending import Outcome, Tally
from chalicelib.errors import Conflict, Invalid, InvalidCursor, NotFound, StaleVersion
from chalicelib.groups.service import GroupService
from chalicelib.mail.backends import Mailer
from chalicelib.mail.message import OutgoingEmail
from chalicelib.meetings.service import MeetingService
from chalicelib.metrics import emit
from chalicelib.outbox.promise import promised_email
from chalicelib.outbox.records import OutboxRecord
from chalicelib.settings import Settings
from chalicelib.signing import read_cursor, sign_cursor
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.service import SignupService

if TYPE_CHECKING:
    from chalicelib.mail.budget import Limiter

log = logging.getLogger("mbc.announcements")

ROW_RETENTION = timedelta(days=90)
# One sender pass (the outbox handler) sends for about this long, then hands over to the next pass.
PASS_SECONDS = 60.0
# Left to the rest of the outbox batch after a pass stops (on top of the sending safety margin): a
# pass never runs the invocation into its timeout, whatever else the batch holds.
PASS_RESERVE_SECONDS = 10.0
WORKERS = 4


@dataclass
class AnnouncementRun(Tally):
    run_id: str
    announcement_id: str
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    released: int = 0
    deferred: int = 0
    lost_claims: int = 0
    stale: int = 0
    stopped: str | None = None
    finished: bool = False
    # Members still to send to when the pass ended (the next pass or scheduled run takes them).
    remaining: int = 0


@dataclass
class AnnouncementClaim:
    """One member's claimed row (``sending.Claim``)."""

    service: AnnouncementService
    group_id: str
    announcement_id: str
    signup_id: str
    run_id: str

    def release(self) -> None:
        self.service.repo.release(self.group_id, self.announcement_id, self.signup_id, run_id=self.run_id)

    def mark_sent(self, message_id: str) -> bool:
        sets = {"status": "sent", "message_id": message_id, "sent_at": self.service.clock.now().isoformat()}
        return self.service.repo.mark(
            self.group_id, self.announcement_id, self.signup_id, run_id=self.run_id, sets=sets
        )

    def mark_failed(self, reason: str) -> bool:
        sets = {"status": "failed", "reason": reason[:200], "failed_at": self.service.clock.now().isoformat()}
        return self.service.repo.mark(
            self.group_id, self.announcement_id, self.signup_id, run_id=self.run_id, sets=sets
        )


class AnnouncementService:
    def __init__(
        self,
        *,
        repo: AnnouncementRepository,
        groups: GroupService,
        meetings: MeetingService,
        signups: SignupService,
        mailer: Mailer,
        clock: Clock,
        settings: Settings,
        organizer_of: Callable[[str], dict[str, Any] | None],
        join_url_for: Callable[[SignupRecord], str],
        limiter: Limiter,
        lease_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = WORKERS,
    ) -> None:
        self.repo = repo
        self.groups = groups
        self.meetings = meetings
        self.signups = signups
        self.mailer = mailer
        self.clock = clock
        self.settings = settings
        self.organizer_of = organizer_of
        self.join_url_for = join_url_for
        # The account-wide sending budget (chalicelib/mail/budget.py), shared with every other sender.
        self.limiter = limiter
        self.lease_clock = lease_clock
        self.sleep = sleep
        self.workers = workers

    # ---------------------------------------------------------------- organizers

    def draft(
        self, group_id: str, data: Any, *, organizer_id: str, also: Sequence[tuple[str, dict[str, Any]]] = ()
    ) -> dict[str, Any]:
        """A new draft; its preview goes to the organizer who wrote it. ``also``: more transaction
        items written with it (the console's activity entry)."""
        from chalicelib.announcements.models import AnnouncementInput
        from chalicelib.errors import validate_model

        group = self.groups.get(group_id)
        form = validate_model(AnnouncementInput, data)
        now = self.clock.now().isoformat()
        record: AnnouncementRecord = {
            "id": f"{self.clock.now():%Y%m%dT%H%M%S}-{secrets.token_hex(6)}",
            "group_id": group["id"],
            "subject": form.subject,
            "body": form.body,
            "attach_invite": form.attach_invite,
            "status": "draft",
            "version": 1,
            "created_at": now,
            "created_by": organizer_id,
            "updated_at": now,
        }
        tx = Transaction().add("announcement", self.repo.new_item(record))
        tx.add("preview", self._outbox_item("announcement_preview", record, organizer_id=organizer_id))
        for label, item in also:
            tx.add(label, item)
        tx.commit(self.repo.client)
        log.info("announcement drafted group=%s announcement=%s organizer=%s", group_id, record["id"], organizer_id)
        return self.view(record)

    def edit(
        self,
        group_id: str,
        announcement_id: str,
        data: Any,
        *,
        organizer_id: str,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> dict[str, Any]:
        """Change a draft (from the version the organizer saw); another preview goes out."""
        from chalicelib.announcements.models import AnnouncementEdit
        from chalicelib.errors import validate_model

        form = validate_model(AnnouncementEdit, data)
        record = self._existing(group_id, announcement_id)
        self._still_draft(record, form.version)
        changes = {
            name: value
            for name in ("subject", "body", "attach_invite")
            if (value := getattr(form, name)) is not None and value != record[name]  # type: ignore[literal-required]
        }
        if not changes:
            return self.view(record)
        now = self.clock.now().isoformat()
        updated = cast(AnnouncementRecord, {**record, **changes, "version": form.version + 1, "updated_at": now})
        tx = Transaction().add(
            "announcement",
            self.repo.edit_item(group_id, announcement_id, version=form.version, sets={**changes, "updated_at": now}),
        )
        tx.add("preview", self._outbox_item("announcement_preview", updated, organizer_id=organizer_id))
        for label, item in also:
            tx.add(label, item)
        self._commit(tx, record)
        log.info("announcement edited group=%s announcement=%s organizer=%s", group_id, announcement_id, organizer_id)
        return self.view(updated)

    def send(
        self,
        group_id: str,
        announcement_id: str,
        data: Any,
        *,
        organizer_id: str,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> dict[str, Any]:
        """Send the previewed draft to every active member (once each)."""
        from chalicelib.announcements.models import AnnouncementSend
        from chalicelib.errors import validate_model

        form = validate_model(AnnouncementSend, data)
        record = self._existing(group_id, announcement_id)
        self._still_draft(record, form.version)
        audience = self.signups.count(group_id, "active")
        if audience == 0:
            raise Conflict("This group has no active members to send it to.")
        now = self.clock.now().isoformat()
        tx = Transaction().add(
            "announcement",
            self.repo.start_sending_item(
                group_id, announcement_id, version=form.version, sets={"sending_at": now, "sent_by": organizer_id}
            ),
        )
        tx.add("sender", self._outbox_item("announcement", record))
        for label, item in also:
            tx.add(label, item)
        self._commit(tx, record)
        log.info(
            "announcement sending group=%s announcement=%s organizer=%s audience=%d",
            group_id,
            announcement_id,
            organizer_id,
            audience,
        )
        return self.get(group_id, announcement_id)

    def discard(self, group_id: str, announcement_id: str, params: dict[str, str]) -> None:
        """Delete a draft (``version`` in the query: the one the organizer saw)."""
        raw = (params.get("version") or "").strip()
        if not raw.isdigit():
            raise Invalid(fields={"version": "Required: the version you saw (a whole number)."})
        record = self._existing(group_id, announcement_id)
        self._still_draft(record, int(raw))
        if not self.repo.delete_draft(group_id, announcement_id, version=int(raw)):
            raise StaleVersion("This draft changed meanwhile; look again and retry.")

    def get(self, group_id: str, announcement_id: str) -> dict[str, Any]:
        return self.view(self._existing(group_id, announcement_id))

    def list_page(self, group_id: str, params: dict[str, str]) -> dict[str, Any]:
        self.groups.get(group_id)
        limit = 20
        if params.get("limit") is not None:
            raw = params["limit"].strip()
            if not raw.isdigit() or not 1 <= int(raw) <= 100:
                raise Invalid(fields={"limit": "Must be a whole number from 1 to 100."})
            limit = int(raw)
        scope = f"announcements:{group_id}"
        start_key = None
        if params.get("cursor"):
            data = read_cursor(params["cursor"], "announcements", self.settings)
            if data.get("s") != scope or not isinstance(data.get("k"), dict):
                raise InvalidCursor()
            start_key = data["k"]
        records, last = self.repo.page(group_id, limit=limit, start_key=start_key)
        cursor = sign_cursor({"s": scope, "k": last}, "announcements", self.settings) if last else None
        return {"announcements": [self.view(r, counts=False) for r in records], "next_cursor": cursor}

    def view(self, record: AnnouncementRecord, *, counts: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = dict(record)
        if counts and record["status"] != "draft":
            rows = self.repo.rows(record["group_id"], record["id"])
            sent = sum(1 for r in rows if r["status"] == "sent")
            failed = sum(1 for r in rows if r["status"] == "failed")
            pending = 0
            if record["status"] == "sending":
                done = {r["signup_id"] for r in rows if r["status"] in ("sent", "failed")}
                pending = sum(
                    1 for m in self.signups.members(record["group_id"], status="active") if m["id"] not in done
                )
            out["counts"] = {"sent": sent, "failed": failed, "pending": pending}
        elif record["status"] == "draft":
            out["audience"] = self.signups.count(record["group_id"], "active")
        return out

    # ---------------------------------------------------------------- the outbox's handlers

    def preview(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        """The draft as members will see it, to the organizer who wrote or changed it."""
        from chalicelib.announcements.mail import preview_email

        record = self.repo.get(item["group_id"], item.get("announcement_id", ""))
        if record is None or record["status"] != "draft" or record["version"] != item.get("version"):
            return None  # changed (another preview is on its way), sent or discarded since
        organizer = self.organizer_of(item.get("organizer_id", ""))
        if organizer is None or organizer.get("status") != "active":
            return None
        group = self.groups.get(record["group_id"])
        now = self.clock.now()
        mail = preview_email(
            record,
            group=group,
            to=str(organizer["email"]),
            organizer_name=str(organizer.get("name") or "organizer"),
            audience=self.signups.count(record["group_id"], "active"),
            settings=self.settings,
            series=self.meetings.upcoming(group, count=12, now=now) if record["attach_invite"] else [],
            now=now,
        )
        return [mail]

    def sender_pass(self, item: OutboxRecord) -> list[OutgoingEmail]:
        """Send for up to ``PASS_SECONDS``, and never past the invocation's own deadline (the
        outbox Lambda's time left, less ``PASS_RESERVE_SECONDS`` for the rest of its batch): a pass
        that stops early, or a second pass in the same batch, hands over to a fresh item."""
        from chalicelib import invocation
        from chalicelib.distribution.sending import SAFETY_MARGIN_SECONDS

        group_id, announcement_id = item["group_id"], item.get("announcement_id", "")
        started = time.monotonic()
        left = invocation.remaining()

        def remaining_seconds() -> float:
            own = PASS_SECONDS + SAFETY_MARGIN_SECONDS - (time.monotonic() - started)
            return own if left is None else min(own, left() - PASS_RESERVE_SECONDS)

        run = self.deliver(group_id, announcement_id, remaining_seconds=remaining_seconds)
        if run.stopped == "deadline":
            record = self.repo.get(group_id, announcement_id)
            if record is not None and record["status"] == "sending":
                Transaction().add("next", self._outbox_item("announcement", record)).commit(self.repo.client)
        return []

    # ---------------------------------------------------------------- sending

    def continue_sending(self, *, remaining_seconds: Callable[[], float] | None = None) -> dict[str, int]:
        """The scheduled run: finish every announcement still sending (a sender died, SES was
        throttling, or the last pass ran out of time)."""
        totals: dict[str, int] = {}
        for group_id, announcement_id in self.repo.sending():
            run = self.deliver(group_id, announcement_id, remaining_seconds=remaining_seconds)
            for name in ("sent", "failed", "remaining"):
                totals[name] = totals.get(name, 0) + getattr(run, name)
            if run.stopped in ("deadline", "account", "config", "throttled", "error"):
                break
        return totals

    def deliver(
        self, group_id: str, announcement_id: str, *, remaining_seconds: Callable[[], float] | None = None
    ) -> AnnouncementRun:
        from chalicelib.announcements.mail import announcement_email
        from chalicelib.distribution.sending import (
            LEASE_SECONDS,
            SendRun,
            StopSignal,
            send_on_claim,
        )

        run = AnnouncementRun(run_id=secrets.token_hex(8), announcement_id=announcement_id)
        record = self.repo.get(group_id, announcement_id)
        if record is None or record["status"] != "sending":
            return run
        group = self.groups.get(group_id)
        now = self.clock.now()
        series = self.meetings.upcoming(group, count=12, now=now) if record["attach_invite"] else []
        lease_now = int(self.lease_clock())
        rows = {r["signup_id"]: r for r in self.repo.rows(group_id, announcement_id)}
        todo = [m for m in self.signups.members(group_id, status="active") if _due(rows.get(m["id"]), lease_now)]
        stop = StopSignal()
        send_run = SendRun(
            mailer=self.mailer,
            limiter=self.limiter,
            stop=stop,
            lease_clock=self.lease_clock,
            sleep=self.sleep,
            remaining_seconds=remaining_seconds,
        )
        lock = threading.Lock()
        expires_at = int((now + ROW_RETENTION).timestamp())

        def one(member: SignupRecord) -> None:
            if stop.is_set():
                return
            if send_run.out_of_time():
                stop.stop("deadline")
                return
            outcome: Outcome = "skipped"
            if self.repo.claim(
                group_id,
                announcement_id,
                signup_id=member["id"],
                member_check=self.signups.still_member_item(group_id, member["id"], gen=member["gen"]),
                run_id=run.run_id,
                now_epoch=int(self.lease_clock()),
                lease_seconds=LEASE_SECONDS,
                expires_at=expires_at,
            ):
                claim = AnnouncementClaim(self, group_id, announcement_id, member["id"], run.run_id)
                current = self.signups.get(group_id, member["id"])
                if current is None or current["status"] != "active" or current["gen"] != member["gen"]:
                    claim.release()  # left (or was erased) since the claim
                else:
                    mail = announcement_email(
                        record,
                        group=group,
                        member=member,
                        settings=self.settings,
                        join_url=self.join_url_for(member),
                        series=series,
                        now=now,
                    )
                    ref = f"announcement={announcement_id} signup={member['id']}"
                    outcome = send_on_claim(mail, claim, send_run, ref=ref)
            with lock:
                run.count(outcome)

        if self.workers == 1 or len(todo) <= 1:
            for member in todo:
                one(member)
        else:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                list(pool.map(one, todo))
        self.limiter.release()
        run.stopped = stop.reason
        run.remaining = max(0, len(todo) - run.sent - run.skipped - run.failed - run.lost_claims)
        if run.stopped is None:
            run.finished = self._finish_if_done(group_id, announcement_id)
        emit("announcement_run", **asdict(run), group_id=group_id)
        return run

    def _finish_if_done(self, group_id: str, announcement_id: str) -> bool:
        """Finished only if every member active now has her row: read from the records themselves
        (consistent), since the status index may not list someone who became active a moment ago."""
        rows = {r["signup_id"]: r for r in self.repo.rows(group_id, announcement_id)}
        for member in self.signups.members_now(group_id, status="active"):
            row = rows.get(member["id"])
            if row is None or row["status"] == "claimed":
                return False  # still to go, or another run has it in hand
        return self.repo.finish(group_id, announcement_id, when=self.clock.now().isoformat())

    def member_deliveries(self, group_id: str, signup_id: str) -> list[dict[str, Any]]:
        """The announcements sent (or being sent) to one person: her row of each, with the subject."""
        rows = self.repo.member_rows(group_id, signup_id)
        for row in rows:
            record = self.repo.get(group_id, row["announcement_id"])
            row["subject"] = record["subject"] if record else ""
        return rows

    def forget_member(self, group_id: str, signup_id: str) -> None:
        """Erasure: the person's row of every announcement of the group whose rows may still exist,
        by key, from a consistent read of the group's announcements (not the sending index, which
        may lag one that started a moment ago). Rows are also in the member index (ledger erasure)."""
        kept_since = (self.clock.now() - ROW_RETENTION - timedelta(days=1)).isoformat()
        for record in self.repo.all_consistent(group_id):
            if record["status"] == "draft" or record.get("sent_at", kept_since) < kept_since:
                continue  # no rows, or rows long expired
            self.repo.erase_row(group_id, record["id"], signup_id)

    # ---------------------------------------------------------------- helpers

    def _existing(self, group_id: str, announcement_id: str) -> AnnouncementRecord:
        self.groups.get(group_id)
        record = self.repo.get(group_id, announcement_id) if 1 <= len(announcement_id) <= 64 else None
        if record is None:
            raise NotFound("announcement")
        return record

    @staticmethod
    def _still_draft(record: AnnouncementRecord, version: int) -> None:
        if record["status"] != "draft":
            raise Conflict(f"This announcement was already sent ({record['status']}); it can no longer change.")
        if record["version"] != version:
            raise StaleVersion(
                "This draft changed since you looked (a newer preview was sent); look again and retry.",
                fields={"version": f"The current version is {record['version']}."},
            )

    def _commit(self, tx: Transaction, record: AnnouncementRecord) -> None:
        try:
            tx.commit(self.repo.client)
        except TransactionCancelled as exc:
            if exc.failed("announcement"):
                raise StaleVersion("This draft changed meanwhile; look again and retry.") from None
            raise

    def _outbox_item(self, kind: str, record: AnnouncementRecord, *, organizer_id: str | None = None) -> dict[str, Any]:
        return promised_email(
            table=self.repo.table,
            kind=kind,
            now=self.clock.now(),
            group_id=record["group_id"],
            announcement_id=record["id"],
            version=record["version"],
            organizer_id=organizer_id,
        )


def _due(row: AnnouncedRow | None, lease_now: int) -> bool:
    """Still to send: no row yet, or a claim whose lease ran out (its run died)."""
    if row is None:
        return True
    return row["status"] == "claimed" and int(row.get("lease_until", 0)) < lease_now
