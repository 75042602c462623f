"""One scheduled run at a time (chalicelib/distribution/run_lease.py, scheduled.py ``scheduled_run``):
an overlapping invocation, a second delivery of the same event and a late event are dropped, and a
dead run's lease is taken over once its deadline has passed. Races on DynamoDB Local (moto does not
serialise conditional writes). Wall-clock seconds are injected (``lease_clock``)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from chalicelib import metrics
from chalicelib.distribution.run_lease import RunLease, Taken
from chalicelib.distribution.scheduled import MAX_EVENT_AGE_SECONDS, scheduled_run
from chalicelib.mail.message import OutgoingEmail
from tests.support.builders import T_MINUS_30M, add_members, make_group
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

NOW = int(T_MINUS_30M.timestamp())


class GatedSes(FakeSes):
    """Holds every send until the test opens the gate (a run that is still going)."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = threading.Event()
        self.gate = threading.Event()

    def send(self, mail: OutgoingEmail) -> str:
        self.sending.set()
        assert self.gate.wait(30), "the test never opened the gate"
        return super().send(mail)


@pytest.fixture
def dropped(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    real = metrics.emit

    def capture(event: str, **fields: Any) -> str:
        if event == "scheduled_run_dropped":
            lines.append(fields)
        return real(event, **fields)

    monkeypatch.setattr(metrics, "emit", capture)
    import chalicelib.distribution.scheduled as scheduled

    monkeypatch.setattr(scheduled, "emit", capture)
    return lines


def test_two_concurrent_runs_one_sends_the_other_is_dropped(ddb_stack: Stack, dropped: list[dict[str, Any]]) -> None:
    make_group(ddb_stack.container)
    add_members(ddb_stack.container, 3)
    ddb_stack.clock.set(T_MINUS_30M)
    slow = GatedSes()
    first = ddb_stack.build(mailer=slow, lease_clock=lambda: float(NOW))
    results: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: results.update(first=scheduled_run(first, event_id="e1")))
    thread.start()
    try:
        assert slow.sending.wait(30)  # the first run is sending
        second_ses = FakeSes()
        second = ddb_stack.build(mailer=second_ses, lease_clock=lambda: float(NOW + 60))
        assert scheduled_run(second, event_id="e2") == {"dropped": "held"}
        assert second_ses.accepted == []
    finally:
        slow.gate.set()
        thread.join(60)
    assert results["first"]["sent"] == 3
    assert dropped == [{"reason": "held", "event_id": "e2"}]
    # Given back at the end: the next run goes (nothing is left to send).
    after = ddb_stack.build(mailer=FakeSes(), lease_clock=lambda: float(NOW + 120))
    assert scheduled_run(after, event_id="e3")["planned"] == 0


def test_of_many_invocations_at_once_exactly_one_takes_the_lease(ddb_stack: Stack) -> None:
    leases = [RunLease(ddb_stack.build().dynamodb, ddb_stack.table) for _ in range(8)]
    barrier = threading.Barrier(len(leases))
    outcomes: list[Any] = []
    lock = threading.Lock()

    def take(n: int) -> None:
        barrier.wait()
        outcome = leases[n].take(holder=f"run{n}", now=NOW, seconds=900, event_id=f"e{n}")
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(leases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(o, Taken) for o in outcomes) == 1
    assert sorted(o for o in outcomes if not isinstance(o, Taken)) == ["held"] * 7


def test_a_dead_runs_lease_is_taken_over_only_after_its_deadline(ddb_stack: Stack) -> None:
    lease = RunLease(ddb_stack.client, ddb_stack.table)
    dead = lease.take(holder="dead", now=NOW, seconds=900)
    assert isinstance(dead, Taken)
    assert lease.take(holder="early", now=NOW + 899, seconds=900) == "held"
    assert lease.take(holder="at-deadline", now=NOW + 900, seconds=900) == "held"
    late = lease.take(holder="next", now=NOW + 901, seconds=900)
    assert isinstance(late, Taken)
    # The dead run, had it come back, cannot free the lease its successor holds.
    assert lease.give_back(dead, now=NOW + 902) is False
    assert lease.take(holder="third", now=NOW + 903, seconds=900) == "held"
    assert lease.give_back(late, now=NOW + 904) is True
    assert isinstance(lease.take(holder="third", now=NOW + 904, seconds=900), Taken)


def test_the_same_event_delivered_twice_runs_once(moto_stack: Stack, dropped: list[dict[str, Any]]) -> None:
    make_group(moto_stack.container)
    add_members(moto_stack.container, 2)
    moto_stack.clock.set(T_MINUS_30M)
    ses = FakeSes()
    c = moto_stack.build(mailer=ses, lease_clock=lambda: float(NOW))
    assert scheduled_run(c, event_id="e1")["sent"] == 2
    assert scheduled_run(c, event_id="e1") == {"dropped": "duplicate"}
    assert dropped == [{"reason": "duplicate", "event_id": "e1"}]
    assert scheduled_run(c, event_id="e2")["planned"] == 0  # the next event runs (nothing left)
    assert len(ses.accepted) == 2


def test_a_late_invocation_is_dropped_with_its_age(moto_stack: Stack, dropped: list[dict[str, Any]]) -> None:
    make_group(moto_stack.container)
    add_members(moto_stack.container, 2)
    moto_stack.clock.set(T_MINUS_30M)
    ses = FakeSes()
    scheduled_at = "2026-12-01T22:30:00Z"
    late = moto_stack.build(mailer=ses, lease_clock=lambda: float(NOW + MAX_EVENT_AGE_SECONDS + 1))
    assert scheduled_run(late, event_id="e1", event_time=scheduled_at) == {
        "dropped": "late",
        "age_s": MAX_EVENT_AGE_SECONDS + 1,
    }
    assert ses.accepted == []
    assert dropped == [{"reason": "late", "event_id": "e1", "age_s": MAX_EVENT_AGE_SECONDS + 1}]
    in_time = moto_stack.build(mailer=ses, lease_clock=lambda: float(NOW + MAX_EVENT_AGE_SECONDS))
    assert scheduled_run(in_time, event_id="e1", event_time=scheduled_at)["sent"] == 2
    assert "@example.org" not in json.dumps(dropped)
