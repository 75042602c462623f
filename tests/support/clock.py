"""The clock every test's container reads: fixed by default, so no test runs at today's date.

A test starts at ``DEFAULT_NOW`` (before the builders' first meeting, 2026-12-01) and moves the
clock with ``set`` and ``advance``. A test that really wants the wall clock asks for it with
``follow_real_time()``; none of the suite's tiers does (``make test`` runs the clock-sensitive
tiers again under a wall clock shifted years ahead and back to prove it: ``tests/shifted``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Friday 2026-11-20, 11:00 AM in Denver: eleven days before the builders' MEETING_DAY.
DEFAULT_NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


class TestClock:
    __test__ = False  # not a test class

    def __init__(self, start: datetime = DEFAULT_NOW) -> None:
        self.fixed: datetime | None = start.astimezone(UTC)

    def now(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC)  # real clock: only after follow_real_time()

    def set(self, moment: datetime) -> datetime:
        self.fixed = moment.astimezone(UTC)
        return self.fixed

    def advance(self, **delta: float) -> datetime:
        return self.set(self.now() + timedelta(**delta))

    def follow_real_time(self) -> None:
        """Opt in to the wall clock (no test of the suite needs it)."""
        self.fixed = None
