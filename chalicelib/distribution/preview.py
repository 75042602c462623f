"""Who would be told what, and when, if a meeting changed: the distribution's own rule
(``planner.told_at`` over ``due_message``) applied to the proposed meeting, for every active member,
before anything is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.distribution.planner import Message, Planner, told_at
from chalicelib.distribution.records import DeliveryRow
from chalicelib.distribution.truth import last_told, scheduled_baseline, truth_of
from chalicelib.groups.records import GroupRecord
from chalicelib.meetings.mail import Change, subject_for
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.zones import BOTH, Zones, member_zones


@dataclass
class ChangePreview:
    """``now``: message type -> how many members get it at once (the next run, within 15 minutes);
    ``never_told``: of those, how many heard nothing about this meeting before; ``later``: (the
    instant a run first sends it, message type) -> how many members, for members who hear of the
    change only then (``told_at``, the planner's own rule); ``subjects``: each type's subject line."""

    active: int = 0
    now: dict[str, int] = field(default_factory=dict)
    never_told: dict[str, int] = field(default_factory=dict)
    later: dict[tuple[datetime, str], int] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)

    @property
    def told_now(self) -> int:
        return sum(self.now.values())

    @property
    def told_later(self) -> int:
        return sum(self.later.values())


def _subject(group: GroupRecord, proposed: Meeting, message: Message, now: datetime, zones: Zones) -> str:
    change = None
    if message.previous is not None:
        change = Change(message.previous.starts_at, frozenset(message.said.changes_from(message.previous)))
    return subject_for(message.type, group=group, meeting=proposed, now=now, change=change, zones=zones)


def _ordered(zones: set[str]) -> Zones:
    """The zones of the members told, in the order a reader shown both sees them."""
    return tuple(z for z in BOTH if z in zones) + tuple(sorted(zones - set(BOTH)))


def preview_change(
    planner: Planner, group: GroupRecord, proposed: Meeting, *, now: datetime, lease_now: float
) -> ChangePreview:
    """What every active member is told about ``proposed`` (the meeting as it would stand), and when:
    the distribution's own rule (``told_at``), never a second reckoning of it."""
    out = ChangePreview()
    rows: dict[str, list[DeliveryRow]] = {}
    for row in planner.ledger.rows(group["id"], proposed.date):
        rows.setdefault(row["signup_id"], []).append(row)
    truth = truth_of(group, proposed)
    first: dict[str, tuple[datetime, Message]] = {}
    zones: dict[str, set[str]] = {}
    for member in planner.signups.members(group["id"], status="active"):
        out.active += 1
        mine = rows.get(member["id"], [])
        told = last_told(mine)
        expected = told[1] if told else scheduled_baseline(group, proposed)
        if not truth.changes_from(expected):
            continue  # nothing this member heard or expects changes (their reminders come as ever)
        due = told_at(group, proposed, mine, now=now, lease_now=lease_now)
        if due is None:
            continue
        moment, message = due
        if moment <= now:
            out.now[message.type] = out.now.get(message.type, 0) + 1
            if told is None:
                out.never_told[message.type] = out.never_told.get(message.type, 0) + 1
        else:
            out.later[(moment, message.type)] = out.later.get((moment, message.type), 0) + 1
        first.setdefault(message.type, (moment, message))
        zones.setdefault(message.type, set()).update(member_zones(member))
    for kind, (moment, message) in first.items():  # in the zones of the members it goes to, only
        out.subjects[kind] = _subject(group, proposed, message, moment, _ordered(zones[kind]))
    return out


def hypothetical(
    meeting: Meeting,
    *,
    status: str,
    starts_at: datetime | None,
    note: str | None,
    announce_from: datetime | None = None,
) -> Meeting:
    """The meeting as an override would make it (the next revision, announced; from
    ``announce_from`` on when the organizer tells members now)."""
    from dataclasses import replace

    start = starts_at if starts_at is not None else meeting.scheduled_starts_at
    from chalicelib.meetings.schedule import elapsed, later

    duration: timedelta = elapsed(meeting.starts_at, meeting.ends_at)
    return replace(
        meeting,
        status=status,  # type: ignore[arg-type]
        starts_at=start,
        ends_at=later(start, duration),
        note=note,
        sequence=meeting.sequence + 1,
        announce=True,
        announce_from=announce_from if status != "scheduled" else None,
    )
