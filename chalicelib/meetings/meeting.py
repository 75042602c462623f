"""Meetings = the schedule's occurrences with organizers' per-date overrides applied.

An occurrence is identified by its *scheduled* local date (YYYY-MM-DD); an
override may cancel it, move it to another start, or add a note.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.meetings.records import MeetingStatus, OverrideRecord
from chalicelib.meetings.schedule import Schedule
from chalicelib.memo import keep

# How far an organizer may move a meeting from its scheduled date.
MOVE_WINDOW = timedelta(days=31)
MOVE_REFUSAL = "A meeting can move at most 31 days from its scheduled date."
PAST_REFUSAL = "Choose a time that has not passed."


def move_problem(scheduled: datetime, starts_at: datetime, *, now: datetime) -> str | None:
    """Why a meeting scheduled at ``scheduled`` cannot move to ``starts_at`` (None: it can). The one
    check: saving refuses with it, and so does the console's preview. A time already passed would
    take the meeting out of every member's upcoming list without a word."""
    if abs(starts_at - scheduled) > MOVE_WINDOW:
        return MOVE_REFUSAL
    return PAST_REFUSAL if starts_at <= now else None


@dataclass(frozen=True)
class Meeting:
    date: str
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus
    note: str | None
    scheduled_starts_at: datetime
    # The calendar SEQUENCE of this occurrence: the group's schedule revision plus the
    # occurrence's own; both only grow, so every change of schedule, link or override grows it.
    sequence: int = 0
    # False while a change made with notify=false stands (see OverrideRecord.announce).
    announce: bool = True
    # A date members were told about that the group's schedule no longer generates (the
    # distribution's planner builds these from its ledger): cancelled, for those told only.
    dropped: bool = False
    # The organizer asked to tell members now: announced from this instant (see OverrideRecord).
    announce_from: datetime | None = None

    def public(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "status": self.status,
            "note": self.note,
        }


def apply_override(
    schedule: Schedule, scheduled: datetime, override: OverrideRecord | None, *, base_sequence: int = 0
) -> Meeting:
    day = scheduled.date().isoformat()
    start = scheduled
    status: MeetingStatus = "scheduled"
    note = None
    sequence = base_sequence
    announce = True
    announce_from = None
    if override:
        note = override.get("note")
        status = override.get("status", "scheduled")
        moved_to = override.get("starts_at")
        if status == "moved" and moved_to:
            start = datetime.fromisoformat(moved_to).astimezone(schedule.zone)
        sequence += int(override.get("sequence", 0))
        announce = bool(override.get("announce", True))
        told_from = override.get("announce_from")
        announce_from = datetime.fromisoformat(told_from) if told_from else None
    return Meeting(
        day, start, schedule.end_of(start), status, note, scheduled, sequence, announce, announce_from=announce_from
    )


OverridesFor = Callable[[str, str], dict[str, OverrideRecord]]

# The meetings of a window, in start order, for the last windows asked (a warm process answers the
# same group's page again and again): keyed on the schedule, the scheduled starts, the base sequence
# and the overrides as read (their exact contents, pickled), with each meeting's end as a POSIX
# timestamp (the filter by "not ended yet" then compares floats: distinct instants a microsecond
# apart stay distinct at these magnitudes). Meetings are frozen: sharing is safe.
_APPLIED_KEPT = 256
_applied: dict[tuple[Any, ...], tuple[object, tuple[Meeting, ...], tuple[float, ...]]] = {}


def _with_overrides(
    schedule: Schedule, starts: list[datetime], overrides_for: OverridesFor, base_sequence: int, *, kept: bool = False
) -> tuple[tuple[Meeting, ...], tuple[float, ...]]:
    """The meetings at ``starts`` with their overrides applied, in start order (moved ones by their
    new time), and their ends as timestamps; ``overrides_for`` is called once, for the whole window
    (it reads storage every time). ``kept``: ``starts`` is ``candidate_starts``'s kept list, known by
    its identity (the memo holds it, so no other list can take that identity meanwhile)."""
    if not starts:
        return (), ()
    overrides = overrides_for(starts[0].date().isoformat(), starts[-1].date().isoformat())
    read = pickle.dumps(overrides, protocol=pickle.HIGHEST_PROTOCOL) if overrides else b""
    key = (schedule, ("list", id(starts)) if kept else tuple(starts), base_sequence, read)
    found = _applied.get(key)
    if found is None or (kept and found[0] is not starts):
        applied = (
            apply_override(schedule, s, overrides.get(s.date().isoformat()), base_sequence=base_sequence)
            for s in starts
        )
        meetings = tuple(sorted(applied, key=lambda m: m.starts_at))
        found = (starts, meetings, tuple(m.ends_at.timestamp() for m in meetings))
        keep(_applied, key, found, limit=_APPLIED_KEPT)  # the oldest goes first
    return found[1], found[2]


def in_window(
    schedule: Schedule, overrides_for: OverridesFor, *, now: datetime, until: datetime, base_sequence: int = 0
) -> list[Meeting]:
    """Meetings that have not ended at ``now`` and start by ``until`` by their new time or their
    scheduled one (a meeting moved later is in the window while members still expect it at its
    scheduled time), in start order. ``overrides_for`` is called once, for the whole window."""
    starts = schedule.starts_between(now - MOVE_WINDOW - schedule.duration, until + MOVE_WINDOW)
    meetings, _ = _with_overrides(schedule, starts, overrides_for, base_sequence)
    return [m for m in meetings if m.ends_at > now and min(m.starts_at, m.scheduled_starts_at) <= until]


def upcoming(
    schedule: Schedule,
    overrides_for: OverridesFor,
    *,
    now: datetime,
    count: int,
    base_sequence: int = 0,
) -> list[Meeting]:
    """The next ``count`` meetings that have not ended yet (moved ones by their new time).

    A meeting may be moved up to MOVE_WINDOW from its scheduled date, in either direction, so
    scheduled starts that far back and ahead are considered. ``overrides_for(from_date,
    to_date)`` returns overrides keyed by date: it is called once, for the whole window.
    """
    starts = candidate_starts(schedule, now, count)
    meetings, ends = _with_overrides(schedule, starts, overrides_for, base_sequence, kept=now.tzinfo is UTC)
    moment = now.timestamp()
    return [m for m, end in zip(meetings, ends, strict=True) if end > moment][:count]


# ``candidate_starts`` of the last schedules asked, each with the span of instants it holds for.
_STARTS_KEPT = 64
_starts: dict[tuple[Schedule, int], tuple[datetime, datetime | None, list[datetime]]] = {}


def candidate_starts(schedule: Schedule, now: datetime, count: int) -> list[datetime]:
    """The scheduled starts ``upcoming`` looks at, in order: every start within MOVE_WINDOW (and the
    meeting's length) before ``now``, every start up to MOVE_WINDOW after it, and the next
    ``count`` + 2 starts after it. The set changes only at a few instants (``_unchanged_until``),
    so for a UTC ``now`` (the clock's) it is kept with the span it holds for: a warm process
    answering request after request computes it about once a meeting. Treat it as read-only."""
    key = (schedule, count)
    kept = _starts.get(key) if now.tzinfo is UTC else None
    if kept is not None and kept[0] <= now and (kept[1] is None or now < kept[1]):
        return kept[2]
    back = schedule.starts_between(now - MOVE_WINDOW - schedule.duration, now)
    ahead = schedule.starts_between(now, now + MOVE_WINDOW) + schedule.starts_after(now, count + 2)
    starts = sorted(set(back + ahead))
    if now.tzinfo is UTC:
        span = (now, _unchanged_until(schedule, now, starts), starts)
        keep(_starts, key, span, limit=_STARTS_KEPT)  # the oldest goes first
    return starts


def _unchanged_until(schedule: Schedule, now: datetime, starts: list[datetime]) -> datetime | None:
    """The first instant after ``now`` (UTC) at which ``candidate_starts`` could give another set
    (None: never): when the earliest start leaves the window behind (MOVE_WINDOW and the meeting's
    length after it), when ``now`` reaches the next start after it (the next ``count`` + 2 move on
    by one), or when the window ahead reaches the first start beyond the set. A start entering the
    window behind was in the set already (the next one, or within the window ahead). Sums in UTC:
    the window is real time."""
    bounds: list[datetime] = []
    if starts:
        bounds.append(starts[0].astimezone(UTC) + MOVE_WINDOW + schedule.duration + timedelta(microseconds=1))
    following = next((s for s in starts if s > now), None)
    if following is not None:
        bounds.append(following.astimezone(UTC))
    beyond = schedule.starts_after(starts[-1] if starts else now, 1)
    if beyond:
        bounds.append(beyond[0].astimezone(UTC) - MOVE_WINDOW)
    return min(bounds) if bounds else None


def parse_day(value: str) -> date | None:
    """A YYYY-MM-DD date within the years 2000 to 2100 (the edges of the calendar overflow), or None."""
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None
    return day if day is not None and 2000 <= day.year <= 2100 else None
