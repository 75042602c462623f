"""Sending one email on a ledger claim, shared by everything that mails many members exactly once
(the meeting distribution, announcements): at the SES rate, never on a claim whose lease may have
run out, with SES's errors sorted into what to record, what to retry and what stops the run.

The caller has already claimed the message (a conditional write that only one run can win) and
passes the claim's three ways out: give it back untouched, record the send, record a refusal.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from chalicelib.mail.backends import Mailer, SendError, prepared
from chalicelib.mail.message import OutgoingEmail

if TYPE_CHECKING:
    from chalicelib.mail.budget import Limiter

log = logging.getLogger("mbc.distribution")

LEASE_SECONDS = 300
THROTTLE_RETRIES = 4
# Stop retrying a send this long before the claim's lease would run out.
LEASE_MARGIN_SECONDS = 30
MARK_TRIES = 3
SAFETY_MARGIN_SECONDS = 20.0

# deferred: SES's answer was lost (a timeout, a 5xx); the claim is kept until its lease runs out, then
# a later run sends it (the one duplicate window, measured in bench/).
Outcome = Literal["sent", "skipped", "failed", "released", "deferred", "lost_claims", "stale"]
# A run goes on past this many unknown outcomes less one: one lost answer is not an outage.
UNKNOWN_OUTCOMES_TO_STOP = 3
StopReason = Literal["deadline", "error", "throttled", "account", "config"]


class Tally:
    """The per-outcome counters of a sending run (the distribution's ``RunReport``, an
    announcement's ``AnnouncementRun``): the dataclasses declare the fields, this counts into them."""

    sent: int
    skipped: int
    failed: int
    released: int
    deferred: int
    lost_claims: int
    stale: int

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
        elif outcome == "deferred":
            self.deferred += 1
        else:
            self.lost_claims += 1


class StopSignal:
    """Shared by a run's workers: the first reason to stop wins."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.reason: StopReason | None = None
        self.unknown = 0

    def unknown_outcome(self) -> None:
        """One send whose outcome is unknown; several in one run stop it (SES is in trouble)."""
        with self._lock:
            self.unknown += 1
            many = self.unknown >= UNKNOWN_OUTCOMES_TO_STOP
        if many:
            self.stop("error")

    def stop(self, reason: StopReason) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


class RateLimiter:
    """A limiter of one process alone: at most ``rate`` sends a second (monotonic time). The senders
    draw from the account-wide budget instead (chalicelib/mail/budget.py); this one paces tools."""

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

    def release(self) -> None:
        """Nothing to give back: this limiter is the process's own."""


class Claim(Protocol):
    """A claimed ledger row: exactly one of these ends it."""

    def release(self) -> None: ...
    def mark_sent(self, message_id: str) -> bool: ...
    def mark_failed(self, reason: str) -> bool: ...


@dataclass
class SendRun:
    """What one run shares across its sends."""

    mailer: Mailer
    limiter: Limiter
    stop: StopSignal
    lease_clock: Callable[[], float]
    sleep: Callable[[float], None]
    remaining_seconds: Callable[[], float] | None = None
    safety_margin: float = SAFETY_MARGIN_SECONDS
    # Bounds the sends between drawing a moment and the ledger's record of them (None: no bound):
    # a crash can duplicate only what is there, however many workers prepare the next emails.
    slots: threading.Semaphore | None = None

    def out_of_time(self) -> bool:
        return self.remaining_seconds is not None and self.remaining_seconds() < self.safety_margin


def send_on_claim(mail: OutgoingEmail, claim: Claim, run: SendRun, *, ref: str) -> Outcome:
    """Send ``mail`` on ``claim``; ``ref`` names it in logs (ids only, never an address). With
    ``run.slots``, holds one of them from waiting for its moment until the send is recorded."""
    claimed_at = run.lease_clock()  # before any wait for a slot: the lease has been running since the claim
    try:
        send = prepared(run.mailer, mail)  # built before the moment (and the slot): the request goes right at it
    except Exception as exc:  # the request cannot be built (a bug): as a send that failed unexpectedly
        claim.release()
        log.error("delivery error %s error=%s", ref, type(exc).__name__)
        run.stop.stop("error")
        return "released"
    if run.slots is None:
        return _send_on_claim(send, claim, run, claimed_at=claimed_at, ref=ref)
    with run.slots:
        return _send_on_claim(send, claim, run, claimed_at=claimed_at, ref=ref)


def _send_on_claim(send: Callable[[], str], claim: Claim, run: SendRun, *, claimed_at: float, ref: str) -> Outcome:
    message_id = ""
    for attempt in range(THROTTLE_RETRIES + 1):
        out_of_lease = run.lease_clock() - claimed_at > LEASE_SECONDS - LEASE_MARGIN_SECONDS
        out_of_time = run.out_of_time()
        if run.stop.is_set() or out_of_lease or out_of_time:
            # Never send on a claim whose lease may have run out: another run may own it by now.
            claim.release()
            if out_of_time:
                run.stop.stop("deadline")
            return "released"
        try:
            run.limiter.acquire()
        except Exception as exc:  # the budget cannot be drawn from (storage trouble): nothing was sent
            claim.release()
            log.error("sending budget unavailable %s error=%s", ref, type(exc).__name__)
            run.stop.stop("error")
            return "released"
        try:
            message_id = send()
            break
        except SendError as exc:
            if exc.kind == "throttled" and attempt < THROTTLE_RETRIES:
                run.sleep(min(8.0, 0.25 * 2**attempt) * (1 + random.random()))  # noqa: S311
                continue
            return _send_failed(claim, run, exc=exc, ref=ref)
        except Exception as exc:  # last resort: stop the run cleanly, never leave the claim behind
            claim.release()
            log.error("delivery error %s error=%s", ref, type(exc).__name__)
            run.stop.stop("error")
            return "released"
    if not _mark_sent(claim, run, message_id=message_id, ref=ref):
        log.warning("delivery claim lost after send %s", ref)
        return "lost_claims"
    return "sent"


def _send_failed(claim: Claim, run: SendRun, *, exc: SendError, ref: str) -> Outcome:
    """Only a recipient-specific refusal marks a delivery failed; anything about the account or
    our configuration stops the run and keeps every message for a later run (and the alarm)."""
    if exc.kind == "rejected":
        claim.mark_failed(exc.code)
        log.warning("delivery rejected %s code=%s", ref, exc.code)
        return "failed"
    if exc.kind == "unknown":
        # SES may have accepted it: no retry now. The claim stays until its lease runs out, then a
        # later run sends it (the one duplicate window, measured in bench/). The run goes on with
        # everyone else, unless this keeps happening.
        log.error("delivery outcome unknown %s code=%s", ref, exc.code)
        run.stop.unknown_outcome()
        return "deferred"
    claim.release()
    reason: StopReason = "account" if exc.kind == "account" else "config" if exc.kind == "config" else "throttled"
    log.error("distribution stopping: SES refused to send (%s, code=%s)", reason, exc.code)
    run.stop.stop(reason)
    return "released"


def _mark_sent(claim: Claim, run: SendRun, *, message_id: str, ref: str) -> bool:
    """Record the send, retrying a storage error here: a row left claimed is sent again later."""
    for attempt in range(MARK_TRIES):
        try:
            return claim.mark_sent(message_id)
        except Exception as exc:  # deliberate: any storage error; the conditional outcome returns False
            if attempt == MARK_TRIES - 1:
                log.error("delivery mark failed %s error=%s", ref, type(exc).__name__)
                raise
            run.sleep(0.1 * 2**attempt)
    return False
