"""Meetings of a group: upcoming occurrences with overrides applied, and organizers' overrides."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import Clock
from chalicelib.errors import Invalid, NotFound, validate_model
from chalicelib.groups.records import GroupRecord
from chalicelib.groups.service import GroupService
from chalicelib.meetings.meeting import MOVE_WINDOW, Meeting, apply_override, parse_day, upcoming
from chalicelib.meetings.records import MeetingStatus, OverrideRecord
from chalicelib.meetings.schedule import Schedule
from chalicelib.meetings.storage import OverrideRepository

log = logging.getLogger("mbc.meetings")


def schedule_of(group: GroupRecord) -> Schedule:
    return Schedule.from_dict(dict(group["schedule"]))


class MeetingService:
    def __init__(self, groups: GroupService, overrides: OverrideRepository, clock: Clock) -> None:
        self.groups = groups
        self.overrides = overrides
        self.clock = clock

    def upcoming(self, group: GroupRecord, *, count: int = 1, now: datetime | None = None) -> list[Meeting]:
        """The next ``count`` meetings that have not ended (cancelled ones included)."""
        return upcoming(
            schedule_of(group),
            lambda a, b: self.overrides.between(group["id"], from_date=a, to_date=b),
            now=now or self.clock.now(),
            count=count,
        )

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
        return apply_override(schedule, scheduled, self.overrides.get(group["id"], day_text))

    def put_override(self, group_id: str, day_text: str, body: Any, *, organizer_id: str) -> Meeting:
        from chalicelib.meetings.models import MeetingOverrideInput

        group = self.groups.get(group_id)
        schedule = schedule_of(group)
        scheduled = self.meeting_on(group, day_text).scheduled_starts_at
        data = validate_model(MeetingOverrideInput, body)
        status: MeetingStatus = data.status or ("moved" if data.starts_at else "scheduled")
        if status == "moved" and data.starts_at is None:
            raise Invalid(fields={"starts_at": "Required to move a meeting."})
        if status != "moved" and data.starts_at is not None:
            raise Invalid(fields={"starts_at": "Only a moved meeting takes a new start."})
        if data.starts_at is not None and abs(data.starts_at - scheduled) > MOVE_WINDOW:
            raise Invalid(fields={"starts_at": "A meeting can move at most 31 days from its scheduled date."})
        previous = self.overrides.get(group_id, day_text)
        override: OverrideRecord = {
            "status": status,
            "starts_at": data.starts_at.astimezone(UTC).isoformat() if data.starts_at else None,
            "note": data.note,
            # Calendar apps update an event only when SEQUENCE grows.
            "sequence": (previous["sequence"] if previous else 0) + 1,
            "updated_at": self.clock.now().isoformat(),
            "updated_by": organizer_id,
        }
        self.overrides.put(group_id, day_text, override)
        log.info("meeting override group=%s date=%s status=%s", group_id, day_text, status)
        return apply_override(schedule, scheduled, override)

    def delete_override(self, group_id: str, day_text: str) -> None:
        self.groups.get(group_id)
        if parse_day(day_text) is None or not self.overrides.delete(group_id, day_text):
            raise NotFound("override", "No override for that date.")
        log.info("meeting override removed group=%s date=%s", group_id, day_text)
