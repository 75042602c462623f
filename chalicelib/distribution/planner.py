"""What each active member is due now: the rule that decides when a reminder or a notice goes.

For every meeting within the planning horizon and every active member, the planner compares the
truth (``truth.truth_of``: the meeting as it stands now) with what the member was last told (the
last delivered message in the ledger, ``truth.last_told``):

- **Reminder** at each lead time before the meeting (``reminder_leads_minutes``): the shortest lead
  whose send time has come, until the meeting ends, once per lead. It says the truth as it stands
  (and, when that differs from what the member was told, what changed). A member who joins late
  gets the reminder due now (the link), not every earlier one.
- **Change notice** when what the member was told is no longer true (time, cancellation, join
  details), however many edits happened in between and however they were made: one notice per
  revision of the meeting (key ``n<sequence>``), nothing when the truth is back to what they were told.
- **Cancellation** to every active member once the cancelled meeting is within the group's
  announcement horizon (``announce_days``), whether or not they had a reminder; a member who was
  never told anything expects the meeting the schedule promises. Likewise a meeting moved away from
  its scheduled time is announced to everyone within the horizon. **Back on** if it is un-cancelled
  after they were told.
- Nothing while a message to that member about that meeting is in flight (a live claim): the next
  run compares again, so messages to one person never cross.

The planning horizon is the largest lead time or the announcement horizon, whichever is longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.distribution.ledger import DeliveryRepository
from chalicelib.distribution.records import DeliveryRow, MessageType
from chalicelib.distribution.truth import Said, last_told, scheduled_baseline, truth_of
from chalicelib.groups.records import DEFAULT_ANNOUNCE_DAYS, GroupRecord
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.service import MeetingService
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.service import SignupService


@dataclass(frozen=True)
class Message:
    """One message, kept exactly once per meeting and member by its ledger key."""

    type: MessageType
    key: str
    said: Said
    # What the member was told before (or expected from the schedule), when it differs.
    previous: Said | None = None
    lead_minutes: int | None = None


def reminder_key(lead: int) -> str:
    return f"r{lead}"


def notice_key(meeting: Meeting) -> str:
    return f"n{meeting.sequence}"


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


def announce_horizon(group: GroupRecord) -> timedelta:
    return timedelta(days=group.get("announce_days", DEFAULT_ANNOUNCE_DAYS))


def planning_horizon(group: GroupRecord) -> timedelta:
    """How far ahead a run looks: the longest lead time or the announcement horizon."""
    longest_lead = max((int(x) for x in group["reminder_leads_minutes"]), default=0)
    return max(timedelta(minutes=longest_lead), announce_horizon(group))


def within_announcement(group: GroupRecord, meeting: Meeting, now: datetime) -> bool:
    first = min(meeting.starts_at, meeting.scheduled_starts_at)
    return meeting.announce and now >= first - announce_horizon(group)


def due_message(
    group: GroupRecord, meeting: Meeting, rows: list[DeliveryRow], *, now: datetime, lease_now: float
) -> Message | None:
    """The message one member is due about one meeting now, given their ledger rows (or None)."""
    if now >= meeting.ends_at:
        return None
    if any(r["status"] == "claimed" and r.get("lease_until", 0) >= lease_now for r in rows):
        return None  # a message to this member is in flight: compare again next run
    # A claim whose lease ran out belongs to a run that died: its slot is free to take over.
    taken = {r["kind"] for r in rows if r["status"] != "claimed"}
    truth = truth_of(group, meeting)
    told = last_told(rows)
    told_said = told[1] if told else None
    notice = notice_key(meeting)
    if truth.status == "cancelled":
        expected = told_said or (
            scheduled_baseline(group, meeting) if within_announcement(group, meeting, now) else None
        )
        if expected is None or expected.status == "cancelled" or notice in taken:
            return None
        return Message("cancelled", notice, truth, previous=expected)
    lead = current_lead([int(x) for x in group["reminder_leads_minutes"]], meeting, now)
    if lead is not None and reminder_key(lead) not in taken:
        previous = told_said if told_said is not None and truth.changes_from(told_said) else None
        return Message("reminder", reminder_key(lead), truth, previous=previous, lead_minutes=lead)
    if told_said is not None:
        if not truth.changes_from(told_said) or notice in taken:
            return None
        kind: MessageType = "back_on" if told_said.status == "cancelled" else "changed"
        return Message(kind, notice, truth, previous=told_said)
    baseline = scheduled_baseline(group, meeting)
    if within_announcement(group, meeting, now) and truth.changes_from(baseline) and notice not in taken:
        return Message("changed", notice, truth, previous=baseline)
    return None


class Planner:
    def __init__(self, *, meetings: MeetingService, signups: SignupService, ledger: DeliveryRepository) -> None:
        self.meetings = meetings
        self.signups = signups
        self.ledger = ledger

    def meetings_ahead(self, group: GroupRecord, *, now: datetime) -> list[Meeting]:
        return self.meetings.in_window(group, now=now, until=now + planning_horizon(group))

    def plan(
        self, group: GroupRecord, *, now: datetime, lease_now: float, only_member: str | None = None
    ) -> list[Task]:
        """Tasks due at ``now``. ``lease_now`` (wall-clock seconds) tells live claims from dead ones."""
        if group["status"] != "active":
            return []
        members: list[SignupRecord] | None = None
        tasks: list[Task] = []
        for meeting in self.meetings_ahead(group, now=now):
            if members is None:
                members = self._members(group["id"], only_member)
            if not members:
                break
            by_member: dict[str, list[DeliveryRow]] = {}
            for row in self.ledger.rows(group["id"], meeting.date):
                by_member.setdefault(row["signup_id"], []).append(row)
            for member in members:
                message = due_message(group, meeting, by_member.get(member["id"], []), now=now, lease_now=lease_now)
                if message is not None:
                    tasks.append(Task(group, meeting, member, message))
        return tasks

    def told_count(self, group_id: str, day: str) -> int:
        """How many members were already told something about one meeting."""
        return len({r["signup_id"] for r in self.ledger.rows(group_id, day) if r["status"] == "sent"})

    def told_about_upcoming(self, group: GroupRecord, *, now: datetime) -> int:
        return sum(self.told_count(group["id"], m.date) for m in self.meetings_ahead(group, now=now))

    def _members(self, group_id: str, only_member: str | None) -> list[SignupRecord]:
        if only_member:  # a late joiner: read the record itself (the index may lag)
            record = self.signups.get(group_id, only_member)
            return [record] if record and record["status"] == "active" else []
        return list(self.signups.members(group_id, status="active"))
