"""Meetings = the schedule's occurrences with organizers' per-date overrides applied.

An occurrence is identified by its *scheduled* local date (YYYY-MM-DD); an
override may cancel it, move it to another start, or add a note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.meetings.records import MeetingStatus, OverrideRecord
from chalicelib.meetings.schedule import Schedule

# How far an organizer may move a meeting from its scheduled date.
MOVE_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class Meeting:
    date: str
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus
    note: str | None
    scheduled_starts_at: datetime
    # Grows with every organizer change, so calendar apps replace their copy.
    sequence: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "status": self.status,
            "note": self.note,
        }


def apply_override(schedule: Schedule, scheduled: datetime, override: OverrideRecord | None) -> Meeting:
    day = scheduled.date().isoformat()
    start = scheduled
    status: MeetingStatus = "scheduled"
    note = None
    if override:
        note = override.get("note")
        status = override.get("status", "scheduled")
        moved_to = override.get("starts_at")
        if status == "moved" and moved_to:
            start = datetime.fromisoformat(moved_to).astimezone(schedule.zone)
    sequence = int(override.get("sequence", 0)) if override else 0
    return Meeting(day, start, start + schedule.duration, status, note, scheduled, sequence)


def upcoming(
    schedule: Schedule,
    overrides_for: Callable[[str, str], dict[str, OverrideRecord]],
    *,
    now: datetime,
    count: int,
) -> list[Meeting]:
    """The next ``count`` meetings that have not ended yet (moved ones by their new time).

    A meeting may be moved up to MOVE_WINDOW from its scheduled date, in either direction, so
    scheduled starts that far back and ahead are considered. ``overrides_for(from_date,
    to_date)`` returns overrides keyed by date: it is called once, for the whole window.
    """
    back = schedule.starts_between(now - MOVE_WINDOW - schedule.duration, now)
    ahead = schedule.starts_between(now, now + MOVE_WINDOW) + schedule.starts_after(now, count + 2)
    starts = sorted(set(back + ahead))
    if not starts:
        return []
    overrides = overrides_for(starts[0].date().isoformat(), starts[-1].date().isoformat())
    meetings = [apply_override(schedule, s, overrides.get(s.date().isoformat())) for s in starts]
    live = sorted((m for m in meetings if m.ends_at > now), key=lambda m: m.starts_at)
    return live[:count]


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None
