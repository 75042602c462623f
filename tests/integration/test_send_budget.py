"""The account-wide sending budget (chalicelib/mail/budget.py): one DynamoDB item every sender draws
send moments from. Concurrency on DynamoDB Local (moto does not serialise conditional writes); the
rest on moto. Every clock is injected: a budget's moments are read from what it asks to sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from chalicelib import container
from chalicelib.mail.budget import (
    BUDGET_PK,
    BUDGET_SK,
    BudgetUnavailable,
    SendingBudget,
    SendRate,
    resolve_rate,
    stored_account_rate,
)
from tests.support.stacks import Stack

T0 = 1_800_000_000.0  # any wall-clock second: the budget only compares its own readings


class VirtualTime:
    """A clock that moves only when a budget sleeps (one thread), recording every send moment."""

    def __init__(self, start: float = T0) -> None:
        self.now = start
        self.moments: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def send(self, budget: SendingBudget) -> None:
        budget.acquire()
        self.moments.append(self.now)


def budget_on(
    stack: Stack, *, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]
) -> SendingBudget:
    return SendingBudget(stack.client, stack.table, rate=lambda: SendRate(rate, rate, "ses"), clock=clock, sleep=sleep)


def max_in_window(moments: list[float], window: float = 1.0) -> int:
    times = sorted(moments)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window + 1e-9:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def joined(grants: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """A process's grants, those that follow each other joined (as the budget holds them)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(grants):
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def stored_next(stack: Stack) -> int:
    item = stack.client.get_item(TableName=stack.table, Key={"pk": {"S": BUDGET_PK}, "sk": {"S": BUDGET_SK}})["Item"]
    return int(item["next_us"]["N"])


# ---------------------------------------------------------------------------------------------- moto


def test_one_sender_sends_at_the_rate_and_writes_the_table_about_twice_a_second(moto_stack: Stack) -> None:
    time = VirtualTime()
    budget = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    for _ in range(141):
        time.send(budget)
    assert time.now - T0 == pytest.approx(140 / 14.0, abs=1e-3)  # the first at once, then 1/14 s apart
    gaps = [b - a for a, b in zip(time.moments, time.moments[1:], strict=False)]
    assert min(gaps) >= 1 / 14.0 - 1e-6
    # Grants of a second of sends (14) once busy: about one write a second, not one per email.
    assert budget.grants <= 141 // 7 + 4
    assert stored_next(moto_stack) >= int((time.now + 1 / 14.0) * 1e6) - 1


def test_a_lone_email_takes_one_moment_and_a_second_sender_goes_right_after(moto_stack: Stack) -> None:
    time = VirtualTime()
    outbox = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    time.send(outbox)
    assert outbox.grants == 1
    assert stored_next(moto_stack) == int(T0 * 1e6) + outbox.interval_us()  # one moment, nothing held back
    run = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    time.send(run)
    assert time.moments[1] - time.moments[0] == pytest.approx(1 / 14.0, abs=1e-5)


def test_two_senders_in_turn_never_exceed_the_rate(moto_stack: Stack) -> None:
    """Two processes (two budgets on one table) drawing in turn: the account sees at most 14 a second."""
    time = VirtualTime()
    a = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    b = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    for i in range(200):
        time.send(a if (i // 3) % 2 == 0 else b)
    assert max_in_window(time.moments) <= 14
    gaps = [y - x for x, y in zip(sorted(time.moments), sorted(time.moments)[1:], strict=False)]
    assert min(gaps) >= 1 / 14.0 - 1e-6
    assert a.conflicts + b.conflicts > 0  # each saw the other's grants through a failed condition


def test_a_run_that_stops_gives_its_unused_moments_back(moto_stack: Stack) -> None:
    time = VirtualTime()
    run = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    for _ in range(10):  # the grants grow: 1, 2, 4, 7 ... the last one is partly used
        time.send(run)
    held = stored_next(moto_stack)
    run.release()
    given_back = stored_next(moto_stack)
    assert given_back < held
    assert given_back == pytest.approx(time.moments[-1] * 1e6 + run.interval_us(), abs=2)
    other = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    time.send(other)
    assert time.moments[-1] - time.moments[-2] == pytest.approx(1 / 14.0, abs=1e-5)


def test_giving_back_never_undoes_a_grant_made_after_it(moto_stack: Stack) -> None:
    time = VirtualTime()
    run = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    for _ in range(10):
        time.send(run)
    other = budget_on(moto_stack, rate=14.0, clock=time.clock, sleep=time.sleep)
    other.acquire()  # drawn after the run's grant: its moment is after everything the run holds
    after_other = stored_next(moto_stack)
    run.release()
    assert stored_next(moto_stack) == after_other


def test_the_budget_refuses_when_the_table_fails(moto_stack: Stack) -> None:
    class Broken:
        exceptions = moto_stack.client.exceptions

        def update_item(self, **_kwargs: Any) -> Any:
            raise moto_stack.client.exceptions.ProvisionedThroughputExceededException(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "UpdateItem"
            )

    time = VirtualTime()
    budget = SendingBudget(Broken(), moto_stack.table, rate=lambda: SendRate(14.0, None, "cap"), clock=time.clock)
    with pytest.raises(BudgetUnavailable):
        budget.acquire()


def test_the_rate_comes_from_ses_with_headroom_under_the_cap() -> None:
    assert resolve_rate(cap=50.0, share=0.97, read_account=lambda: 14.0) == SendRate(14.0 * 0.97, 14.0, "ses")
    # A raised account rate is used only up to the cap the table's ceilings are sized for.
    assert resolve_rate(cap=14.0, share=0.97, read_account=lambda: 200.0).per_second == 14.0
    # No SES (the local .eml outbox): the cap alone.
    assert resolve_rate(cap=14.0, share=0.97, read_account=None) == SendRate(14.0, None, "cap")


def test_when_ses_cannot_say_the_last_stored_rate_or_the_sandbox_rate_is_used() -> None:
    def refused() -> float:
        raise RuntimeError("AccessDenied")

    stored = resolve_rate(cap=14.0, share=0.97, read_account=refused, stored_account=lambda: 10.0)
    assert stored == SendRate(10.0 * 0.97, 10.0, "stored")
    fallback = resolve_rate(cap=14.0, share=0.97, read_account=refused)
    assert fallback == SendRate(0.97, 1.0, "fallback")


def test_the_account_rate_read_from_ses_is_stored_for_the_processes_that_cannot_ask(moto_stack: Stack) -> None:
    time = VirtualTime()
    budget = budget_on(moto_stack, rate=13.0, clock=time.clock, sleep=time.sleep)  # SendRate(13, 13, "ses")
    assert stored_account_rate(moto_stack.client, moto_stack.table) is None
    budget.acquire()
    assert stored_account_rate(moto_stack.client, moto_stack.table) == 13.0


def test_every_sender_of_a_container_draws_from_the_one_budget(moto_stack: Stack) -> None:
    c = moto_stack.build(account_send_rate=lambda: 20.0)
    assert c.distributor.limiter is c.announcements.limiter is c.outbox.limiter is c.sender_limiter
    c.outbox.limiter.acquire()  # the shared limiter draws from the container's one budget
    # At least one grant: the container's budget runs on the real clock (shared by processes), so a
    # store slower than half an interval (moto on a loaded machine) gives up the first and draws again.
    assert c.send_budget.grants >= 1
    assert c.send_budget.rate == SendRate(min(c.settings.max_send_rate, 20.0 * 0.99), 20.0, "ses")


def test_the_container_asks_ses_for_the_rate_when_it_mails_through_ses(
    moto_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from chalicelib import aws

    class Ses:
        def get_account(self) -> dict[str, Any]:
            return {"SendQuota": {"MaxSendRate": 14.0, "Max24HourSend": 50000.0, "SentLast24Hours": 0.0}}

    def ses_client(_settings: object = None) -> Ses:
        return Ses()

    ses_client.cache_clear = lambda: None  # type: ignore[attr-defined]  # container.reset() clears it
    monkeypatch.setattr(aws, "ses_client", ses_client)
    settings = dataclasses.replace(moto_stack.settings, mail_backend="ses", max_send_rate=100.0)
    c = container.build(settings=settings, clock=moto_stack.clock, dynamodb=moto_stack.client)
    assert c.send_budget.rate == SendRate(14.0 * 0.99, 14.0, "ses")


# ------------------------------------------------------------------------------------ DynamoDB Local


@pytest.mark.parametrize("share", [1.0, 0.99])
def test_concurrent_senders_never_exceed_the_rate(ddb_stack: Stack, share: float) -> None:
    """Three processes (three budgets, each with two threads) draw at once from one item on the real
    engine. Their grants never overlap, each process's sends are at least 1/rate apart (less the slack
    a late thread may catch up, below the account's rate) and inside its grants, and all of them
    together never make more than the account's rate in any second. The clock is injected (a fixed
    epoch plus the test's own elapsed time; the threads really wait)."""
    import time as real_time

    account, per_thread = 100.0, 40
    rate = account * share
    started = real_time.monotonic()  # real clock: the threads really wait

    def clock() -> float:
        return T0 + (real_time.monotonic() - started)  # real clock: a fixed epoch plus the elapsed time

    budgets = [
        SendingBudget(
            ddb_stack.client,
            ddb_stack.table,
            rate=lambda: SendRate(rate, account, "ses"),
            clock=clock,
            sleep=real_time.sleep,
        )
        for _ in range(3)
    ]
    for budget in budgets:
        budget.trace = []
    barrier = threading.Barrier(6)

    def draw(budget: SendingBudget) -> None:
        barrier.wait()
        for _ in range(per_thread):
            budget.acquire()

    threads = [threading.Thread(target=draw, args=(b,)) for b in budgets for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    interval, slack = budgets[0].interval_us(), budgets[0].slack_us()
    assert (slack > 0) == (share < 1)
    grants = sorted(g for b in budgets for g in b.granted)
    assert all(later[0] >= earlier[1] for earlier, later in zip(grants, grants[1:], strict=False))
    assert sum(b.conflicts for b in budgets) > 0  # they did compete for the item
    moments: list[float] = []
    for budget in budgets:
        trace = budget.trace or []
        for k in range(1, 16):
            assert all(b - a >= k * interval - slack for a, b in zip(trace, trace[k:], strict=False))
        held = joined(budget.granted)
        for moment in trace:
            assert any(start <= moment <= end - interval + slack for start, end in held)
        moments += [float(m) for m in trace]  # microseconds: exact, so a window's edge is exact
    assert len(moments) == 6 * per_thread
    assert max_in_window(moments, window=1e6) <= account  # a late send past a grant's last moment: within the slack


def test_an_outbox_email_waits_while_the_budget_cannot_be_drawn(moto_stack: Stack) -> None:
    """Nothing is sent without a moment: the email is retried like any failure before SES was asked."""
    from datetime import timedelta

    from tests.support.builders import GROUP_ID, group_body, signup_body
    from tests.support.fakes import FakeSes

    class Refusing:
        def acquire(self) -> None:
            raise BudgetUnavailable("ProvisionedThroughputExceededException")

        def release(self) -> None:
            return None

    ses = FakeSes()
    app = moto_stack.build(mailer=ses)
    app.groups.create(group_body())
    app.signups.submit(GROUP_ID, app.signups.parse_form(signup_body(email="ann@example.org")), source_ip="10.0.0.1")
    app.outbox.limiter = Refusing()
    for _ in range(2):  # the form, then its confirmation email
        app.outbox.sweep(pending_intake=app.signups.pending_intakes, min_age=timedelta(0))
    assert ses.accepted == []
    [item] = app.outbox_items.pending(due_before="9999")
    assert item["attempts"] == 1 and "BudgetUnavailable" in str(item.get("reason"))
    app.outbox.limiter = app.sender_limiter
    moto_stack.clock.advance(minutes=2)
    app.outbox.sweep(pending_intake=app.signups.pending_intakes, min_age=timedelta(0))
    assert [m.to for m in ses.accepted] == ["ann@example.org"]
