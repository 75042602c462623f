"""What each active member is due now: the rule that decides when a reminder or a notice is sent.

- A reminder goes at each lead time before the meeting (``reminder_leads_minutes``): the
  shortest lead whose send time has come, until the meeting ends. A member who joins late gets
  that one (the link), not every earlier reminder.
- A cancelled meeting: a cancellation notice to every member who was reminded.
- A moved meeting: a move notice to every member who was reminded of another start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.distribution.ledger import DeliveryRepository
from chalicelib.distribution.records import DeliveryRow, MessageType
from chalicelib.groups.records import GroupRecord
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.service import MeetingService
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.service import SignupService

# How many upcoming meetings a run looks at.
MEETINGS_AHEAD = 3


@dataclass(frozen=True)
class Message:
    """One message the ledger keeps exactly once per meeting and member."""

    type: MessageType
    lead_minutes: int | None = None
    moved_to: datetime | None = None

    @property
    def key(self) -> str:
        if self.type == "reminder":
            return f"r{self.lead_minutes}"
        if self.type == "moved":
            assert self.moved_to is not None
            return "moved-" + self.moved_to.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
        return "cancelled"


def reminder(lead: int) -> Message:
    return Message("reminder", lead_minutes=lead)


@dataclass(frozen=True)
class Task:
    group: GroupRecord
    meeting: Meeting
    member: SignupRecord
    message: Message


def current_lead(leads: list[int], meeting: Meeting, now: datetime) -> int | None:
    """The reminder due now: the shortest lead whose send time has come, until the meeting ends."""
    if meeting.status == "cancelled" or now >= meeting.ends_at:
        return None
    due = [lead for lead in leads if meeting.starts_at.timestamp() - lead * 60 <= now.timestamp()]
    return min(due) if due else None


def _task_for(
    group: GroupRecord, meeting: Meeting, member: SignupRecord, rows: dict[str, DeliveryRow], lead: int | None
) -> Task | None:
    reminded = [r for r in rows.values() if r["message"] in ("reminder", "moved") and r["status"] == "sent"]
    if meeting.status == "cancelled":
        if reminded and "cancelled" not in rows:
            return Task(group, meeting, member, Message("cancelled"))
        return None
    if meeting.status == "moved":
        notice = Message("moved", moved_to=meeting.starts_at)
        new_start = meeting.starts_at.astimezone(UTC).isoformat()
        if notice.key not in rows and any(r["for_start"] != new_start for r in reminded):
            return Task(group, meeting, member, notice)
    if lead is not None and reminder(lead).key not in rows:
        return Task(group, meeting, member, reminder(lead))
    return None


class Planner:
    def __init__(self, *, meetings: MeetingService, signups: SignupService, ledger: DeliveryRepository) -> None:
        self.meetings = meetings
        self.signups = signups
        self.ledger = ledger

    def plan(
        self, group: GroupRecord, *, now: datetime, lease_now: float, only_member: str | None = None
    ) -> list[Task]:
        """Tasks due at ``now``. ``lease_now`` (wall-clock seconds) tells live claims from dead ones."""
        if group["status"] != "active":
            return []
        meetings = self.meetings.upcoming(group, count=MEETINGS_AHEAD, now=now)
        leads = [int(x) for x in group["reminder_leads_minutes"]]
        members: list[SignupRecord] | None = None
        tasks: list[Task] = []
        for meeting in meetings:
            lead = current_lead(leads, meeting, now)
            needs_notice = meeting.status in ("cancelled", "moved") and now < meeting.ends_at
            if lead is None and not needs_notice:
                continue
            if members is None:
                members = self._members(group["id"], only_member)
            done: dict[str, dict[str, DeliveryRow]] = {}
            for row in self.ledger.rows(group["id"], meeting.date):
                if row["status"] == "claimed" and row.get("lease_until", 0) < lease_now:
                    continue  # its run died: the slot is free to take over
                done.setdefault(row["signup_id"], {})[row["kind"]] = row
            for member in members:
                task = _task_for(group, meeting, member, done.get(member["id"], {}), lead)
                if task:
                    tasks.append(task)
        return tasks

    def _members(self, group_id: str, only_member: str | None) -> list[SignupRecord]:
        if only_member:  # a late joiner: read the record itself (the index may lag)
            record = self.signups.get(group_id, only_member)
            return [record] if record and record["status"] == "active" else []
        return list(self.signups.members(group_id, status="active"))
