"""Zoom-link distribution: reminders before each meeting, notices when a meeting is
cancelled or moved, and the link right away for members who join late.

Exactly once per (meeting, member, kind) through the delivery ledger: claim (a conditional
transaction that also requires the member to still be active) → send → mark sent. Runs may
overlap or die at any point; the only duplicate possible is a crash after SES accepted a
message and before the ledger recorded it (the claim's lease then runs out and a later run
sends again).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import utc_now
from chalicelib.groups import GroupService
from chalicelib.mail.backends import Mailer, SendError
from chalicelib.meeting_mail import meeting_email
from chalicelib.meetings import Meeting
from chalicelib.signups import MemberLink, SignupService
from chalicelib.storage.deliveries import DeliveryRepository

log = logging.getLogger("mbc.distribution")

LEASE_SECONDS = 300
SAFETY_MARGIN_SECONDS = 20.0
THROTTLE_RETRIES = 4
WORKERS = 4


@dataclass(frozen=True)
class Task:
    group: dict[str, Any]
    meeting: Meeting
    member: dict[str, Any]
    kind: str  # r<lead minutes> | cancelled | moved-<utc start>
    lead_minutes: int | None = None

    @property
    def email_kind(self) -> str:
        return "reminder" if self.kind.startswith("r") else ("cancelled" if self.kind == "cancelled" else "moved")


@dataclass
class RunReport:
    run_id: str
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    released: int = 0
    lost_claims: int = 0
    stopped: str | None = None
    by_group: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class RateLimiter:
    """Token bucket shared by the run's workers: at most ``rate`` sends a second."""

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.next_at = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        with self.lock:
            now = self.clock()
            at = max(self.next_at, now)
            self.next_at = at + self.interval
        if at > now:
            self.sleep(at - now)


def reminder_kind(lead: int) -> str:
    return f"r{lead}"


def moved_kind(meeting: Meeting) -> str:
    return "moved-" + meeting.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def current_lead(leads: list[int], meeting: Meeting, now: datetime) -> int | None:
    """The reminder due now: the shortest lead whose send time has come, until the meeting ends."""
    if meeting.status == "cancelled" or now >= meeting.ends_at:
        return None
    due = [lead for lead in leads if meeting.starts_at.timestamp() - lead * 60 <= now.timestamp()]
    return min(due) if due else None


class Distributor:
    def __init__(
        self,
        groups: GroupService,
        signups: SignupService,
        deliveries: DeliveryRepository,
        mailer: Mailer,
        max_send_rate: float,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = WORKERS,
        clock: Callable[[], float] = time.time,
        safety_margin: float = SAFETY_MARGIN_SECONDS,
    ) -> None:
        self.groups = groups
        self.signups = signups
        self.deliveries = deliveries
        self.mailer = mailer
        self.max_send_rate = max_send_rate
        self.sleep = sleep
        self.workers = workers
        # Real time for claim leases (they measure whether a run is still alive), even when
        # the planning clock ("now") is injected.
        self.clock = clock
        self.safety_margin = safety_margin

    # ------------------------------------------------------------------ planning

    def _active_members(self, group_id: str) -> list[dict[str, Any]]:
        members: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page, start = self.signups.repo.page(group_id, "active", 1000, start)
            members += page
            if not start:
                return members

    def plan(self, group: dict[str, Any], now: datetime, only_member: str | None = None) -> list[Task]:
        if group["status"] != "active":
            return []
        meetings = self.groups.upcoming(group, now, count=3)
        if not meetings:
            return []
        leads = [int(x) for x in group.get("reminder_leads_minutes", [])]
        members: list[dict[str, Any]] | None = None
        tasks: list[Task] = []
        for meeting in meetings:
            lead = current_lead(leads, meeting, now)
            needs_notice = meeting.status in ("cancelled", "moved") and now < meeting.ends_at
            if lead is None and not needs_notice:
                continue
            if members is None:
                if only_member:  # a late joiner: read the record itself (the index may lag)
                    record = self.signups.repo.get(group["id"], only_member)
                    members = [record] if record and record["status"] == "active" else []
                else:
                    members = self._active_members(group["id"])
            done: dict[str, dict[str, dict[str, Any]]] = {}
            lease_now = self.clock()
            for row in self.deliveries.rows(group["id"], meeting.date):
                if row.get("status") == "claimed" and float(row.get("lease_until", 0)) < lease_now:
                    continue  # its run died: the slot is free to take over
                done.setdefault(row["signup_id"], {})[row["kind"]] = row
            for member in members:
                rows = done.get(member["id"], {})
                task = self._task_for(group, meeting, member, rows, lead)
                if task:
                    tasks.append(task)
        return tasks

    def _task_for(
        self, group: dict[str, Any], meeting: Meeting, member: dict[str, Any], rows: dict[str, Any], lead: int | None
    ) -> Task | None:
        reminded = [r for k, r in rows.items() if k.startswith(("r", "moved-")) and r.get("status") == "sent"]
        if meeting.status == "cancelled":
            if reminded and "cancelled" not in rows:
                return Task(group, meeting, member, "cancelled")
            return None
        if meeting.status == "moved":
            kind = moved_kind(meeting)
            new_start = meeting.starts_at.astimezone(UTC).isoformat()
            if kind not in rows and any(r.get("for_start") != new_start for r in reminded):
                return Task(group, meeting, member, kind)
        if lead is not None and reminder_kind(lead) not in rows:
            return Task(group, meeting, member, reminder_kind(lead), lead)
        return None

    # ------------------------------------------------------------------ running

    def run(
        self,
        now: datetime | None = None,
        remaining_seconds: Callable[[], float] | None = None,
        group_id: str | None = None,
        dry_run: bool = False,
        only_member: str | None = None,
    ) -> RunReport:
        now = now or utc_now()
        report = RunReport(run_id=secrets.token_hex(8))
        groups = [self.groups.get(group_id)] if group_id else self.groups.repo.list()
        tasks: list[Task] = []
        for group in groups:
            planned = self.plan(group, now, only_member)
            report.by_group[group["id"]] = len(planned)
            tasks += planned
        report.planned = len(tasks)
        if dry_run or not tasks:
            log.info("distribution planned run=%s tasks=%d dry_run=%s", report.run_id, len(tasks), dry_run)
            return report
        stop = threading.Event()
        limiter = RateLimiter(self.max_send_rate, sleep=self.sleep)
        lock = threading.Lock()

        def out_of_time() -> bool:
            return remaining_seconds is not None and remaining_seconds() < self.safety_margin

        def work(task: Task) -> None:
            if stop.is_set():
                return
            if out_of_time():
                with lock:
                    report.stopped = report.stopped or "deadline"
                stop.set()
                return
            outcome = self._deliver(task, report.run_id, now, limiter, stop)
            with lock:
                setattr(report, outcome, getattr(report, outcome) + 1)

        if len(tasks) == 1 or self.workers == 1:
            for task in tasks:
                work(task)
        else:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                list(pool.map(work, tasks))
        report.stopped = report.stopped or getattr(stop, "reason", None)
        level = logging.ERROR if report.stopped == "account" else logging.INFO
        log.log(
            level,
            "distribution finished run=%s planned=%d sent=%d skipped=%d failed=%d released=%d "
            "lost_claims=%d stopped=%s",
            report.run_id, report.planned, report.sent, report.skipped, report.failed, report.released,
            report.lost_claims, report.stopped,
        )  # fmt: skip
        return report

    def deliver_now(self, group_id: str, signup_id: str, now: datetime | None = None) -> RunReport:
        """A member just became active: send whatever is due for them now (e.g. the link when the
        reminder already went out), through the same ledger the scheduled run uses."""
        return self.run(now=now, group_id=group_id, only_member=signup_id)

    def _deliver(self, task: Task, run_id: str, now: datetime, limiter: RateLimiter, stop: threading.Event) -> str:
        group_id, member, day = task.group["id"], task.member, task.meeting.date
        claim_time = int(self.clock())
        if not self.deliveries.claim(
            group_id, day, member["id"], member["gen"], task.kind, run_id, claim_time, LEASE_SECONDS,
            task.meeting.starts_at.astimezone(UTC).isoformat(),
        ):  # fmt: skip
            return "skipped"  # another run has it, or the member left meanwhile
        link = MemberLink(group_id, member["id"], member["gen"])
        mail = meeting_email(
            task.email_kind, task.group, task.meeting, member, self.signups.link("unsubscribe", link),
            task.lead_minutes,
        )  # fmt: skip
        for attempt in range(THROTTLE_RETRIES + 1):
            if stop.is_set():
                self.deliveries.release(group_id, day, member["id"], task.kind, run_id)
                return "released"
            limiter.acquire()
            try:
                message_id = self.mailer.send(mail)
                break
            except SendError as exc:
                if exc.kind == "throttled" and attempt < THROTTLE_RETRIES:
                    self.sleep(min(8.0, 0.25 * 2**attempt) * (1 + random.random()))  # noqa: S311
                    continue
                if exc.kind == "rejected":
                    self.deliveries.mark_failed(group_id, day, member["id"], task.kind, run_id, exc.code, _iso_now())
                    log.warning("delivery rejected signup=%s kind=%s code=%s", member["id"], task.kind, exc.code)
                    return "failed"
                self.deliveries.release(group_id, day, member["id"], task.kind, run_id)
                reason = "account" if exc.kind == "account" else "throttled"
                if reason == "account":
                    log.error("ALARM distribution stopped: SES refuses to send (code=%s)", exc.code)
                _stop(stop, reason)
                return "released"
            except Exception as exc:
                self.deliveries.release(group_id, day, member["id"], task.kind, run_id)
                log.error("delivery error signup=%s kind=%s error=%s", member["id"], task.kind, type(exc).__name__)
                _stop(stop, "error")
                return "released"
        if not self.deliveries.mark_sent(group_id, day, member["id"], task.kind, run_id, message_id, _iso_now()):
            log.warning("delivery claim lost after send signup=%s kind=%s", member["id"], task.kind)
            return "lost_claims"
        return "sent"


def _stop(stop: threading.Event, reason: str) -> None:
    if not stop.is_set():
        stop.reason = reason  # type: ignore[attr-defined]
        stop.set()


def _iso_now() -> str:
    return datetime.now(UTC).isoformat()


def deliveries_report(
    distributor: Distributor, group_id: str, day_text: str, params: dict[str, str], now: datetime | None = None
) -> dict[str, Any]:
    """Who got what for one meeting: counts by status and a per-member list.

    Statuses: ``sent`` (with time), ``failed`` (with reason), ``pending`` (not sent yet:
    due later, due now, or claimed by a run in progress), ``suppressed`` (bounced address).
    A reminder that can no longer go out (superseded by a later one, or the meeting is over)
    is not listed as pending.
    """
    from chalicelib.errors import not_found, validation_error
    from chalicelib.groups import schedule_of
    from chalicelib.meetings import apply_override, parse_day
    from chalicelib.models.signups import normalize_email

    now = now or utc_now()
    group = distributor.groups.get(group_id)
    day = parse_day(day_text)
    scheduled = schedule_of(group).start_on(day) if day else None
    if scheduled is None:
        raise not_found("meeting on that date")
    only_email: str | None = None
    if "email" in params:
        try:
            only_email = normalize_email(params["email"])
        except ValueError:
            raise validation_error({"email": "Must be a valid email address."}) from None
    wanted = params.get("status")
    if wanted is not None and wanted not in ("sent", "failed", "pending", "suppressed"):
        raise validation_error({"status": "Must be one of sent, failed, pending, suppressed."})
    override = distributor.groups.repo.overrides(group_id, day_text, day_text).get(day_text)
    meeting = apply_override(schedule_of(group), scheduled, override)
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for row in distributor.deliveries.rows(group_id, day_text):
        rows.setdefault(row["signup_id"], {})[row["kind"]] = row
    lead_minutes = [int(x) for x in group.get("reminder_leads_minutes", [])]
    due = current_lead(lead_minutes, meeting, now)
    # A reminder is still to come unless the meeting is over or a shorter one already superseded it.
    still_to_send = [
        reminder_kind(lead) for lead in lead_minutes if now < meeting.ends_at and (due is None or lead <= due)
    ]
    entries: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        members, start = distributor.signups.repo.page(group_id, None, 1000, start)
        for member in members:
            if only_email and member["email"] != only_email:
                continue
            base = {"signup_id": member["id"], "email": member["email"], "name": member["name"]}
            mine = rows.get(member["id"], {})
            if member["status"] == "bounced":
                entries.append(
                    {**base, "reminder": None, "status": "suppressed", "reason": member.get("bounce_reason")}
                )
                continue
            for kind, row in sorted(mine.items()):
                status = {"sent": "sent", "failed": "failed"}.get(row.get("status", ""), "pending")
                entries.append(
                    {
                        **base,
                        "reminder": kind,
                        "status": status,
                        "sent_at": row.get("sent_at"),
                        "reason": row.get("reason"),
                    }
                )
            if member["status"] == "active" and meeting.status != "cancelled":
                for kind in still_to_send:
                    if kind not in mine:
                        entries.append({**base, "reminder": kind, "status": "pending", "sent_at": None, "reason": None})
        if not start:
            break
    if wanted:
        entries = [e for e in entries if e["status"] == wanted]
    counts: dict[str, int] = {"sent": 0, "failed": 0, "pending": 0, "suppressed": 0}
    for entry in entries:
        counts[entry["status"]] += 1
    return {"meeting": meeting.public(), "counts": counts, "deliveries": entries}
