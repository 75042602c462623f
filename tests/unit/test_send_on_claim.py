"""Sending one email on a ledger claim (chalicelib/distribution/sending.py): the request is built
before the budget's moment, so it reaches SES at the moment; and a run's send slots bound how many
sends are between their moment and the ledger's record (what a crash can duplicate)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from chalicelib.distribution.sending import SendRun, StopSignal, send_on_claim
from chalicelib.mail.backends import SendError
from chalicelib.mail.message import OutgoingEmail


def mail(n: int = 0) -> OutgoingEmail:
    return OutgoingEmail(to=f"member{n}@example.org", subject="Reminder", text="text", html="<p>html</p>")


class Steps:
    """What happened, in order, across the limiter, the mailer and the claim."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[str] = []
        self.inside = 0  # sends between their moment and their record
        self.most_inside = 0

    def add(self, step: str) -> None:
        with self.lock:
            self.log.append(step)
            if step == "acquire":
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
            elif step == "mark_sent":
                self.inside -= 1


class Limiter:
    def __init__(self, steps: Steps) -> None:
        self.steps = steps

    def acquire(self) -> None:
        self.steps.add("acquire")

    def release(self) -> None:
        self.steps.add("release")


class PreparingMailer:
    """A mailer that builds its request ahead (as SesMailer.prepare); ``throttle`` first answers."""

    def __init__(self, steps: Steps, *, throttle: int = 0, hold: float = 0.0) -> None:
        self.steps = steps
        self.throttle = throttle
        self.hold = hold

    def send(self, mail: OutgoingEmail) -> str:
        return self.prepare(mail)()

    def prepare(self, mail: OutgoingEmail) -> Callable[[], str]:
        self.steps.add("prepare")

        def send() -> str:
            self.steps.add("send")
            if self.hold:
                time.sleep(self.hold)  # a round trip, so that sends overlap (no time is asserted)
            with self.steps.lock:
                throttled = self.throttle > 0
                self.throttle -= 1
            if throttled:
                raise SendError("throttled", "TooManyRequestsException")
            return "id-1"

        return send


class Claim:
    def __init__(self, steps: Steps) -> None:
        self.steps = steps

    def release(self) -> None:
        self.steps.add("claim_release")

    def mark_sent(self, message_id: str) -> bool:
        self.steps.add("mark_sent")
        return True

    def mark_failed(self, reason: str) -> bool:
        self.steps.add("mark_failed")
        return True


def run_for(steps: Steps, mailer: PreparingMailer, slots: threading.Semaphore | None = None) -> SendRun:
    return SendRun(
        mailer=mailer,
        limiter=Limiter(steps),
        stop=StopSignal(),
        lease_clock=lambda: 0.0,
        sleep=lambda _seconds: None,
        slots=slots,
    )


def test_the_request_is_built_before_the_moment_and_made_at_it() -> None:
    steps = Steps()
    outcome = send_on_claim(mail(), Claim(steps), run_for(steps, PreparingMailer(steps)), ref="signup=s1")
    assert outcome == "sent"
    assert steps.log == ["prepare", "acquire", "send", "mark_sent"]


def test_a_throttled_send_waits_for_a_new_moment_and_sends_the_same_request_again() -> None:
    steps = Steps()
    outcome = send_on_claim(mail(), Claim(steps), run_for(steps, PreparingMailer(steps, throttle=2)), ref="signup=s1")
    assert outcome == "sent"
    assert steps.log == ["prepare", "acquire", "send", "acquire", "send", "acquire", "send", "mark_sent"]


def test_send_slots_bound_the_sends_between_their_moment_and_their_record() -> None:
    """Eight workers, three slots: never more than three sends past their moment and not yet recorded
    (a crash there can duplicate only those), while the workers do keep three going at once."""
    steps = Steps()
    slots = threading.BoundedSemaphore(3)
    run = run_for(steps, PreparingMailer(steps, hold=0.005), slots)
    outcomes: list[str] = []

    def worker(n: int) -> None:
        for k in range(5):
            outcomes.append(send_on_claim(mail(10 * n + k), Claim(steps), run, ref=f"signup=s{n}-{k}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["sent"] * 40
    assert steps.most_inside == 3
    assert steps.inside == 0


class BrokenMailer(PreparingMailer):
    """A mailer whose request cannot be built (a header MIME refuses): nothing reaches SES."""

    def prepare(self, mail: OutgoingEmail) -> Callable[[], str]:
        self.steps.add("prepare")
        raise ValueError("header")


def test_a_request_that_cannot_be_built_gives_the_claim_back_and_stops_the_run() -> None:
    """As when the send itself fails with something unexpected: never leave the claim behind (it would
    wait out its lease) nor let the error escape the run (an announcement pass would end without its
    summary); the slot is free again."""
    steps = Steps()
    slots = threading.BoundedSemaphore(1)
    run = run_for(steps, BrokenMailer(steps), slots)
    assert send_on_claim(mail(), Claim(steps), run, ref="signup=s1") == "released"
    assert steps.log == ["prepare", "claim_release"]
    assert run.stop.reason == "error"
    assert slots.acquire(blocking=False)


class SlowSlots(threading.BoundedSemaphore):
    """Send slots that are all taken for a while: taking one moves the lease clock on."""

    def __init__(self, lease: list[float], wait: float) -> None:
        super().__init__(1)
        self.lease, self.wait = lease, wait

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        self.lease[0] += self.wait
        return super().acquire(blocking, timeout)

    __enter__ = acquire


def test_time_spent_waiting_for_a_send_slot_counts_against_the_claims_lease() -> None:
    """The claim was made before the worker waited for a slot: a send after a wait that took the lease
    past its margin would go on a claim another run may own by now. Given back, never sent."""
    steps = Steps()
    lease = [1_000.0]
    run = SendRun(
        mailer=PreparingMailer(steps),
        limiter=Limiter(steps),
        stop=StopSignal(),
        lease_clock=lambda: lease[0],
        sleep=lambda _seconds: None,
        slots=SlowSlots(lease, wait=290.0),
    )
    assert send_on_claim(mail(), Claim(steps), run, ref="signup=s1") == "released"
    assert "send" not in steps.log and steps.log[-1] == "claim_release"


def test_the_slot_is_given_back_on_every_way_out() -> None:
    """Sent, throttled to the end, refused, an unexpected error, a failed record, a stopped run: the
    run's slots are all free afterwards (a slot kept would shrink the run's sending for good)."""

    class FailingClaim(Claim):
        def mark_sent(self, message_id: str) -> bool:
            raise RuntimeError("storage")

    class Refusing(PreparingMailer):
        def __init__(self, steps: Steps, error: Exception) -> None:
            super().__init__(steps)
            self.error = error

        def prepare(self, mail: OutgoingEmail) -> Callable[[], str]:
            def send() -> str:
                raise self.error

            return send

    steps = Steps()
    slots = threading.BoundedSemaphore(2)
    cases: list[tuple[PreparingMailer, Claim, str]] = [
        (PreparingMailer(steps), Claim(steps), "sent"),
        (PreparingMailer(steps, throttle=99), Claim(steps), "released"),
        (Refusing(steps, SendError("rejected", "MessageRejected")), Claim(steps), "failed"),
        (Refusing(steps, RuntimeError("bug")), Claim(steps), "released"),
    ]
    for mailer, claim, expected in cases:
        assert send_on_claim(mail(), claim, run_for(steps, mailer, slots), ref="signup=s1") == expected
    with pytest.raises(RuntimeError):  # a record that kept failing: the run's own handler stops it
        send_on_claim(mail(), FailingClaim(steps), run_for(steps, PreparingMailer(steps), slots), ref="signup=s1")
    stopped = run_for(steps, PreparingMailer(steps), slots)
    stopped.stop.stop("deadline")
    assert send_on_claim(mail(), Claim(steps), stopped, ref="signup=s1") == "released"
    assert slots.acquire(blocking=False) and slots.acquire(blocking=False)
