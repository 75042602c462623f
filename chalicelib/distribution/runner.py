"""Runs the distribution: plan, then claim → send → mark each task through the ledger, at the
SES rate, stopping well before the Lambda deadline.

Exactly once per (meeting, member, message): runs may overlap or die at any point; the only
duplicate possible is a crash after SES accepted a message and before the ledger recorded it
(the claim's lease then runs out and a later run sends again).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.clock import Clock
from chalicelib.distribution.ledger import DeliveryRepository, Slot
from chalicelib.distribution.planner import Message, Planner, Task, planning_horizon
from chalicelib.distribution.records import RESEND_KEY_PREFIX, MessageType
from chalicelib.distribution.sending import (
    LEASE_SECONDS,
    SAFETY_MARGIN_SECONDS,
    Outcome,
    SendRun,
    StopReason,
    StopSignal,
    Tally,
    send_on_claim,
)
from chalicelib.distribution.truth import last_told, truth_of
from chalicelib.errors import NotFound
from chalicelib.groups.records import GroupRecord
from chalicelib.groups.service import GroupService
from chalicelib.joinlinks.service import JoinLinks
from chalicelib.joinlinks.tokens import personal_link
from chalicelib.mail.backends import Mailer
from chalicelib.mail.message import OutgoingEmail
from chalicelib.meetings.mail import Change, meeting_email
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.service import MeetingService
from chalicelib.metrics import emit
from chalicelib.outbox.records import OutboxRecord
from chalicelib.signups.member_mail import member_links
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.service import SignupService

if TYPE_CHECKING:
    from chalicelib.mail.budget import Limiter

log = logging.getLogger("mbc.distribution")

# Ledger rows expire this long after their meeting ends (DynamoDB TTL): long enough for the
# deliveries report to answer "did I get the link?", no longer than that purpose needs.
LEDGER_RETENTION = timedelta(days=90)
# Workers claim, check and build the next emails while others wait for their send moment, so a slow
# DynamoDB call or a busy CPU never leaves a moment of the budget without an email ready (with 4, 5-18%
# of a run's moments went unused on a 2-core machine at load 6-14). At most SEND_SLOTS of them are between the
# budget's moment and the ledger's record at once: a crash duplicates at most that many messages.
WORKERS = 8
SEND_SLOTS = 4
# At most one organizer's re-send per member and meeting this often.
RESEND_COOLDOWN = timedelta(minutes=5)
# Outcomes after which a planned message is nobody's to send any more (or another run's, now).
FINISHED: frozenset[Outcome] = frozenset({"sent", "skipped", "failed", "lost_claims"})
# How many upcoming meetings the calendar series in an invitation describes (cancellations, moves).
SERIES_MEETINGS = 12


@dataclass
class RunReport(Tally):
    run_id: str
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    released: int = 0
    # SES's answer was lost: the claim is kept until its lease runs out (then a later run sends it).
    deferred: int = 0
    lost_claims: int = 0
    # Planned, but the meeting changed before the message went: left to the next run.
    stale: int = 0
    stopped: StopReason | None = None
    # "all": a run over every group's members (the schedule, the CLI); "member": one new member's
    # catch-up (the outbox sender). Only "all" runs count as the schedule working (the alarms).
    scope: Literal["all", "member"] = "all"
    by_group: dict[str, int] = field(default_factory=dict)
    # What a run that stopped (time, budget, SES) leaves for the next one: messages planned and not
    # sent (released, stale, outcome unknown, or never tried), in all and per "<group>/<date>".
    remaining: int = 0
    remaining_by_meeting: dict[str, int] = field(default_factory=dict)

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
        self._seen: dict[tuple[str, str], tuple[float, int | None]] = {}
        self._series: dict[tuple[str, int], list[Meeting]] = {}
        self._lock = threading.Lock()

    def series(self, group: GroupRecord) -> list[Meeting]:
        """The group's next meetings, for the calendar series each invitation carries (once a run)."""
        key = (group["id"], int(group.get("schedule_rev", 0)))
        with self._lock:
            found = self._series.get(key)
        if found is None:
            found = self.meetings.upcoming(group, count=SERIES_MEETINGS)
            # Cancelled further ahead (told now, months ahead): their EXDATE too, so a later invite's
            # series never puts a meeting members were told is off back into their calendars.
            after = found[-1].starts_at if found else self.meetings.clock.now()
            found += [m for m in self.meetings.changed_after(group, after=after) if m.status == "cancelled"]
            with self._lock:
                self._series[key] = found
        return found

    def sequence(self, group_id: str, day: str) -> int | None:
        """The meeting's revision now; None when the group's schedule no longer has that date."""
        with self._lock:
            seen = self._seen.get((group_id, day))
            if seen is not None and time.monotonic() - seen[0] < self.max_age:
                return seen[1]
        value: int | None
        try:
            value = self.meetings.meeting_on(self.groups.get(group_id), day).sequence
        except NotFound:
            value = None
        with self._lock:
            self._seen[(group_id, day)] = (time.monotonic(), value)
        return value


class Distributor:
    def __init__(
        self,
        *,
        groups: GroupService,
        meetings: MeetingService,
        planner: Planner,
        join_links: JoinLinks,
        signups: SignupService,
        ledger: DeliveryRepository,
        mailer: Mailer,
        clock: Clock,
        limiter: Limiter,
        lease_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        workers: int = WORKERS,
        send_slots: int = SEND_SLOTS,
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
        # The account-wide sending budget (chalicelib/mail/budget.py), shared with every other sender.
        self.limiter = limiter
        # Wall-clock seconds shared by every process: claim leases tell a live run from a dead
        # one, even when ``clock`` (what "now" is for planning) is a fixed test clock.
        self.lease_clock = lease_clock
        self.sleep = sleep
        self.workers = workers
        self.send_slots = send_slots
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
        report = RunReport(run_id=secrets.token_hex(8), scope="member" if only_member else "all")
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
            limiter = self.limiter
            current = CurrentRevision(self.groups, self.meetings)
            lock = threading.Lock()
            slots = threading.BoundedSemaphore(max(1, min(self.send_slots, self.workers)))

            done: set[int] = set()  # the tasks this run finished (sent, failed, someone else's, lost claim)

            def work(task: Task) -> None:
                if stop.is_set():
                    return
                if remaining_seconds is not None and remaining_seconds() < self.safety_margin:
                    stop.stop("deadline")
                    return
                try:
                    outcome = self._deliver(
                        task,
                        run_id=report.run_id,
                        limiter=limiter,
                        stop=stop,
                        current=current,
                        remaining_seconds=remaining_seconds,
                        slots=slots,
                    )
                except Exception as exc:  # storage trouble mid-run: stop cleanly, keep the summary line
                    log.error("distribution task error signup=%s error=%s", task.member["id"], type(exc).__name__)
                    stop.stop("error")
                    return
                with lock:
                    report.count(outcome)
                    if outcome in FINISHED:
                        done.add(id(task))

            if len(tasks) == 1 or self.workers == 1:
                for task in tasks:
                    work(task)
            else:
                with ThreadPoolExecutor(max_workers=self.workers) as pool:
                    list(pool.map(work, tasks))
            limiter.release()  # what this run drew and did not use goes back to the other senders
            report.stopped = stop.reason
            for task in tasks:
                if id(task) not in done:
                    meeting = f"{task.group['id']}/{task.meeting.date}"
                    report.remaining_by_meeting[meeting] = report.remaining_by_meeting.get(meeting, 0) + 1
            report.remaining = sum(report.remaining_by_meeting.values())
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
        until = now + planning_horizon(group)
        kept = self.meetings.in_window(group, now=now - LEDGER_RETENTION, until=until)
        for meeting in kept + self.meetings.told_early(group, now=now, after=until):
            self.ledger.erase_member_of(group_id, meeting.date, signup_id)

    def deliver_now(self, group_id: str, signup_id: str) -> RunReport:
        """A member just became active: send whatever is due for them now (e.g. the link when the
        reminder already went out), through the same ledger the scheduled run uses."""
        return self.run(group_id=group_id, only_member=signup_id)

    def resend(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        """An organizer's "Re-send" (the console's outbox item ``meeting_resend``): the member's
        current message about the meeting (the reminder with her link, or the cancellation), sent
        through the ledger like any other (key ``x<request time>``), so the next run knows what she
        was told and does not repeat it. The request itself was refused if another went to her about
        this meeting within ``RESEND_COOLDOWN``. None (nothing to send) if she is no longer the
        active member the organizer chose, or the meeting is over or gone."""
        from chalicelib import invocation
        from chalicelib.outbox.sender import RetryLater

        group_id, signup_id, day = item["group_id"], item.get("signup_id", ""), item.get("ref", "")
        member = self.signups.get(group_id, signup_id) if signup_id else None
        if member is None or member["status"] != "active" or member["gen"] != item.get("gen"):
            return None
        try:
            group = self.groups.get(group_id)
            meeting = self.meetings.meeting_on(group, day)
        except NotFound:
            return None
        if self.clock.now() >= meeting.ends_at:
            return None
        rows = [r for r in self.ledger.rows(group_id, day) if r["signup_id"] == signup_id]
        truth = truth_of(group, meeting)
        told = last_told(rows)
        previous = told[1] if told is not None and truth.changes_from(told[1]) else None
        kind: MessageType = "cancelled" if meeting.status == "cancelled" else "reminder"
        key = RESEND_KEY_PREFIX + "".join(ch for ch in item["created_at"][:19] if ch.isdigit())
        task = Task(group, meeting, member, Message(kind, key, truth, previous=previous))
        stop = StopSignal()
        outcome = self._deliver(
            task,
            run_id=secrets.token_hex(8),
            limiter=self.limiter,
            stop=stop,
            current=CurrentRevision(self.groups, self.meetings),
            remaining_seconds=invocation.remaining(),
        )
        log.info("meeting resent group=%s date=%s signup=%s outcome=%s", group_id, day, signup_id, outcome)
        if outcome in ("released", "stale"):
            # Not sent: SES refused for now, time ran out, or the meeting changed meanwhile (the
            # retry tells the new truth).
            raise RetryLater(f"resend {outcome}")
        return []

    def _deliver(
        self,
        task: Task,
        *,
        run_id: str,
        limiter: Limiter,
        stop: StopSignal,
        current: CurrentRevision,
        remaining_seconds: Callable[[], float] | None,
        slots: threading.Semaphore | None = None,
    ) -> Outcome:
        group, member, message = task.group, task.member, task.message
        slot = Slot(group["id"], task.meeting.date, member["id"], message.key)
        revision = current.sequence(group["id"], task.meeting.date)
        if (revision is None) != task.meeting.dropped or (revision is not None and revision != task.meeting.sequence):
            return "stale"  # changed since planning: the next run tells the new truth
        member_check = self.signups.still_member_item(
            group["id"], member["id"], gen=member["gen"], link_rev=int(member.get("link_rev", 0))
        )
        if not self.ledger.claim(
            slot,
            member_check=member_check,
            link_row=self.link_row(member),
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
            timezone=member.get("timezone"),
            links=member_links(
                member,
                group,
                self.signups.settings,
                join_url=personal_link(
                    group_id=group["id"],
                    signup_id=member["id"],
                    gen=member["gen"],
                    link_rev=int(member.get("link_rev", 0)),
                    settings=self.signups.settings,
                ),
            ),
            now=self.clock.now(),
            series=current.series(group),
            change=Change(previous.starts_at, frozenset(message.said.changes_from(previous))) if previous else None,
        )
        mail.tags = {**mail.tags, "meeting": task.meeting.date, "message": message.key}
        if message.key.startswith(RESEND_KEY_PREFIX):
            mail.tags["kind"] = "meeting_resend"  # an organizer's re-send, as the outbox tagged it before
        # The member may have left (or been erased) since the claim: look once more, just before sending.
        current_member = self.signups.get(group["id"], member["id"])
        if not same_link(current_member, member):
            self.ledger.release(slot, run_id=run_id)
            return "skipped"
        run = SendRun(
            mailer=self.mailer,
            limiter=limiter,
            stop=stop,
            lease_clock=self.lease_clock,
            sleep=self.sleep,
            remaining_seconds=remaining_seconds,
            safety_margin=self.safety_margin,
            slots=slots,
        )
        return send_on_claim(
            mail, LedgerClaim(self, slot, run_id), run, ref=f"signup={member['id']} kind={message.key}"
        )

    def link_row(self, member: SignupRecord) -> dict[str, Any]:
        """The member's personal-link row, written with the claim (idempotent): the link the email
        carries works even for members who became active before links existed."""
        return self.join_links.activation_item(member)


def same_link(current: SignupRecord | None, planned: SignupRecord) -> bool:
    """Still the active member the run planned for, with the personal link the email carries."""
    return (
        current is not None
        and current["status"] == "active"
        and current["gen"] == planned["gen"]
        and int(current.get("link_rev", 0)) == int(planned.get("link_rev", 0))
    )


@dataclass
class LedgerClaim:
    """A claimed row of the meeting ledger (``sending.Claim``)."""

    distributor: Distributor
    slot: Slot
    run_id: str

    def release(self) -> None:
        self.distributor.ledger.release(self.slot, run_id=self.run_id)

    def mark_sent(self, message_id: str) -> bool:
        when = self.distributor.clock.now().isoformat()
        return self.distributor.ledger.mark_sent(self.slot, run_id=self.run_id, message_id=message_id, when=when)

    def mark_failed(self, reason: str) -> bool:
        when = self.distributor.clock.now().isoformat()
        return self.distributor.ledger.mark_failed(self.slot, run_id=self.run_id, reason=reason, when=when)
