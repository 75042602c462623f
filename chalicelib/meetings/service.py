"""Meetings of a group: upcoming occurrences with overrides applied, and organizers' overrides."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.errors import Invalid, NotFound, StaleVersion, validate_model
from chalicelib.groups.records import GroupRecord
from chalicelib.groups.service import GroupService, not_silently
from chalicelib.meetings.meeting import (
    MOVE_WINDOW,
    Meeting,
    apply_override,
    in_window,
    move_problem,
    parse_day,
    upcoming,
)
from chalicelib.meetings.records import MeetingStatus
from chalicelib.meetings.schedule import Schedule
from chalicelib.meetings.storage import OverrideChanged, OverrideRepository

log = logging.getLogger("mbc.meetings")


def schedule_of(group: GroupRecord) -> Schedule:
    """The group's schedule (one ``Schedule`` per stored schedule: a warm process reads the same few)."""
    stored = group["schedule"]
    try:
        return _schedule(tuple(sorted(stored.items())))
    except TypeError:  # a value that cannot be hashed (never stored by this app): build it afresh
        return Schedule.from_dict(dict(stored))


@functools.lru_cache(maxsize=64)
def _schedule(items: tuple[tuple[str, Any], ...]) -> Schedule:
    return Schedule.from_dict(dict(items))


# The last date an override can have (parse_day's edge of the calendar).
LAST_DAY = "2100-12-31"

# How often an override is read and written again when another organizer changed it meanwhile.
OVERRIDE_TRIES = 5

# (group_id, scheduled date) -> how many members were already told something about that meeting.
ToldCount = Callable[[str, str], int]


class MeetingService:
    def __init__(
        self,
        groups: GroupService,
        overrides: OverrideRepository,
        clock: Clock,
        *,
        told_count: ToldCount | None = None,
        on_changed: Callable[[GroupRecord], object] | None = None,
    ) -> None:
        self.groups = groups
        self.overrides = overrides
        self.clock = clock
        self.told_count = told_count
        # After an occurrence changes (personal links open at the meeting's time as it stands).
        self.on_changed = on_changed

    def upcoming(self, group: GroupRecord, *, count: int = 1, now: datetime | None = None) -> list[Meeting]:
        """The next ``count`` meetings that have not ended (cancelled ones included)."""
        return upcoming(
            schedule_of(group),
            lambda a, b: self.overrides.between(group["id"], from_date=a, to_date=b),
            now=now or self.clock.now(),
            count=count,
            base_sequence=group.get("schedule_rev", 0),
        )

    def in_window(self, group: GroupRecord, *, now: datetime, until: datetime) -> list[Meeting]:
        """Meetings not ended at ``now`` that start by ``until``, overrides applied (one Query)."""
        return in_window(
            schedule_of(group),
            lambda a, b: self.overrides.between(group["id"], from_date=a, to_date=b),
            now=now,
            until=until,
            base_sequence=group.get("schedule_rev", 0),
        )

    def told_early(self, group: GroupRecord, *, now: datetime, after: datetime) -> list[Meeting]:
        """Meetings starting after ``after`` (beyond a planning window) that an organizer asked to
        announce now (a cancellation months ahead, told at once): one Query of the overrides ahead."""
        return [
            m for m in self.changed_after(group, after=after) if m.announce_from is not None and m.announce_from <= now
        ]

    def changed_after(self, group: GroupRecord, *, after: datetime) -> list[Meeting]:
        """Meetings starting after ``after`` that an override cancels or moves (or annotates), however
        far ahead, in start order: one Query of the overrides ahead."""
        schedule = schedule_of(group)
        first = (after - MOVE_WINDOW).astimezone(schedule.zone).date().isoformat()
        out = []
        for day, override in self.overrides.between(group["id"], from_date=first, to_date=LAST_DAY).items():
            if override.get("status") == "scheduled" and not override.get("note"):
                continue  # an override taken back
            parsed = parse_day(day)
            scheduled = schedule.start_on(parsed) if parsed is not None else None
            if scheduled is None:
                continue  # a date the schedule no longer has (the planner's dropped dates)
            meeting = apply_override(schedule, scheduled, override, base_sequence=group.get("schedule_rev", 0))
            if meeting.starts_at > after:
                out.append(meeting)
        return sorted(out, key=lambda m: m.starts_at)

    def in_month(self, group: GroupRecord, year: int, month: int) -> list[Meeting]:
        """Every meeting the schedule generates in one local calendar month, overrides applied
        (cancelled ones included), in scheduled order: any month, however far ahead."""
        schedule = schedule_of(group)
        zone = schedule.zone
        begin = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone) - timedelta(microseconds=1)
        starts = schedule.starts_between(begin, end)
        if not starts:
            return []
        overrides = self.overrides.between(
            group["id"], from_date=starts[0].date().isoformat(), to_date=starts[-1].date().isoformat()
        )
        base = group.get("schedule_rev", 0)
        return [apply_override(schedule, s, overrides.get(s.date().isoformat()), base_sequence=base) for s in starts]

    def upcoming_for(self, group_id: str, *, count: int) -> list[Meeting]:
        return self.upcoming(self.groups.get(group_id), count=count)

    def next_meeting(self, group: GroupRecord, *, now: datetime | None = None) -> Meeting | None:
        """The next meeting that will take place (cancelled ones skipped)."""
        for meeting in self.upcoming(group, count=6, now=now):
            if meeting.status != "cancelled":
                return meeting
        return None

    def meeting_on(self, group: GroupRecord, day_text: str) -> Meeting:
        """The meeting scheduled on a local date, overrides applied; NotFound if the rule has none that day."""
        schedule = schedule_of(group)
        day = parse_day(day_text)
        scheduled = schedule.start_on(day) if day else None
        if scheduled is None:
            raise NotFound("meeting", "No meeting on that date (use the scheduled date, YYYY-MM-DD).")
        override = self.overrides.get(group["id"], day_text)
        return apply_override(schedule, scheduled, override, base_sequence=group.get("schedule_rev", 0))

    def _check_notify(self, group_id: str, day_text: str, notify: bool) -> None:
        if not notify and self.told_count is not None:
            told = self.told_count(group_id, day_text)
            if told:
                raise not_silently(told, "this meeting")

    def put_override(self, group_id: str, day_text: str, body: Any, *, organizer_id: str) -> Meeting:
        """Cancel, move or annotate one occurrence. Without ``status`` and ``starts_at`` (a note
        only), a move or cancellation in effect stays as it is.

        Read, decide, then write only if the occurrence is still as read (its revision): a note saved
        while another organizer cancels keeps the cancellation (the read is taken again and the
        decision made again), never puts the meeting back on."""
        from chalicelib.meetings.models import MeetingOverrideInput

        group = self.groups.get(group_id)
        scheduled = self.meeting_on(group, day_text).scheduled_starts_at
        data = validate_model(MeetingOverrideInput, body)
        for _ in range(OVERRIDE_TRIES):
            previous = self.overrides.get(group_id, day_text)
            status: MeetingStatus
            starts_at: str | None
            if data.status is None and data.starts_at is None and previous is not None:
                status, starts_at = previous["status"], previous["starts_at"]
            else:
                status = data.status or ("moved" if data.starts_at else "scheduled")
                starts_at = data.starts_at.astimezone(UTC).isoformat() if data.starts_at else None
            if status == "moved" and starts_at is None:
                raise Invalid(fields={"starts_at": "Required to move a meeting."})
            if status != "moved" and data.starts_at is not None:
                raise Invalid(fields={"starts_at": "Only a moved meeting takes a new start."})
            problem = (
                move_problem(scheduled, data.starts_at, now=self.clock.now()) if data.starts_at is not None else None
            )
            if problem:
                raise Invalid(fields={"starts_at": problem})
            if data.tell_now and not data.notify:
                raise Invalid(fields={"tell_now": "Only with notify (a change told now is told)."})
            # Told now (the organizer asked), or as before (an edit keeps an announcement going).
            announce_from = (
                self.clock.now().isoformat()
                if data.tell_now
                else (previous.get("announce_from") if previous is not None else None)
            )
            self._check_notify(group_id, day_text, data.notify)
            try:
                override = self.overrides.put(
                    group_id,
                    day_text,
                    status=status,
                    starts_at=starts_at,
                    note=data.note,
                    updated_at=self.clock.now().isoformat(),
                    updated_by=organizer_id,
                    announce=data.notify,
                    seen_sequence=None if previous is None else int(previous.get("sequence", 0)),
                    announce_from=announce_from if status != "scheduled" else None,
                )
            except OverrideChanged:
                log.info("meeting override changed meanwhile group=%s date=%s: reading again", group_id, day_text)
                continue
            break
        else:
            raise StaleVersion("Another organizer is changing this meeting right now; look again and retry.")
        log.info("meeting override group=%s date=%s status=%s notify=%s", group_id, day_text, status, data.notify)
        if self.on_changed is not None:
            self.on_changed(group)
        return apply_override(schedule_of(group), scheduled, override, base_sequence=group.get("schedule_rev", 0))

    def delete_override(self, group_id: str, day_text: str, *, organizer_id: str, notify: bool = True) -> None:
        """Back to the schedule; the occurrence's revision still grows (SEQUENCE never goes back)."""
        group = self.groups.get(group_id)
        self.meeting_on(group, day_text)
        self._check_notify(group_id, day_text, notify)
        cleared = self.overrides.clear(
            group_id, day_text, updated_at=self.clock.now().isoformat(), updated_by=organizer_id, announce=notify
        )
        if not cleared:
            raise NotFound("override", "No override for that date.")
        log.info("meeting override removed group=%s date=%s notify=%s", group_id, day_text, notify)
        if self.on_changed is not None:
            self.on_changed(group)
