"""The one clock every service reads for "now".

Production uses ``SystemClock``; tests and ``reminders run --now`` build the container with a
``FixedClock`` (chalicelib/container.py). Leases of the delivery ledger are a different
measure (wall-clock seconds shared by processes) and are named as such where they are used.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told; ``advance`` moves it forward.

    A plain class, not a dataclass: this module is imported by every cold start, which should not
    pay for generating methods of a clock only tests and ``reminders run --now`` use (issue 23)."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.moment = moment.astimezone(UTC)

    def __repr__(self) -> str:
        return f"FixedClock(moment={self.moment!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FixedClock) and other.moment == self.moment

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Sortable fixed-width UTC instant used in keys: 2026-12-01T23:00:00Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
