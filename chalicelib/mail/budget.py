"""One sending budget for the whole SES account, shared by every sender: the scheduled distribution,
announcement passes, the outbox sender, overlapping runs and every Lambda container at once.

SES refuses sends above the account's maximum rate (``SendQuota.MaxSendRate``) whoever makes them,
so each sender keeping its own limiter at that rate lets two senders together throttle each other.
Instead every send draws a moment from one DynamoDB item:

- ``SENDBUDGET`` / ``SENDBUDGET``: ``next_us``, the next free send moment (wall-clock microseconds
  since the epoch: the "theoretical arrival time" of a GCRA token bucket with no burst), and the
  rates the last writer used (``rate_milli``, and ``account_milli`` as SES reported it).

A grant of ``n`` sends is one conditional UpdateItem: ``next_us`` moves from the value the writer
saw to ``max(seen, now) + n / rate``; if another sender moved it meanwhile the condition fails, the
failed write returns the item as it stands (``ReturnValuesOnConditionCheckFailure``) and the writer
tries again from there. The grant's sends go out ``1 / rate`` apart from its start, so grants made
by different processes never overlap and the account never sees more than ``rate`` a second.

Grants are sized to demand (one send for a lone outbox email; ``MAX_BATCH_SECONDS`` worth while a
sender keeps sending), so the table is written about once a second at most, and a sender that
stops early gives the unused end of its grant back (``release``) when nobody has drawn after it.

Pacing: a grant's moments are ``1 / rate`` apart; a thread that wakes late sends at once and the
next moment stays on the grid, caught up by at most ``slack_us`` (half the headroom the share leaves
in SES's one-second window), so a late wake-up costs no rate and no second ever holds more sends
than the account's rate. Senders build their request before they ask for a moment
(``backends.prepared``), so it reaches SES at the moment.

The rate: the account's ``MaxSendRate`` from SES ``GetAccount``, read once per container, times
``SEND_RATE_SHARE`` (0.99: the headroom covers the catch-up above and the jitter between a send's
moment and SES's count of it; docs/operations.md says why not 0.97 or 1) and never above
``MAX_SEND_RATE`` (the cap the table's write ceilings are sized for).
If SES cannot be asked, the account rate the last process stored on the item, else 1 a second
(the sandbox's rate: safe for any account). Without SES (the local ``.eml`` outbox) the cap alone.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.db import key

log = logging.getLogger("mbc.mail")

BUDGET_PK = "SENDBUDGET"
BUDGET_SK = "SENDBUDGET"
# The largest grant, in seconds of sending (about one table write a second while a sender is busy).
MAX_BATCH_SECONDS = 1.0
# If SES cannot say the account's rate and no process stored it: the sandbox's rate.
FALLBACK_ACCOUNT_RATE = 1.0
# A thread about to wait draws the next grant when this few moments are left in what is held.
PREFETCH_MOMENTS = 2
# A sender idle this long starts again with a grant of one send (a lone outbox email takes one).
IDLE_RESET_SECONDS = 1.0
# SES counts its maximum send rate over a second.
SES_RATE_WINDOW = 1.0
# The share of the budget's headroom under the account rate a late thread may catch up (the rest is
# left for the jitter between a send's moment and SES counting it): see ``slack_us``.
CATCH_UP_SHARE = 0.5
# Writers that keep losing the conditional update back off briefly; after this many, give up.
GRANT_TRIES = 20
_MICRO = 1_000_000


class BudgetUnavailable(Exception):
    """The budget could not be drawn from (storage trouble, or endless contention): do not send now."""


class Limiter(Protocol):
    """What a sender needs from a budget: wait for the moment of one send; give back what is unused."""

    def acquire(self) -> None: ...
    def release(self) -> None: ...


@dataclass(frozen=True)
class SendRate:
    """The rate the budget grants at, and where it came from (for the log: numbers only)."""

    per_second: float
    account: float | None
    source: str  # "ses", "stored", "fallback", "cap"


def resolve_rate(
    *,
    cap: float,
    share: float,
    read_account: Callable[[], float] | None,
    stored_account: Callable[[], float | None] = lambda: None,
) -> SendRate:
    """The budget's rate: ``min(cap, account * share)``. ``read_account`` asks SES (None: no SES, the
    cap alone); when it fails, the rate a process stored on the budget item, else the sandbox rate."""
    if read_account is None:
        return SendRate(cap, None, "cap")
    try:
        account = float(read_account())
        source = "ses"
        if account <= 0:
            raise ValueError("SES reported no send rate")
    except Exception as exc:  # deliberate: any failure to ask SES falls back to a rate safe for the account
        stored = None
        try:
            stored = stored_account()
        except Exception as stored_exc:  # deliberate: as above
            log.warning("send budget could not read its stored rate error=%s", type(stored_exc).__name__)
        account, source = (stored, "stored") if stored else (FALLBACK_ACCOUNT_RATE, "fallback")
        log.warning("send budget could not read the SES send rate error=%s using=%s", type(exc).__name__, source)
    return SendRate(min(cap, account * share), account, source)


def ses_account_rate(client: Any) -> float:
    """The account's maximum send rate (emails a second), from SES v2 ``GetAccount``."""
    return float(client.get_account()["SendQuota"]["MaxSendRate"])


class SendingBudget:
    """The process's view of the account-wide budget, shared by its senders' threads."""

    def __init__(
        self,
        client: Any,
        table: str,
        *,
        rate: Callable[[], SendRate],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_batch_seconds: float = MAX_BATCH_SECONDS,
        window: float = SES_RATE_WINDOW,
    ) -> None:
        self.client = client
        self.window = window
        self.table = table
        self._rate_source = rate
        self._rate: SendRate | None = None
        self.clock = clock
        self.sleep = sleep
        self.max_batch_seconds = max_batch_seconds
        self._lock = threading.Lock()
        self._seen: int | None = None  # next_us as this process last saw it (None: not read yet)
        self._item_known = False
        # The moments this process holds: granted intervals [start, end) in microseconds, in order
        # (contiguous grants merged), and the earliest moment of its next send.
        self._held: list[list[int]] = []
        self._next = 0
        self._last_end = 0  # the end of the last interval held (to tell a busy sender from an idle one)
        self._draw_lock = threading.Lock()  # one table write at a time (its state: _seen, _item_known)
        self.grants = 0  # DynamoDB writes that granted sends (for tests and the benchmark)
        self.conflicts = 0
        self.granted: deque[tuple[int, int]] = deque(maxlen=1000)  # recent grants' (start, end), microseconds
        self.trace: list[int] | None = None  # set to a list to record each send's moment (tests)

    # ------------------------------------------------------------------ the rate

    @property
    def rate(self) -> SendRate:
        if self._rate is None:
            self._rate = self._rate_source()
            log.info(
                "send budget rate per_second=%.3f account=%s source=%s",
                self._rate.per_second,
                self._rate.account,
                self._rate.source,
            )
        return self._rate

    def interval_us(self) -> int:
        return max(1, math.ceil(_MICRO / self.rate.per_second))

    def slack_us(self) -> int:
        """How far a late send may pull the schedule's next moment back toward its own grid moment:
        half the headroom the share leaves under the account's rate in SES's window (a second),
        the other half left for the jitter between a send's moment and SES's count of it, and never
        more than a quarter of an interval. With sends ``s``, any ``k`` in a row span at least
        ``k / rate - slack``, so a window holds at most ``ceil((window + slack) * rate)`` of them: never
        more than the account's rate allows (``rate * (window + slack) <= account * window``). No
        headroom (or no account rate known): no slack, every send at least an interval after the last."""
        rate = self.rate
        if rate.account is None or rate.account <= rate.per_second:
            return 0
        headroom = (rate.account / rate.per_second - 1) * self.window  # seconds a window has to spare
        return min(self.interval_us() // 4, int(headroom * CATCH_UP_SHARE * _MICRO))

    def max_batch(self) -> int:
        return max(1, int(self.rate.per_second * self.max_batch_seconds))

    # ------------------------------------------------------------------ drawing

    def acquire(self) -> None:
        """Wait until this send may go (one send). Raises BudgetUnavailable if the budget cannot be
        drawn from (nothing was sent; the caller keeps its message for later).

        A moment is taken when it has come, not in advance: a thread that wakes late (a busy CPU)
        takes the present, and the process's next moment is an interval after the later of its grid
        moment and the present less the slack (``slack_us``). So a late wake-up costs the rate nothing
        when it is within the slack, ``k`` sends in a row span at least ``k / rate - slack`` (no burst:
        catching up never adds up beyond the slack), and every send is inside what
        this process was granted (up to the slack past a grant's last moment for a thread that woke
        late: ``_drop_spent``), so sends of different processes are as far apart. The next grant is
        drawn while the current one still has moments left (by a thread that would otherwise wait),
        so a busy sender's grants follow each other without a gap."""
        drawn = False  # just drawn for this send: its lateness is the table write's, not a wake-up's
        while True:
            prefetch = False
            wait = 0
            with self._lock:
                now = self._now_us()
                interval = self.interval_us()
                self._drop_spent(now, interval, late=interval // 2 if drawn else self.slack_us())
                empty = not self._held
                if not empty:
                    at = max(self._next, self._held[0][0])
                    if at <= now:
                        # A thread that woke late sends now; the schedule catches up by at most the
                        # slack, so sends stay on the grant's grid (1 / rate apart) and a late one never
                        # delays all those after it (which, before, lost the rate every late wake-up).
                        self._next = max(at, now - self.slack_us()) + interval
                        if self.trace is not None:
                            self.trace.append(now)
                        return
                    wait = at - now
                    prefetch = self._left(at, interval) <= PREFETCH_MOMENTS
            if empty:
                self._draw(blocking=True)  # nothing held (a first send, or the sender outran its grants)
                drawn = True
                continue
            drawn = False
            if prefetch and self._draw(blocking=False):
                continue  # drawn ahead while waiting (unless another thread is drawing already)
            self.sleep(wait / _MICRO)

    def _drop_spent(self, now: int, interval: int, *, late: int) -> None:
        """Forget held intervals with no moment left: the schedule's next moment no longer fits in one
        (its interval would run past the end), or it is more than ``late`` past its last moment. A
        thread that woke later than the slack there would send less than an interval less the slack
        before the next grant's first moment, which may be another process's: that process's second
        on the grid would then hold one send more than the account's rate, so it waits for its next
        grant instead. The moment of a grant just drawn for this send may be up to half an interval
        old (the table write's round trip)."""
        while self._held:
            start, end = self._held[0]
            if max(self._next, start) + interval <= end and now <= end - interval + late:
                return
            self._held.pop(0)

    def _left(self, at: int, interval: int) -> int:
        """Moments held from ``at`` on (each with its whole interval inside what is held)."""
        total = 0
        for start, end in self._held:
            first = max(at, start)
            if end > first:
                total += (end - first) // interval
        return total

    def _draw(self, *, blocking: bool) -> bool:
        """One grant from the shared item, appended to what is held. The table is written outside the
        moments' lock (other threads go on sending what is held), one draw at a time; ``blocking``
        False: not if another thread is drawing. True if this call drew or waited for a draw."""
        if not self._draw_lock.acquire(blocking=blocking):
            return False
        try:
            with self._lock:
                now = self._now_us()
                interval = self.interval_us()
                if self._held and self._left(max(self._next, now), interval) > PREFETCH_MOMENTS:
                    return True  # another thread drew meanwhile
                busy = self._last_end > 0 and now - self._last_end <= IDLE_RESET_SECONDS * _MICRO
            # A lone email (the outbox) takes one moment; a sender that keeps sending takes a second
            # of them at a time (a run gives back what it did not use when it ends).
            start, end = self._grant(self.max_batch() if busy else 1, now)
            with self._lock:
                if self._held and self._held[-1][1] == start:
                    self._held[-1][1] = end  # contiguous with what we hold: one interval
                else:
                    self._held.append([start, end])
                self._last_end = end
            return True
        finally:
            self._draw_lock.release()

    def release(self) -> None:
        """Give back the unused end of what this process holds, if nobody has drawn after it."""
        with self._draw_lock, self._lock:
            now = self._now_us()
            keep = max(self._next, now)
            ours = self._held[-1][1] if self._held else 0
            self._held = []
            self._next = 0
            if ours <= keep or self._seen != ours:
                return
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=key(BUDGET_PK, BUDGET_SK),
                    UpdateExpression="SET #next = :keep",
                    ConditionExpression="#next = :ours",
                    ExpressionAttributeNames={"#next": "next_us"},
                    ExpressionAttributeValues={":keep": {"N": str(keep)}, ":ours": {"N": str(ours)}},
                )
                self._seen = keep
                self._last_end = keep
            except self.client.exceptions.ConditionalCheckFailedException:
                self._seen = None  # someone drew after us: what we held runs out unused
            except Exception as exc:  # deliberate: giving back is a courtesy; the moments just pass unused
                log.warning("send budget could not give back error=%s", type(exc).__name__)

    def _now_us(self) -> int:
        return int(self.clock() * _MICRO)

    def _grant(self, n: int, now: int) -> tuple[int, int]:
        """Take ``n`` moments from the shared item: (start, end) in microseconds."""
        rate = self.rate
        length = n * self.interval_us()
        for attempt in range(GRANT_TRIES):
            seen = self._seen
            start = max(seen or 0, now)
            end = start + length
            values: dict[str, Any] = {
                ":end": {"N": str(end)},
                ":rate": {"N": str(round(rate.per_second * 1000))},
            }
            sets = "#next = :end, #rate = :rate"
            if rate.source == "ses" and rate.account is not None:
                values[":account"] = {"N": str(round(rate.account * 1000))}
                sets += ", #account = :account"
            names = {"#next": "next_us", "#rate": "rate_milli"}
            if rate.source == "ses":
                names["#account"] = "account_milli"
            if seen is None and not self._item_known:
                condition = "attribute_not_exists(pk)"
            elif seen is None:
                condition = "attribute_not_exists(#next)"
            else:
                condition = "#next = :seen"
                values[":seen"] = {"N": str(seen)}
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=key(BUDGET_PK, BUDGET_SK),
                    UpdateExpression="SET " + sets,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self.client.exceptions.ConditionalCheckFailedException as exc:
                self.conflicts += 1
                self._learn(exc.response.get("Item"))
                log.debug("send budget conflict attempt=%d seen=%s", attempt, self._seen)
                if attempt:
                    time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311 (spreading retries; never a send moment)
                continue
            except Exception as exc:
                log.error("send budget unavailable error=%s", type(exc).__name__)
                raise BudgetUnavailable(type(exc).__name__) from exc
            self._seen = end
            self._item_known = True
            self.grants += 1
            self.granted.append((start, end))
            return start, end
        log.error("send budget unavailable: contention tries=%d", GRANT_TRIES)
        raise BudgetUnavailable("contention")

    def _learn(self, item: dict[str, Any] | None) -> None:
        """The item as a failed conditional write saw it (or read now, if the engine did not say)."""
        if item is None:
            resp = self.client.get_item(TableName=self.table, Key=key(BUDGET_PK, BUDGET_SK), ConsistentRead=True)
            item = resp.get("Item")
        self._item_known = item is not None
        raw = (item or {}).get("next_us", {}).get("N")
        self._seen = int(raw) if raw is not None else None


def stored_account_rate(client: Any, table: str) -> float | None:
    """The account rate a process read from SES and stored on the budget item (None: never)."""
    resp = client.get_item(TableName=table, Key=key(BUDGET_PK, BUDGET_SK), ConsistentRead=True)
    raw = resp.get("Item", {}).get("account_milli", {}).get("N")
    return int(raw) / 1000 if raw is not None else None
