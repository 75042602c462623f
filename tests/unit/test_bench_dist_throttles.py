"""The benchmark's fan-out invariant (bench/distribution.py `violations`): a run drawing from the
sending budget has at most 1% of its attempts throttled (one allowed where a percent is less than one);
the control run, without the budget, is meant to be throttled and is not held to it."""

from __future__ import annotations

import pytest

from bench.distribution import SES_RATE, Result, Scenario, violations


def result(*, members: int, throttled: int, account_rate: bool = True) -> Result:
    res = Result(Scenario("run", members, account_rate=account_rate), ses_rate=SES_RATE, window_capacity=14)
    res.sent, res.throttled, res.ledger, res.max_in_window = members, throttled, {"sent": members}, 14
    return res


def throttle_problems(res: Result) -> list[str]:
    return [p for p in violations(res) if "throttled" in p]


@pytest.mark.parametrize(
    ("members", "throttled", "broken"),
    [(1000, 0, False), (1000, 10, False), (1000, 11, True), (20, 1, False), (20, 2, True)],
)
def test_throttles_above_one_percent_break_the_run(members: int, throttled: int, broken: bool) -> None:
    assert bool(throttle_problems(result(members=members, throttled=throttled))) is broken


def test_the_control_run_without_the_budget_may_be_throttled() -> None:
    assert throttle_problems(result(members=60, throttled=16, account_rate=False)) == []
