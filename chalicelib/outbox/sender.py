"""Sends what the outbox holds, at most once: the handler behind the table's stream (a new item's
INSERT) and the scheduled sweep (what is due: retries, what the stream did not deliver).

Each item is claimed with a condition (pending and due → sending, with a lease), rendered from
the record it refers to as it stands now, marked ``submit_run`` just before SES is asked, sent,
and finished with a condition on the claim. What each failure does (docs/operations.md has the
table):

- SES throttles, or the item's handler raises (a renderer bug, a record it cannot read): the
  attempt counts; the item is pending again with its next attempt 1, 2, 4, 8, 16 minutes later
  (found by the sweep, never by its own write); after ``MAX_ATTEMPTS`` it is *parked* with an
  alarm line, and an admin retries or discards it (``outbox`` CLI, the console's Outbox page).
  The rest of a batch or sweep goes on (a throttle leaves the rest pending for the sweep).
- SES refuses for everyone (sending paused, account suspended, access denied, configuration):
  one conditional ``MAILPAUSE`` item stops sending for everyone until ``PAUSE_FOR`` has passed
  (one alarm line per pause); items stay pending, attempts not counted; each sweep after the pause
  asks SES once, and sends everything once SES takes it (or an admin runs ``outbox resume``).
- SES refuses the recipient: ``failed``, with an alarm line (no retry).
- The outcome is unknown (a timeout, a 5xx, an answer lost), or a sender died between asking SES
  and recording the answer (the next claim finds ``submit_run`` set): parked as
  ``outcome_unknown``, never sent again without an admin's decision.
- SES accepted but "sent" cannot be recorded (a storage outage): the mark is retried with backoff
  within the invocation's remaining time; if it still fails, ``submit_run`` stays, and the item is
  parked as ``outcome_unknown`` when its lease runs out (the log line has SES's message id).

The address's email slot (the per-address limits) is taken before sending and given back unless
SES accepted the email (or may have).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.clock import Clock
from chalicelib.db import from_item
from chalicelib.errors import Conflict, NotFound
from chalicelib.mail.backends import Mailer, SendError, prepared
from chalicelib.mail.message import OutgoingEmail
from chalicelib.metrics import emit
from chalicelib.outbox.records import OUTBOX_PREFIX, OutboxRecord, stamp
from chalicelib.outbox.storage import OutboxRepository

if TYPE_CHECKING:
    from chalicelib.mail.budget import Limiter

log = logging.getLogger("mbc.outbox")

LEASE_SECONDS = 120
# Sent (or held, failed, discarded) items are kept this long, then expire (DynamoDB TTL).
RETENTION = timedelta(days=30)
# The sweep leaves items this young to the stream.
SWEEP_AFTER = timedelta(minutes=2)
# The sweep's share of the scheduled run (the distribution comes after it).
SWEEP_BUDGET_SECONDS = 60.0
# Attempts of one item (a throttle, a handler that raises) before it is parked for an admin; the
# waits between them, in minutes: 1, 2, 4, 8, 16 (capped). The sweep runs every 15 minutes, so
# in practice an item is tried at most once per sweep: parked about 1.5 hours after its first try.
MAX_ATTEMPTS = 6
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(minutes=60)
# SES refuses for everyone: nobody asks SES again before this has passed (then one sweep asks once).
PAUSE_FOR = timedelta(minutes=10)
# Recording "sent": retried this often with these waits (seconds), while the invocation has time.
MARK_WAITS = (0.25, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0)
MARK_MARGIN_SECONDS = 5.0

# kind -> what to send for an item (rendered from the records it refers to, as they stand): None
# when there is nothing to send any more (the item is then "held"); [] when the work is done and
# no email was due (then "done").
Handler = Callable[[OutboxRecord], list[OutgoingEmail] | None]
# (recipient, the item) -> may this address be mailed now? True: yes (one of the address's email
# slots is taken); a time: not before then (the spacing: the item waits and is sent then); False:
# not at all (the daily cap, or another email to the address already waits with the same news).
AddressCheck = Callable[[str, OutboxRecord], bool | datetime]
# recipient -> give the slot back (the email was not sent)
AddressRelease = Callable[[str], None]
# Items of other prefixes the same stream handler processes (signup forms): item -> None.
Processor = Callable[[dict[str, Any]], None]
# A stream record, as (event name, new image in DynamoDB JSON, sequence number).
StreamRecord = tuple[str, dict[str, Any] | None, str]

Finished = Literal["sent", "done", "held", "failed"]
Outcome = Literal[
    "sent", "done", "held", "failed", "parked", "retry", "delayed", "paused", "deferred", "skipped", "unrecorded"
]


class RetryLater(Exception):
    """A handler cannot work now (an outage): the attempt counts and the item is retried later."""


@dataclass
class Pass:
    """One stream batch or one sweep: what happened, and whether to stop asking SES."""

    remaining: Callable[[], float] | None = None
    budget_until: float | None = None  # time.monotonic() deadline
    outcomes: dict[str, int] = field(default_factory=dict)
    paused: bool | None = None  # read once per pass
    stopped: str | None = None  # throttled or unknown: leave the rest pending for the sweep

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def out_of_time(self, margin: float = 0.0) -> bool:
        if self.budget_until is not None and time.monotonic() > self.budget_until:
            return True
        return self.remaining is not None and self.remaining() < margin


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts: 1, 2, 4, ... minutes, capped."""
    wait: timedelta = BACKOFF_FIRST * 2 ** max(0, attempts - 1)
    return min(BACKOFF_CAP, wait)


class OutboxSender:
    def __init__(
        self,
        *,
        repo: OutboxRepository,
        mailer: Mailer,
        clock: Clock,
        handlers: Mapping[str, Handler],
        address_check: AddressCheck,
        address_release: AddressRelease | None = None,
        processors: Mapping[str, Processor] | None = None,
        lease_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        limiter: Limiter | None = None,
    ) -> None:
        self.repo = repo
        # The account-wide sending budget (chalicelib/mail/budget.py): each email waits for its moment.
        self.limiter = limiter
        self.mailer = mailer
        self.clock = clock
        self.handlers = dict(handlers)
        self.address_check = address_check
        self.address_release = address_release
        self.processors = dict(processors or {})
        self.lease_clock = lease_clock
        self.sleep = sleep

    # ---------------------------------------------------------------- entry points

    def handle_stream(
        self, records: Iterable[StreamRecord], *, remaining_seconds: Callable[[], float] | None = None
    ) -> dict[str, list[dict[str, str]]]:
        """A batch of stream records. Every record is handled on its own; the answer names the
        records that failed (``ReportBatchItemFailures``: the stream retries from the first of
        them, a bounded number of times). An outbox item that could not be sent is not a failure
        here: it is pending, due later, and the sweep has it."""
        run = Pass(remaining=remaining_seconds)
        failures: list[str] = []
        for event_name, image, sequence in records:
            if event_name not in ("INSERT", "MODIFY") or not image:
                continue
            values = from_item(image)
            pk = str(values.get("pk", ""))
            try:
                if pk.startswith(OUTBOX_PREFIX):
                    # Only a new item: a later write to it (claim, retry, park) never invokes a send.
                    if event_name == "INSERT" and values.get("status") == "pending":
                        run.count(self.deliver(pk[len(OUTBOX_PREFIX) :], run))
                    continue
                for prefix, process in self.processors.items():
                    if pk.startswith(prefix):
                        process(values)
                        run.count("processed")
            except Exception as exc:  # deliberate: one record never stops the others; the stream retries it
                log.warning("outbox stream record failed prefix=%s error=%s", pk.split("#", 1)[0], type(exc).__name__)
                run.count("error")
                failures.append(sequence)
        if self.limiter is not None:
            self.limiter.release()
        if run.outcomes:
            log.info("outbox batch %s", run.outcomes)
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}

    def sweep(
        self,
        *,
        pending_intake: Callable[[str], list[dict[str, Any]]] | None = None,
        min_age: timedelta = SWEEP_AFTER,
        remaining_seconds: Callable[[], float] | None = None,
    ) -> dict[str, int]:
        """Everything due: retries whose time has come, and what the stream did not deliver
        (written ``min_age`` ago or earlier: the scheduled run leaves younger items to the stream).
        Each item on its own: whatever one item does, the others are tried, and the sweep itself
        never raises (the distribution runs after it)."""
        from chalicelib import invocation

        remaining = remaining_seconds or invocation.remaining()  # the scheduled run's time left
        run = Pass(remaining=remaining, budget_until=time.monotonic() + SWEEP_BUDGET_SECONDS)
        now = self.clock.now()
        young = (now - min_age).isoformat()
        try:
            items = self.repo.pending(due_before=stamp(now) + "~")  # "~" sorts after "#<id>": inclusive
        except Exception as exc:  # deliberate: a storage outage; the next sweep tries again
            log.error("outbox sweep could not read the pending items error=%s", type(exc).__name__)
            items = []
            run.count("error")
        for item in items:
            if item["status"] == "pending" and not item.get("attempts") and item["created_at"] > young:
                continue  # the stream's (it was written moments ago)
            if run.out_of_time(margin=30.0):
                run.count("later")
                continue
            try:
                run.count(self.deliver(item["id"], run))
            except Exception as exc:  # deliberate: isolate each item (it stays pending or leased)
                log.error("outbox sweep item failed outbox=%s error=%s", item["id"], type(exc).__name__)
                run.count("error")
        if self.limiter is not None:
            self.limiter.release()
        if pending_intake is not None:
            self._sweep_intake(pending_intake, now - min_age, run)
        if run.outcomes:
            log.info("outbox sweep %s", run.outcomes)
        return run.outcomes

    def _sweep_intake(self, pending_intake: Callable[[str], list[dict[str, Any]]], before: datetime, run: Pass) -> None:
        failed: list[str] = []
        try:
            intakes = pending_intake(before.isoformat() + "~")
        except Exception as exc:  # deliberate: as above
            log.error("outbox sweep could not read the pending forms error=%s", type(exc).__name__)
            intakes = []
            failed.append(type(exc).__name__)
        for values in intakes:
            pk = str(values.get("pk", ""))
            for prefix, process in self.processors.items():
                if pk.startswith(prefix):
                    try:
                        process(values)
                        run.count("processed")
                    except Exception as exc:  # deliberate: one form never stops the others
                        log.error("outbox sweep form failed prefix=%s error=%s", prefix, type(exc).__name__)
                        failed.append(type(exc).__name__)
                        run.count("error")
        if failed:  # one line per sweep (every 15 minutes while it lasts), not one per form
            emit("outbox_failed", kind="intake", outbox_id="", reason=failed[0], status="error", count=len(failed))

    # ---------------------------------------------------------------- admin decisions

    def items(self, outbox_ids: list[str]) -> list[OutboxRecord]:
        """These items as they stand (a member page's emails and their outcomes); gone ones are left out."""
        found = []
        for outbox_id in outbox_ids:
            item = self.repo.get(outbox_id)
            if item is not None:
                found.append(item)
        return found

    def parked(self) -> list[dict[str, Any]]:
        """What waits for an admin: ids, kinds, groups, reasons, attempts and dates (nothing personal)."""
        fields = ("id", "kind", "group_id", "reason", "attempts", "created_at", "parked_at")
        return [{name: item.get(name) for name in fields} for item in self.repo.parked()]

    def retry_parked(self, outbox_id: str) -> None:
        """Send a parked item again (the next sweep takes it; ``deliver`` now, if the caller wants).
        For an ``outcome_unknown`` item this may send a second copy: the admin's decision."""
        if not self.repo.requeue(outbox_id, now=stamp(self.clock.now())):
            self._not_parked(outbox_id)
        log.info("outbox parked item requeued outbox=%s", outbox_id)

    def discard_parked(self, outbox_id: str) -> None:
        now = self.clock.now()
        if not self.repo.discard(outbox_id, when=now.isoformat(), expires_at=int((now + RETENTION).timestamp())):
            self._not_parked(outbox_id)
        log.info("outbox parked item discarded outbox=%s", outbox_id)

    def _not_parked(self, outbox_id: str) -> None:
        item = self.repo.get(outbox_id)
        if item is None:
            raise NotFound("outbox item")
        raise Conflict(f"The outbox item is {item['status']}, not parked.")

    def resume(self) -> bool:
        """SES sends again (the account or the configuration is fixed): lift the pause now."""
        lifted = self.repo.clear_pause()
        log.info("outbox sending resumed lifted=%s", lifted)
        return lifted

    def paused_until(self) -> str | None:
        record = self.repo.pause()
        return record["until"] if record and record["until"] > stamp(self.clock.now()) else None

    # ---------------------------------------------------------------- one item

    def deliver(self, outbox_id: str, run: Pass | None = None) -> Outcome:
        run = run if run is not None else Pass()
        if run.stopped is not None:
            return "deferred"
        if run.paused is None:
            run.paused = self.paused_until() is not None
        if run.paused:
            return "paused"
        run_id = secrets.token_hex(6)
        item = self.repo.claim(
            outbox_id,
            run_id=run_id,
            now=stamp(self.clock.now()),
            now_epoch=int(self.lease_clock()),
            lease_seconds=LEASE_SECONDS,
        )
        if item is None:
            return "skipped"  # sent, parked, not due yet, or another sender has it
        if item.get("submit_run"):
            # A sender died (or could not record the answer) after asking SES: it may have been sent.
            return self._park(item, run_id, "outcome_unknown")
        try:
            handler = self.handlers.get(item["kind"])
            if handler is None:
                raise LookupError(f"no handler for {item['kind']}")
            emails = handler(item)
        except Exception as exc:  # deliberate: a poison item counts an attempt; the others go on
            log.error("outbox handler failed outbox=%s kind=%s error=%s", outbox_id, item["kind"], type(exc).__name__)
            return self._retry(item, run_id, "handler:" + type(exc).__name__)
        if emails is None:
            return self._finish(item, run_id, "held", run, "nothing to send")
        if not emails:
            return self._finish(item, run_id, "done", run)
        taken = self._take_slots(item, emails)
        if isinstance(taken, datetime):
            return self._delay(item, run_id, taken)
        if taken is None:
            log.info("outbox item held by the address limit outbox=%s kind=%s", outbox_id, item["kind"])
            return self._finish(item, run_id, "held", run, "address limit")
        try:
            ours = self.repo.submitting(outbox_id, run_id=run_id)
        except Exception:
            self._give_back(taken)
            raise
        if not ours:
            self._give_back(taken)
            return "skipped"  # the lease ran out meanwhile: another sender has it
        return self._send(item, run_id, emails, taken, run)

    def _send(
        self, item: OutboxRecord, run_id: str, emails: list[OutgoingEmail], taken: list[str], run: Pass
    ) -> Outcome:
        message_ids: list[str] = []
        for index, mail in enumerate(emails):
            mail.tags = {**mail.tags, "kind": item["kind"], "outbox": item["id"]}
            try:
                send = prepared(self.mailer, mail)  # built before the moment: the request goes right at it
                if self.limiter is not None:
                    self.limiter.acquire()  # BudgetUnavailable: nothing was sent, retried like a bug below
                message_ids.append(send())
            except SendError as exc:
                if index:
                    return self._park(item, run_id, f"partly_sent:{exc.code}")
                return self._send_failed(item, run_id, exc, taken, run)
            except Exception as exc:  # deliberate: a bug before SES was asked (building the message)
                if index:
                    return self._park(item, run_id, f"partly_sent:{type(exc).__name__}")
                self._give_back(taken)
                log.error("outbox send failed outbox=%s kind=%s error=%s", item["id"], item["kind"], type(exc).__name__)
                return self._retry(item, run_id, "send:" + type(exc).__name__)
        log.info("outbox sent outbox=%s kind=%s message_id=%s", item["id"], item["kind"], ",".join(message_ids))
        return self._finish(item, run_id, "sent", run, message_id=",".join(message_ids))

    def _send_failed(self, item: OutboxRecord, run_id: str, exc: SendError, taken: list[str], run: Pass) -> Outcome:
        if exc.kind == "unknown":
            # SES may have accepted it: the slot stays spent, and nobody sends it again on their own.
            run.stopped = "unknown"
            return self._park(item, run_id, f"outcome_unknown:{exc.code}")
        self._give_back(taken)  # SES refused it: nothing was sent
        if exc.kind == "rejected":  # this recipient will never take it: no retry
            emit("outbox_failed", kind=item["kind"], outbox_id=item["id"], reason=exc.code, status="failed")
            return self._finish(item, run_id, "failed", run, exc.code)
        if exc.kind == "throttled":
            run.stopped = "throttled"  # the rest of this pass waits for the sweep
            log.warning("outbox send throttled outbox=%s kind=%s code=%s", item["id"], item["kind"], exc.code)
            return self._retry(item, run_id, exc.code)
        # account or config: SES refuses for everyone. Stop for everyone; this item waits, uncounted.
        run.paused = True
        self.repo.release(item["id"], run_id=run_id)
        self._pause(exc.code)
        return "paused"

    def _take_slots(self, item: OutboxRecord, emails: list[OutgoingEmail]) -> list[str] | datetime | None:
        """The addresses' email slots (per-address limits), all or none: the taken list, the time
        the item may go (the spacing), or None (held for good)."""
        if item.get("limit") is None:
            return []
        taken: list[str] = []
        for mail in emails:
            answer = self.address_check(mail.to, item)
            if answer is True:
                taken.append(mail.to)
                continue
            self._give_back(taken)
            return answer if isinstance(answer, datetime) else None
        return taken

    def _delay(self, item: OutboxRecord, run_id: str, until: datetime) -> Outcome:
        """The address had an email a moment ago: the item waits (not counted as an attempt) and is
        sent when the spacing allows (the sweep finds it then)."""
        if not self.repo.delay(item["id"], run_id=run_id, next_attempt_at=stamp(until), reason="address spacing"):
            return "skipped"
        log.info("outbox item delayed by the address spacing outbox=%s kind=%s", item["id"], item["kind"])
        return "delayed"

    def _give_back(self, taken: list[str]) -> None:
        if self.address_release is None:
            return
        for address in taken:
            try:
                self.address_release(address)
            except Exception as exc:  # deliberate: a slot not given back only delays a later email
                log.warning("outbox could not give an address slot back error=%s", type(exc).__name__)

    def _pause(self, code: str) -> None:
        now = self.clock.now()
        until = stamp(now + PAUSE_FOR)
        try:
            raised = self.repo.set_pause({"until": until, "reason": code, "since": stamp(now)}, now=stamp(now))
        except Exception as exc:  # deliberate: this pass stops anyway; the next one meets SES's refusal again
            log.error("outbox could not record the sending pause code=%s error=%s", code, type(exc).__name__)
            return
        if raised:
            emit("outbox_failed", kind="*", outbox_id="", reason=code, status="paused", until=until)
            log.error("outbox sending paused until=%s code=%s", until, code)

    def _retry(self, item: OutboxRecord, run_id: str, reason: str) -> Outcome:
        attempts = int(item.get("attempts", 1))
        if attempts >= MAX_ATTEMPTS:
            return self._park(item, run_id, reason)
        wait = backoff(attempts)
        next_attempt = stamp(self.clock.now() + wait)
        if not self.repo.retry(item["id"], run_id=run_id, next_attempt_at=next_attempt, reason=reason):
            return "skipped"
        log.warning(
            "outbox retry later outbox=%s kind=%s attempt=%d reason=%s wait_s=%d",
            item["id"],
            item["kind"],
            attempts,
            reason,
            int(wait.total_seconds()),
        )
        return "retry"

    def _park(self, item: OutboxRecord, run_id: str, reason: str) -> Outcome:
        if not self.repo.park(item["id"], run_id=run_id, when=stamp(self.clock.now()), reason=reason):
            return "skipped"
        emit(
            "outbox_failed",
            kind=item["kind"],
            outbox_id=item["id"],
            reason=reason,
            status="parked",
            attempts=int(item.get("attempts", 1)),
        )
        return "parked"

    def _finish(
        self,
        item: OutboxRecord,
        run_id: str,
        status: Finished,
        run: Pass,
        reason: str | None = None,
        *,
        message_id: str | None = None,
    ) -> Outcome:
        """Record the outcome. A storage hiccup must not lose a "sent": the mark is retried while the
        invocation has time; if it never lands, ``submit_run`` stays and nothing sends it again."""
        now = self.clock.now()
        expires = int((now + RETENTION).timestamp())
        for wait in (*MARK_WAITS, None):
            try:
                ours = self.repo.finish(
                    item["id"],
                    run_id=run_id,
                    status=status,
                    when=now.isoformat(),
                    expires_at=expires,
                    reason=reason,
                    message_id=message_id,
                )
                return status if ours else "skipped"
            except Exception as exc:  # deliberate: retry the mark, never the send
                if wait is None or run.out_of_time(margin=MARK_MARGIN_SECONDS + wait):
                    log.error(
                        "outbox mark failed outbox=%s status=%s message_id=%s error=%s",
                        item["id"],
                        status,
                        message_id or "",
                        type(exc).__name__,
                    )
                    return "unrecorded"
                self.sleep(wait)
        return "unrecorded"
