"""Stand-ins at the edges (never for the code under test): an SES-like mailer."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from typing import Any

from chalicelib.mail.backends import SendError
from chalicelib.mail.message import OutgoingEmail


class Crash(BaseException):
    """Simulates the Lambda process dying (not an Exception: nothing in the run may catch it)."""


class FakeSes:
    """Thread-safe SES stand-in: records what it accepted; can throttle, reject, refuse or crash."""

    def __init__(
        self,
        throttle_rate: float = 0.0,
        latency: float = 0.0,
        seed: int = 7,
        reject: set[str] | None = None,
        account_error_after: int | None = None,
        crash_after: int | None = None,
        crash_before_accept: bool = False,
    ) -> None:
        self.throttle_rate = throttle_rate
        self.latency = latency
        self.random = random.Random(seed)
        self.reject = reject or set()
        self.account_error_after = account_error_after
        self.crash_after = crash_after
        self.crash_before_accept = crash_before_accept
        self.accepted: list[OutgoingEmail] = []
        self.throttled = 0
        self.lock = threading.Lock()
        self.ids = itertools.count(1)

    def send(self, mail: OutgoingEmail) -> str:
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            if self.crash_after is not None and len(self.accepted) >= self.crash_after:
                if not self.crash_before_accept:
                    self.accepted.append(mail)  # SES took it; the ledger never hears of it
                raise Crash()
            if self.account_error_after is not None and len(self.accepted) >= self.account_error_after:
                raise SendError("account", "SendingPausedException")
            if mail.to in self.reject:
                raise SendError("rejected", "MessageRejected")
            if self.random.random() < self.throttle_rate:
                self.throttled += 1
                raise SendError("throttled", "TooManyRequestsException")
            self.accepted.append(mail)
            return f"ses-{next(self.ids)}"

    def per_recipient(self, **filters: Any) -> Counter[str]:
        return Counter(m.to for m in self.accepted if all(m.tags.get(k) == v for k, v in filters.items()))
