"""An SES v2 stand-in with SES's latency and its maximum send rate.

It does what chalicelib.mail.backends.SesMailer does before the network (builds the MIME message),
then counts the request as it arrives, as SES does (its rate limit counts requests on arrival, before
its own processing): it is refused if accepting it would exceed ``rate`` messages in any ``window``
seconds (a strict sliding window: no burst allowance, stricter than SES, which tolerates short
bursts). Then it waits like a SendEmail round trip (uniform 60-120 ms by default) and answers: a
throttling SendError, or the message id. The one-way trip to SES inside a region (a millisecond or
two on a kept-alive connection) is left out of the arrival; the jitter between a sender's moment and
the arrival is the sender's own (building the message, its threads waking). Every accepted message
is recorded with its recipient and arrival time, to count duplicates and the achieved rate.

Before 2026-12-06 it counted half-way through the round trip (30-60 ms after the call), which added
30 ms of random jitter to every arrival: the budget's evenly spaced moments then arrived bunched, and
15 could land in one second at a budget just under 14/s (6.6% of attempts throttled at 14/s).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.mail.backends import SendError
from chalicelib.mail.message import OutgoingEmail, to_mime


@dataclass(frozen=True)
class Accepted:
    at: float
    to: str
    kind: str


class RateLimitedSes:
    def __init__(
        self,
        rate: float = 14.0,
        latency: tuple[float, float] = (0.060, 0.120),
        window: float = 1.0,
        seed: int = 7,
        sender: str = "MBC Connect <connect@example.org>",
    ) -> None:
        self.capacity = max(1, round(rate * window))
        self.window = window
        self.latency = latency
        self.random = random.Random(seed)  # noqa: S311 (latency jitter, not security)
        self.sender = sender
        self.lock = threading.Lock()
        self.recent: deque[float] = deque()
        self.accepted: list[Accepted] = []
        self.throttled = 0
        self.ids = itertools.count(1)

    def send(self, mail: OutgoingEmail) -> str:
        return self.prepare(mail)()

    def prepare(self, mail: OutgoingEmail) -> Callable[[], str]:
        """As ``SesMailer.prepare``: the MIME message built now, the request made when called."""
        to_mime(mail, self.sender, None).as_bytes()  # SesMailer's own work before the call
        return lambda: self._arrive(mail)

    def _arrive(self, mail: OutgoingEmail) -> str:
        message_id = ""
        with self.lock:
            delay = self.random.uniform(*self.latency)
            now = time.monotonic()
            while self.recent and self.recent[0] <= now - self.window:
                self.recent.popleft()
            if len(self.recent) >= self.capacity:
                self.throttled += 1
                refused = True
            else:
                refused = False
                self.recent.append(now)
                self.accepted.append(Accepted(now, mail.to, mail.tags.get("kind", "")))
                message_id = f"ses-{next(self.ids)}"
        time.sleep(delay)
        if refused:
            raise SendError("throttled", "TooManyRequestsException")  # "Maximum sending rate exceeded."
        return message_id

    # ------------------------------------------------------------------ what it saw

    def per_recipient(self) -> Counter[str]:
        return Counter(a.to for a in self.accepted)

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.per_recipient().values() if n > 1)

    def max_in_window(self) -> int:
        """The most messages accepted in any ``window`` (never above the capacity, by construction)."""
        times = sorted(a.at for a in self.accepted)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while times[lo] <= t - self.window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def steady_rate(self, skip: float = 0.05) -> float:
        """Accepted messages per second between the first and last accepted ones (trimming ``skip`` of
        each end, where the run starts up and drains)."""
        times = sorted(a.at for a in self.accepted)
        if len(times) < 3:
            return float("nan")
        cut = int(len(times) * skip)
        core = times[cut : len(times) - cut] if len(times) - 2 * cut >= 2 else times
        return (len(core) - 1) / (core[-1] - core[0]) if core[-1] > core[0] else float("nan")
