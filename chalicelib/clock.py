"""The one clock the services read (tests and `reminders run --now` pass their own moment)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(value: datetime) -> str:
    """Sortable fixed-width UTC instant used in keys: 2026-12-01T23:00:00Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
