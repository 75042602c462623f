"""Sending one email on a ledger claim (chalicelib/distribution/sending.py): the request is built
before the budget's moment, so it reaches SES at the moment; and a run's send slots bound how many
sends are between their moment and the ledger's record (what a crash can duplicate)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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
