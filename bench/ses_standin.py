"""An SES v2 stand-in with SES's latency and its maximum send rate.

It does what chalicelib.mail.backends.SesMailer does before the network (builds the MIME message),
then waits like a SendEmail round trip (uniform 60-120 ms by default) and, half-way through (when
SES would count the request), refuses with a throttling SendError if accepting would exceed
``rate`` messages in any ``window`` seconds (a strict sliding window: no burst allowance). Every
accepted message is recorded with its recipient and time, to count duplicates and the achieved rate.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter, deque
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
        to_mime(mail, self.sender, None).as_bytes()  # SesMailer's own work before the call
        with self.lock:
            delay = self.random.uniform(*self.latency)
        time.sleep(delay / 2)
        message_id = ""
        with self.lock:
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
        time.sleep(delay / 2)
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
