"""How the sending budget (chalicelib/mail/budget.py) paces one process's sends when its threads wake
late (a busy CPU) or come late (slow work between sends): the sends keep to the budget's grid, a late
wake-up within the slack costs no rate, and no second ever holds more than the account's rate.

The budget draws from a moto table; time is virtual (it moves when the budget sleeps, by what it asked
plus the wake-up's lateness, and between sends by the work a sender does), so each example is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.mail.budget import BUDGET_PK, BUDGET_SK, SendingBudget, SendRate
from tests.support.stacks import Stack

T0 = 1_800_000_000.0
ACCOUNT = 14.0  # SES's maximum send rate, counted over a second
SHARE = 0.99


class LateTime:
    """Virtual wall-clock time: every sleep overshoots by the next lateness (a thread waking late)."""

    def __init__(self, lateness: Iterator[float]) -> None:
        self.now = T0
        self.lateness = lateness

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds + next(self.lateness, 0.0)


def fresh_budget(stack: Stack, time: LateTime, *, share: float = SHARE) -> SendingBudget:
    stack.client.delete_item(TableName=stack.table, Key={"pk": {"S": BUDGET_PK}, "sk": {"S": BUDGET_SK}})
    budget = SendingBudget(
        stack.client,
        stack.table,
        rate=lambda: SendRate(ACCOUNT * share, ACCOUNT, "ses"),
        clock=time.clock,
        sleep=time.sleep,
    )
    budget.trace = []
    return budget


def sends(budget: SendingBudget, time: LateTime, work: list[float]) -> list[int]:
    """One send per entry of ``work`` (the seconds the sender is busy before asking for the next)."""
    for busy in work:
        budget.acquire()
        time.now += busy
    return list(budget.trace or [])


def max_in_window(moments: list[int], window_us: int = 1_000_000) -> int:
    """The most moments in any window SES counts (an arrival a full window after another is a new one)."""
    best, lo = 0, 0
    for hi, t in enumerate(moments):
        while moments[lo] <= t - window_us:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def merged(grants: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The process's grants, those that follow each other joined (as the budget holds them)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(grants):
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


lateness = st.lists(st.floats(min_value=0.0, max_value=0.12), min_size=1, max_size=120)
work = st.lists(
    st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=0.3)),
    min_size=20,
    max_size=90,
)
no_fixture_reset = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@no_fixture_reset
@given(late=lateness, busy=work)
def test_late_and_slow_senders_never_put_more_than_the_account_rate_in_a_second(
    moto_stack: Stack, late: list[float], busy: list[float]
) -> None:
    time = LateTime(iter(late))
    budget = fresh_budget(moto_stack, time)
    moments = sends(budget, time, busy)
    interval, slack = budget.interval_us(), budget.slack_us()
    assert 0 < slack <= interval // 4
    for k in range(1, 16):  # any k sends in a row span at least k intervals less the slack
        assert all(b - a >= k * interval - slack for a, b in zip(moments, moments[k:], strict=False))
    assert max_in_window(moments) <= ACCOUNT
    held = merged(budget.granted)
    for moment in moments:  # and each is inside what the process was granted (a late wake-up: up to
        # the slack past its last moment, so another process's grant after it keeps its spacing)
        assert any(start <= moment <= end - interval + slack for start, end in held), (moment, held)


@no_fixture_reset
@given(late=st.lists(st.floats(min_value=0.0, max_value=0.004), min_size=1, max_size=200))
def test_wake_ups_late_within_the_slack_cost_no_rate(moto_stack: Stack, late: list[float]) -> None:
    """A sender always ready (no work between sends) whose waits overshoot by up to 4 ms (under the
    5 ms slack of a 0.99 share): 141 sends take 140 intervals, give or take the slack. Before the
    catch-up, each late wake-up pushed every later send back: the rate fell by the mean lateness."""
    time = LateTime(iter(late * 4))
    budget = fresh_budget(moto_stack, time)
    moments = sends(budget, time, [0.0] * 141)
    interval, slack = budget.interval_us(), budget.slack_us()
    assert slack >= 4_000
    assert moments[-1] - moments[0] <= 140 * interval + slack


def test_no_headroom_no_catch_up(moto_stack: Stack) -> None:
    """At the account's own rate (share 1) there is nothing to spare: every send at least an interval
    after the last, however late the wake-ups."""
    time = LateTime(iter([0.01, 0.0, 0.03] * 20))
    budget = fresh_budget(moto_stack, time, share=1.0)
    moments = sends(budget, time, [0.0] * 50)
    assert budget.slack_us() == 0
    assert all(b - a >= budget.interval_us() for a, b in zip(moments, moments[1:], strict=False))


@pytest.mark.parametrize(("window", "slack_ms"), [(1.0, 5.05), (1 / 3, 1.68)])
def test_the_slack_is_half_the_headroom_of_ses_window(moto_stack: Stack, window: float, slack_ms: float) -> None:
    time = LateTime(iter([]))
    budget = fresh_budget(moto_stack, time)
    budget.window = window  # a time-scaled benchmark's stand-in counts over a shorter window
    assert budget.slack_us() / 1000 == pytest.approx(slack_ms, abs=0.01)


def test_a_late_send_at_the_end_of_a_grant_leaves_the_next_process_its_second(moto_stack: Stack) -> None:
    """Process A draws a second of moments; process B draws the next (each process keeps its own time).
    A's thread wakes 32 ms late for its last moment (under half an interval): sending then puts it
    40 ms before B's first, and with B's next thirteen on their grid, 15 sends fall in one second of
    a 14/s account. Later than the slack past a grant's last moment, that moment is given up: A sends
    in its next grant, after B's, and no second holds more than the account's rate."""
    a_time = LateTime(iter([0.0] * 12 + [0.032]))
    a = fresh_budget(moto_stack, a_time)
    b_time = LateTime(iter([]))
    b = SendingBudget(
        moto_stack.client,
        moto_stack.table,
        rate=lambda: SendRate(ACCOUNT * SHARE, ACCOUNT, "ses"),
        clock=b_time.clock,
        sleep=b_time.sleep,
    )
    b.trace = []
    a.acquire()  # A: one moment, sent at once
    a.acquire()  # A: a second of moments after it (13), waits for the first of them
    b.acquire()  # B, meanwhile: after A's, waits for it
    sends(a, a_time, [0.0] * 13)  # A: the rest of its second; the last wake-up 32 ms late
    sends(b, b_time, [0.0] * 14)  # B: on its grid
    moments = sorted((a.trace or []) + (b.trace or []))
    assert len(moments) == 30
    assert max_in_window(moments) <= ACCOUNT
