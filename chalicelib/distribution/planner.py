"""What each active member is due now: the rule that decides when a reminder or a notice goes.

For every meeting within the planning horizon and every active member, the planner compares the
truth (``truth.truth_of``: the meeting as it stands now) with what the member was last told (the
last delivered message in the ledger, ``truth.last_told``):

- **Reminder** at each lead time before the meeting (``reminder_leads_minutes``): the shortest lead
  whose send time has come, until the meeting ends, once per lead and start: a meeting moved after
  its reminders is reminded of again before its new time (key ``r<lead>@<new start>``), unless the
  message that told the member the new time went at most a quarter of the lead before the
  reminder was due (that message was the reminder). It says the truth as it stands (and, when that
  differs from what the member was told, what changed). A member who joins late gets the reminder
  due now (the link), not every earlier one.
- **Change notice** when what the member was told is no longer true (time, cancellation, join
  details), however many edits happened in between and however they were made: one notice per
  revision of the meeting (key ``n<sequence>``), nothing when the truth is back to what they were told.
- **Cancellation** to every active member once the cancelled meeting is within the group's
  announcement horizon (``announce_days``), whether or not they had a reminder; a member who was
  never told anything expects the meeting the schedule promises. Likewise a meeting moved away from
  its scheduled time is announced to everyone within the horizon. **Back on** if it is un-cancelled
  after they were told.
- **Dropped dates**: a date members were told about that a changed schedule no longer generates
  (first Tuesday → second Tuesday) is a cancelled meeting for the members who were told about it
  (a cancellation naming the next meeting and saying the schedule changed), and nothing for anyone
  else. The dates come from the ledger's told-dates partition (``TOLDDATES#<group>``).
- Nothing while a message to that member about that meeting is in flight (a live claim): the next
  run compares again, so messages to one person never cross.

The planning horizon is the largest lead time or the announcement horizon, whichever is longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.distribution.ledger import DeliveryRepository
from chalicelib.distribution.records import DeliveryRow, MessageType
from chalicelib.distribution.truth import Said, last_told, said_of, scheduled_baseline, truth_of
from chalicelib.groups.records import DEFAULT_ANNOUNCE_DAYS, GroupRecord
from chalicelib.meetings.meeting import MOVE_WINDOW, Meeting, parse_day
from chalicelib.meetings.service import MeetingService, schedule_of
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


# What a cancellation of a dropped date says besides the next meeting.
DROPPED_NOTE = "The group's meeting schedule has changed: there is no meeting on this date any more."
# Ledger rows are kept this long after their meeting ends (the runner's retention).
TOLD_DATE_RETENTION = timedelta(days=90)


def reminder_key(lead: int, meeting: Meeting | None = None) -> str:
    """``r<lead>`` reminds of the meeting at its scheduled time; ``r<lead>@<UTC start>`` of the
    meeting moved to that start: a reminder is about one start, so a meeting moved after its
    reminder went is reminded of again before its new time."""
    if meeting is None or meeting.starts_at == meeting.scheduled_starts_at:
        return f"r{lead}"
    return f"r{lead}@{meeting.starts_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def lead_of(key: str) -> int | None:
    """The lead minutes of a reminder's ledger key (None for any other message)."""
    lead = key[1:].split("@", 1)[0]
    return int(lead) if key[:1] == "r" and lead.isdigit() else None


def reminded_by_recent_message(told: tuple[DeliveryRow, Said] | None, truth: Said, meeting: Meeting, lead: int) -> bool:
    """A moved meeting: the message that already told the member the meeting as it stands counts as
    the reminder at ``lead`` if it went at most a quarter of the lead before that reminder was due
    (a move notice 23 hours before the new time is the day-before reminder; one 6 days before is not)."""
    if told is None or meeting.starts_at == meeting.scheduled_starts_at or truth.changes_from(told[1]):
        return False
    sent = told[0].get("sent_at")
    due_at = meeting.starts_at - timedelta(minutes=lead)
    return sent is not None and datetime.fromisoformat(sent) >= due_at - timedelta(minutes=lead) / 4


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


def announced_from(group: GroupRecord, meeting: Meeting) -> datetime:
    """From when a cancellation or move is announced to members never told about the meeting:
    ``announce_days`` before its earlier start, or from when the organizer asked to tell them now."""
    first = min(meeting.starts_at, meeting.scheduled_starts_at) - announce_horizon(group)
    return first if meeting.announce_from is None else min(first, meeting.announce_from)


def within_announcement(group: GroupRecord, meeting: Meeting, now: datetime) -> bool:
    return meeting.announce and now >= announced_from(group, meeting)


def considered_from(group: GroupRecord, meeting: Meeting) -> datetime:
    """From when a run looks at a meeting (``Planner.meetings_ahead``): once its start or its
    scheduled start, whichever is earlier, is within the planning horizon, or from when the
    organizer asked to tell members now."""
    window = min(meeting.starts_at, meeting.scheduled_starts_at) - planning_horizon(group)
    return window if meeting.announce_from is None else min(window, meeting.announce_from)


def told_at(
    group: GroupRecord, meeting: Meeting, rows: list[DeliveryRow], *, now: datetime, lease_now: float
) -> tuple[datetime, Message] | None:
    """When a run first sends one member a message about ``meeting`` as it stands (given their
    ledger rows), and which: the planner's own rule (``considered_from``, ``due_message``) tried at
    each instant its answer can change (now, the window opening, the announcement horizon, each
    reminder's time) until the meeting ends. None: nothing is due before it ends. Runs come every
    15 minutes, so a message due at an instant goes within 15 minutes of it."""
    window = considered_from(group, meeting)
    moments = {now, window, announced_from(group, meeting)}
    moments |= {meeting.starts_at - timedelta(minutes=int(lead)) for lead in group["reminder_leads_minutes"]}
    for moment in sorted(m for m in moments if now <= m < meeting.ends_at and m >= window):
        message = due_message(group, meeting, rows, now=moment, lease_now=lease_now)
        if message is not None:
            return moment, message
    return None


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
    if (
        lead is not None
        and reminder_key(lead, meeting) not in taken
        and not reminded_by_recent_message(told, truth, meeting, lead)
    ):
        previous = told_said if told_said is not None and truth.changes_from(told_said) else None
        return Message("reminder", reminder_key(lead, meeting), truth, previous=previous, lead_minutes=lead)
    if told_said is not None:
        if not truth.changes_from(told_said) or notice in taken:
            return None
        kind: MessageType = "back_on" if told_said.status == "cancelled" else "changed"
        return Message(kind, notice, truth, previous=told_said)
    baseline = scheduled_baseline(group, meeting)
    if within_announcement(group, meeting, now) and truth.changes_from(baseline) and notice not in taken:
        return Message("changed", notice, truth, previous=baseline)
    return None


def dropped_meeting(group: GroupRecord, day: str, rows: list[DeliveryRow]) -> Meeting | None:
    """A date the schedule no longer generates, as members were last told it would be, cancelled:
    None if nobody was told it is on. Its revision is above every revision members were told (a
    calendar takes the cancellation) and the same on every run (one notice per member)."""
    told_on = [
        (row, said)
        for row in rows
        if row["status"] == "sent" and (said := said_of(row)) is not None and said.status == "on"
    ]
    if not told_on:
        return None
    _, said = max(told_on, key=lambda pair: (pair[0].get("sent_at", ""), pair[0].get("seq", 0)))
    zone = ZoneInfo(group["schedule"]["timezone"])
    start = said.starts_at.astimezone(zone)
    end = datetime.fromisoformat(said.end).astimezone(zone)
    scheduled = datetime.combine(date.fromisoformat(day), start.time(), zone)
    told_seq = max(int(row.get("seq", 0)) for row, _ in told_on)
    return Meeting(
        date=day,
        starts_at=start,
        ends_at=end,
        status="cancelled",
        note=DROPPED_NOTE,
        scheduled_starts_at=scheduled,
        sequence=max(int(group.get("schedule_rev", 0)), told_seq + 1),
        announce=False,  # only those who were told: nobody else expects this date any more
        dropped=True,
    )


class Planner:
    def __init__(self, *, meetings: MeetingService, signups: SignupService, ledger: DeliveryRepository) -> None:
        self.meetings = meetings
        self.signups = signups
        self.ledger = ledger

    def meetings_ahead(self, group: GroupRecord, *, now: datetime) -> list[Meeting]:
        """The meetings a run looks at (``considered_from``): those within the planning horizon, and
        those further ahead that an organizer asked to announce now."""
        until = now + planning_horizon(group)
        ahead = self.meetings.in_window(group, now=now, until=until)
        return ahead + self.meetings.told_early(group, now=now, after=until)

    def plan(
        self, group: GroupRecord, *, now: datetime, lease_now: float, only_member: str | None = None
    ) -> list[Task]:
        """Tasks due at ``now``. ``lease_now`` (wall-clock seconds) tells live claims from dead ones."""
        if group["status"] != "active":
            return []
        tasks: list[Task] = []
        ahead = self.meetings_ahead(group, now=now)
        told_dates = set(self._told_dates(group, now=now))
        if not ahead and not told_dates:
            return []
        members = self._members(group["id"], only_member)
        if not members:
            return []
        planned: list[tuple[Meeting, list[DeliveryRow]]] = []
        for meeting in ahead:
            rows = self.ledger.rows(group["id"], meeting.date)
            if meeting.date not in told_dates and any(r["status"] == "sent" for r in rows):
                # Told before the told-dates partition existed: recorded now, so a schedule change
                # that drops this date later still finds it.
                self.ledger.mark_told_date(
                    group["id"], meeting.date, expires_at=int((meeting.ends_at + TOLD_DATE_RETENTION).timestamp())
                )
            planned.append((meeting, rows))
        planned += self.dropped(group, told_dates - {m.date for m in ahead})
        for meeting, rows in planned:
            by_member: dict[str, list[DeliveryRow]] = {}
            for row in rows:
                by_member.setdefault(row["signup_id"], []).append(row)
            for member in members:
                message = due_message(group, meeting, by_member.get(member["id"], []), now=now, lease_now=lease_now)
                if message is not None:
                    tasks.append(Task(group, meeting, member, message))
        return tasks

    def _told_dates(self, group: GroupRecord, *, now: datetime) -> list[str]:
        zone = ZoneInfo(group["schedule"]["timezone"])
        first = (now - 2 * MOVE_WINDOW).astimezone(zone).date().isoformat()
        last = (now + planning_horizon(group) + MOVE_WINDOW).astimezone(zone).date().isoformat()
        return self.ledger.told_dates(group["id"], from_date=first, to_date=last)

    def dropped(self, group: GroupRecord, dates: set[str]) -> list[tuple[Meeting, list[DeliveryRow]]]:
        """The told ``dates`` the group's schedule no longer generates, as cancelled meetings."""
        schedule = schedule_of(group)
        out: list[tuple[Meeting, list[DeliveryRow]]] = []
        for day in sorted(dates):
            parsed = parse_day(day)
            if parsed is None or schedule.start_on(parsed) is not None:
                continue  # still a meeting of the schedule (outside the window, or moved out of it)
            rows = self.ledger.rows(group["id"], day)
            meeting = dropped_meeting(group, day, rows)
            if meeting is not None:
                out.append((meeting, rows))
        return out

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
