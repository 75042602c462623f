"""The send-rate limiter shared by a run's workers (monotonic time, injected)."""

from __future__ import annotations

from chalicelib.distribution.sending import RateLimiter


def test_rate_limiter_holds_the_configured_rate() -> None:
    clock = [0.0]
    limiter = RateLimiter(14.0, monotonic=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    for _ in range(141):
        limiter.acquire()
    assert abs(clock[0] - 10.0) < 1e-6  # 141 sends = the first at 0 s, then 140 at 1/14 s apart


def test_rate_limiter_does_not_wait_when_sends_are_slow() -> None:
    clock = [0.0]
    slept: list[float] = []
    limiter = RateLimiter(14.0, monotonic=lambda: clock[0], sleep=slept.append)
    for _ in range(5):
        limiter.acquire()
        clock[0] += 1.0  # each send takes a second: far below the limit
    assert slept == []
