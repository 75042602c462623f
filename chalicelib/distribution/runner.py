"""Runs the distribution: plan, then claim → send → mark each task through the ledger, at the
SES rate, stopping well before the Lambda deadline.

Exactly once per (meeting, member, message): runs may overlap or die at any point; the only
duplicate possible is a crash after SES accepted a message and before the ledger recorded it
(the claim's lease then runs out and a later run sends again).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Literal

from chalicelib.clock import Clock
from chalicelib.distribution.ledger import DeliveryRepository, Slot
from chalicelib.distribution.planner import Planner, Task, planning_horizon
from chalicelib.errors import NotFound
from chalicelib.groups.service import GroupService
from chalicelib.joinlinks.service import link_of
from chalicelib.joinlinks.storage import JoinLinkRepository
from chalicelib.joinlinks.tokens import join_token, personal_link, token_hash
from chalicelib.mail.backends import Mailer, SendError
from chalicelib.meetings.mail import Change, meeting_email
from chalicelib.meetings.service import MeetingService
from chalicelib.metrics import emit
from chalicelib.signups.links import MemberLink
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.service import SignupService

log = logging.getLogger("mbc.distribution")

LEASE_SECONDS = 300
# Ledger rows expire this long after their meeting ends (DynamoDB TTL): long enough for the
# deliveries report to answer "did I get the link?", no longer than that purpose needs.
LEDGER_RETENTION = timedelta(days=90)
SAFETY_MARGIN_SECONDS = 20.0
THROTTLE_RETRIES = 4
# Stop retrying a send this long before the claim's lease would run out.
LEASE_MARGIN_SECONDS = 30
MARK_TRIES = 3
WORKERS = 4

Outcome = Literal["sent", "skipped", "failed", "released", "lost_claims", "stale"]
StopReason = Literal["deadline", "error", "throttled", "account", "config"]


@dataclass
class RunReport:
    run_id: str
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    released: int = 0
    lost_claims: int = 0
    # Planned, but the meeting changed before the message went: left to the next run.
    stale: int = 0
    stopped: StopReason | None = None
    by_group: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> None:
        if outcome == "sent":
            self.sent += 1
        elif outcome == "skipped":
            self.skipped += 1
        elif outcome == "failed":
            self.failed += 1
        elif outcome == "released":
            self.released += 1
        elif outcome == "stale":
            self.stale += 1
        else:
            self.lost_claims += 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        """The run's one structured log line (ids and counts only), which the alarms read."""
        return {k: v for k, v in self.as_dict().items() if k != "by_group"}


@dataclass
class Plan:
    report: RunReport
    tasks: list[Task]


class CurrentRevision:
    """A meeting's revision as it stands, read again at most once a second while a run sends: a
    message planned for an earlier revision is not sent (the next run tells the new truth)."""

    def __init__(self, groups: GroupService, meetings: MeetingService, *, max_age: float = 1.0) -> None:
        self.groups = groups
        self.meetings = meetings
        self.max_age = max_age
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def sequence(self, group_id: str, day: str) -> int:
        with self._lock:
            seen = self._seen.get((group_id, day))
            if seen is not None and time.monotonic() - seen[0] < self.max_age:
                return seen[1]
        value = self.meetings.meeting_on(self.groups.get(group_id), day).sequence
        with self._lock:
            self._seen[(group_id, day)] = (time.monotonic(), value)
        return value


class StopSignal:
    """Shared by a run's workers: the first reason to stop wins."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.reason: StopReason | None = None

    def stop(self, reason: StopReason) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


class RateLimiter:
    """Token bucket shared by the run's workers: at most ``rate`` sends a second (monotonic time)."""

    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.monotonic = monotonic
        self.sleep = sleep
        self.next_at = monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        with self.lock:
            now = self.monotonic()
            at = max(self.next_at, now)
            self.next_at = at + self.interval
        if at > now:
            self.sleep(at - now)


class Distributor:
    def __init__(
        self,
        *,
        groups: GroupService,
        meetings: MeetingService,
        planner: Planner,
        join_links: JoinLinkRepository,
        signups: SignupService,
        ledger: DeliveryRepository,
        mailer: Mailer,
        clock: Clock,
        max_send_rate: float,
        lease_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = WORKERS,
        safety_margin: float = SAFETY_MARGIN_SECONDS,
    ) -> None:
        self.groups = groups
        self.meetings = meetings
        self.planner = planner
        self.join_links = join_links
        self.signups = signups
        self.ledger = ledger
        self.mailer = mailer
        self.clock = clock
        self.max_send_rate = max_send_rate
        # Wall-clock seconds shared by every process: claim leases tell a live run from a dead
        # one, even when ``clock`` (what "now" is for planning) is a fixed test clock.
        self.lease_clock = lease_clock
        self.sleep = sleep
        self.workers = workers
        self.safety_margin = safety_margin

    def run(
        self,
        *,
        remaining_seconds: Callable[[], float] | None = None,
        group_id: str | None = None,
        dry_run: bool = False,
        only_member: str | None = None,
    ) -> RunReport:
        """Plan what is due now and send it: what the scheduled function does every 15 minutes."""
        planned = self.plan(group_id=group_id, only_member=only_member)
        if dry_run:
            log.info("distribution planned run=%s tasks=%d dry_run=True", planned.report.run_id, len(planned.tasks))
            return planned.report
        return self.execute(planned, remaining_seconds=remaining_seconds)

    def plan(self, *, group_id: str | None = None, only_member: str | None = None) -> Plan:
        now = self.clock.now()
        report = RunReport(run_id=secrets.token_hex(8))
        groups = [self.groups.get(group_id)] if group_id else self.groups.all()
        tasks: list[Task] = []
        for group in groups:
            planned = self.planner.plan(group, now=now, lease_now=self.lease_clock(), only_member=only_member)
            report.by_group[group["id"]] = len(planned)
            tasks += planned
        report.planned = len(tasks)
        return Plan(report, tasks)

    def execute(self, plan: Plan, *, remaining_seconds: Callable[[], float] | None = None) -> RunReport:
        """Claim, send and mark each planned task, at the SES rate, until done or told to stop."""
        report, tasks = plan.report, plan.tasks
        if tasks:
            stop = StopSignal()
            limiter = RateLimiter(self.max_send_rate, sleep=self.sleep)
            current = CurrentRevision(self.groups, self.meetings)
            lock = threading.Lock()

            def work(task: Task) -> None:
                if stop.is_set():
                    return
                if remaining_seconds is not None and remaining_seconds() < self.safety_margin:
                    stop.stop("deadline")
                    return
                outcome = self._deliver(
                    task,
                    run_id=report.run_id,
                    limiter=limiter,
                    stop=stop,
                    current=current,
                    remaining_seconds=remaining_seconds,
                )
                with lock:
                    report.count(outcome)

            if len(tasks) == 1 or self.workers == 1:
                for task in tasks:
                    work(task)
            else:
                with ThreadPoolExecutor(max_workers=self.workers) as pool:
                    list(pool.map(work, tasks))
            report.stopped = stop.reason
        emit("distribution_run", **report.summary())
        return report

    def requeue_failed(self, group_id: str, day: str) -> int:
        """Failed deliveries of one meeting go out again with the next run (once the cause is fixed)."""
        self.meetings.meeting_on(self.groups.get(group_id), day)  # NotFound for an unknown group or date
        requeued = self.ledger.requeue_failed(group_id, day)
        log.info("deliveries requeued group=%s date=%s count=%d", group_id, day, requeued)
        return requeued

    def forget_member(self, group_id: str, signup_id: str) -> None:
        """Erasure: every ledger row about the person, through the member index, and (consistently)
        in the partitions of the meetings still kept or ahead, where the index may lag a fresh claim."""
        self.ledger.erase_member(group_id, signup_id)
        try:
            group = self.groups.get(group_id)
        except NotFound:
            return
        now = self.clock.now()
        for meeting in self.meetings.in_window(group, now=now - LEDGER_RETENTION, until=now + planning_horizon(group)):
            self.ledger.erase_member_of(group_id, meeting.date, signup_id)

    def deliver_now(self, group_id: str, signup_id: str) -> RunReport:
        """A member just became active: send whatever is due for them now (e.g. the link when the
        reminder already went out), through the same ledger the scheduled run uses."""
        return self.run(group_id=group_id, only_member=signup_id)

    def _deliver(
        self,
        task: Task,
        *,
        run_id: str,
        limiter: RateLimiter,
        stop: StopSignal,
        current: CurrentRevision,
        remaining_seconds: Callable[[], float] | None,
    ) -> Outcome:
        group, member, message = task.group, task.member, task.message
        slot = Slot(group["id"], task.meeting.date, member["id"], message.key)
        if current.sequence(group["id"], task.meeting.date) != task.meeting.sequence:
            return "stale"  # changed since planning: the next run tells the new truth
        if not self.ledger.claim(
            slot,
            link_row=self.link_row(member),
            gen=member["gen"],
            message=message.type,
            said=message.said,
            seq=task.meeting.sequence,
            run_id=run_id,
            now_epoch=int(self.lease_clock()),
            lease_seconds=LEASE_SECONDS,
            expires_at=int((task.meeting.ends_at + LEDGER_RETENTION).timestamp()),
        ):
            return "skipped"  # another run has it, or the member left meanwhile
        previous = message.previous
        mail = meeting_email(
            message.type,
            group=group,
            meeting=task.meeting,
            recipient=member["email"],
            name=member["name"],
            state=member.get("state"),
            unsubscribe_url=self.signups.link("unsubscribe", MemberLink(group["id"], member["id"], member["gen"])),
            join_url=personal_link(
                group_id=group["id"],
                signup_id=member["id"],
                gen=member["gen"],
                link_rev=int(member.get("link_rev", 0)),
                settings=self.signups.settings,
            ),
            now=self.clock.now(),
            change=Change(previous.starts_at, frozenset(message.said.changes_from(previous))) if previous else None,
        )
        mail.tags = {**mail.tags, "meeting": task.meeting.date, "message": message.key}
        # The member may have left (or been erased) since the claim: look once more, just before sending.
        current_member = self.signups.get(group["id"], member["id"])
        if current_member is None or current_member["status"] != "active" or current_member["gen"] != member["gen"]:
            self.ledger.release(slot, run_id=run_id)
            return "skipped"
        claimed_at = self.lease_clock()
        message_id = ""
        for attempt in range(THROTTLE_RETRIES + 1):
            out_of_lease = self.lease_clock() - claimed_at > LEASE_SECONDS - LEASE_MARGIN_SECONDS
            out_of_time = remaining_seconds is not None and remaining_seconds() < self.safety_margin
            if stop.is_set() or out_of_lease or out_of_time:
                # Never send on a claim whose lease may have run out: another run may own it by now.
                self.ledger.release(slot, run_id=run_id)
                if out_of_time:
                    stop.stop("deadline")
                return "released"
            limiter.acquire()
            try:
                message_id = self.mailer.send(mail)
                break
            except SendError as exc:
                if exc.kind == "throttled" and attempt < THROTTLE_RETRIES:
                    self.sleep(min(8.0, 0.25 * 2**attempt) * (1 + random.random()))  # noqa: S311
                    continue
                return self._send_failed(slot, run_id=run_id, exc=exc, stop=stop)
            except Exception as exc:  # last resort: stop the run cleanly, never leave the claim behind
                self.ledger.release(slot, run_id=run_id)
                log.error("delivery error signup=%s kind=%s error=%s", member["id"], message.key, type(exc).__name__)
                stop.stop("error")
                return "released"
        if not self._mark_sent(slot, run_id=run_id, message_id=message_id):
            log.warning("delivery claim lost after send signup=%s kind=%s", member["id"], message.key)
            return "lost_claims"
        return "sent"

    def link_row(self, member: SignupRecord) -> dict[str, Any]:
        """The member's personal-link row, written with the claim (idempotent): the link the email
        carries works even for members who became active before links existed."""
        token = join_token(
            group_id=member["group_id"],
            signup_id=member["id"],
            gen=member["gen"],
            link_rev=int(member.get("link_rev", 0)),
            settings=self.signups.settings,
        )
        return self.join_links.new_link_item(token_hash(token), link_of(member))

    def _send_failed(self, slot: Slot, *, run_id: str, exc: SendError, stop: StopSignal) -> Outcome:
        """Only a recipient-specific refusal marks a delivery failed; anything about the account or
        our configuration stops the run and keeps every message for a later run (and the alarm)."""
        if exc.kind == "rejected":
            self.ledger.mark_failed(slot, run_id=run_id, reason=exc.code, when=self.clock.now().isoformat())
            log.warning("delivery rejected signup=%s kind=%s code=%s", slot.signup_id, slot.kind, exc.code)
            return "failed"
        if exc.kind == "unknown":
            # SES may have accepted it: no retry now. The claim stays until its lease runs out, then a
            # later run sends it (the one duplicate window, measured in bench/).
            log.error("delivery outcome unknown signup=%s kind=%s code=%s", slot.signup_id, slot.kind, exc.code)
            stop.stop("error")
            return "released"
        self.ledger.release(slot, run_id=run_id)
        reason: StopReason = "account" if exc.kind == "account" else "config" if exc.kind == "config" else "throttled"
        log.error("distribution stopping: SES refused to send (%s, code=%s)", reason, exc.code)
        stop.stop(reason)
        return "released"

    def _mark_sent(self, slot: Slot, *, run_id: str, message_id: str) -> bool:
        """Record the send, retrying a storage error here: a row left claimed is sent again later."""
        for attempt in range(MARK_TRIES):
            try:
                return self.ledger.mark_sent(
                    slot, run_id=run_id, message_id=message_id, when=self.clock.now().isoformat()
                )
            except Exception as exc:  # deliberate: any storage error; the conditional outcome returns False
                if attempt == MARK_TRIES - 1:
                    log.error(
                        "delivery mark failed signup=%s kind=%s error=%s", slot.signup_id, slot.kind, type(exc).__name__
                    )
                    raise
                self.sleep(0.1 * 2**attempt)
        return False
