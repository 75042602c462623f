"""A clock tests can hold still: it follows real time until ``set`` (then ``advance`` moves it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class TestClock:
    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def now(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC)

    def set(self, moment: datetime) -> datetime:
        self.fixed = moment.astimezone(UTC)
        return self.fixed

    def advance(self, **delta: float) -> datetime:
        return self.set(self.now() + timedelta(**delta))

    def release(self) -> None:
        self.fixed = None
