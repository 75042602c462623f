"""A run that stops (its deadline, the sending budget) says what it leaves, per meeting, and the next
run sends exactly that (docs/operations.md, "What remains")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import metrics
from chalicelib.mail.budget import BudgetUnavailable
from tests.support.builders import GROUP_ID, MEETING_DAY, T_MINUS_30M, add_members, ledger, make_group
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

MEETING = f"{GROUP_ID}/{MEETING_DAY}"


def test_a_run_stopped_by_its_deadline_says_what_remains_and_the_next_run_sends_it(
    moto_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_group(moto_stack.container)
    add_members(moto_stack.container, 5)
    ses = FakeSes()
    lines: list[str] = []
    real = metrics.emit

    def capture(event: str, **fields: Any) -> str:
        lines.append(real(event, **fields))
        return lines[-1]

    monkeypatch.setattr("chalicelib.distribution.runner.emit", capture)
    run = moto_stack.build(mailer=ses, safety_margin=10.0).distributor
    moto_stack.clock.set(T_MINUS_30M)
    report = run.run(remaining_seconds=lambda: 60.0 if len(ses.accepted) < 2 else 5.0)
    assert (report.stopped, report.sent) == ("deadline", 2)
    assert (report.remaining, report.remaining_by_meeting) == (3, {MEETING: 3})
    summary = json.loads(lines[-1])
    assert summary["remaining"] == 3 and summary["remaining_by_meeting"] == {MEETING: 3}
    assert "@" not in lines[-1]  # ids and counts only
    again = run.run()
    assert (again.planned, again.sent, again.remaining, again.remaining_by_meeting) == (3, 3, 0, {})
    assert len({m.to for m in ses.accepted}) == 5
    assert {row["status"] for row in ledger(moto_stack)} == {"sent"}


class BudgetFailsAfter:
    """The sending budget's table fails after ``n`` sends (nothing is sent without a moment)."""

    def __init__(self, n: int) -> None:
        self.left = n

    def acquire(self) -> None:
        if self.left <= 0:
            raise BudgetUnavailable("ProvisionedThroughputExceededException")
        self.left -= 1

    def release(self) -> None:
        return None


def test_a_run_the_budget_stops_keeps_every_claim_for_the_next_run(moto_stack: Stack) -> None:
    make_group(moto_stack.container)
    add_members(moto_stack.container, 4)
    ses = FakeSes()
    c = moto_stack.build(mailer=ses)
    c.distributor.limiter = BudgetFailsAfter(1)
    moto_stack.clock.set(T_MINUS_30M)
    report = c.distributor.run()
    assert (report.stopped, report.sent, report.released) == ("error", 1, 1)
    assert (report.remaining, report.remaining_by_meeting) == (3, {MEETING: 3})
    assert [row["status"] for row in ledger(moto_stack)] == ["sent"]  # the refused claim was given back
    c.distributor.limiter = c.sender_limiter
    assert c.distributor.run().sent == 3
    assert sorted(m.to for m in ses.accepted) == sorted({m.to for m in ses.accepted})
