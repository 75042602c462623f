"""Who would be told what if a meeting changed: the distribution's own rule (``due_message``)
applied to the proposed meeting, for every active member, before anything is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.distribution.planner import Planner, announce_horizon, due_message
from chalicelib.distribution.records import DeliveryRow
from chalicelib.distribution.truth import last_told, scheduled_baseline, truth_of
from chalicelib.groups.records import GroupRecord
from chalicelib.meetings.mail import Change, subject_for
from chalicelib.meetings.meeting import Meeting


@dataclass
class ChangePreview:
    """``now``: message type -> how many members get it at once; ``never_told``: of those, how many
    heard nothing about this meeting before; ``later``: members told only once the meeting is within
    the announcement horizon (``announce_on``); ``subjects``: the subject line each type carries."""

    active: int = 0
    now: dict[str, int] = field(default_factory=dict)
    never_told: dict[str, int] = field(default_factory=dict)
    later: int = 0
    announce_on: datetime | None = None
    subjects: dict[str, str] = field(default_factory=dict)

    @property
    def told_now(self) -> int:
        return sum(self.now.values())


def preview_change(
    planner: Planner, group: GroupRecord, proposed: Meeting, *, now: datetime, lease_now: float
) -> ChangePreview:
    """What every active member is due about ``proposed`` (the meeting as it would stand) at ``now``."""
    out = ChangePreview()
    rows: dict[str, list[DeliveryRow]] = {}
    for row in planner.ledger.rows(group["id"], proposed.date):
        rows.setdefault(row["signup_id"], []).append(row)
    truth = truth_of(group, proposed)
    for member in planner.signups.members(group["id"], status="active"):
        out.active += 1
        mine = rows.get(member["id"], [])
        message = due_message(group, proposed, mine, now=now, lease_now=lease_now)
        told = last_told(mine)
        if message is not None:
            out.now[message.type] = out.now.get(message.type, 0) + 1
            if told is None:
                out.never_told[message.type] = out.never_told.get(message.type, 0) + 1
            if message.type not in out.subjects:
                change = None
                if message.previous is not None:
                    aspects = frozenset(message.said.changes_from(message.previous))
                    change = Change(message.previous.starts_at, aspects)
                out.subjects[message.type] = subject_for(
                    message.type, group=group, meeting=proposed, now=now, change=change
                )
            continue
        expected = told[1] if told else scheduled_baseline(group, proposed)
        if now < proposed.ends_at and truth.changes_from(expected) and told is None:
            out.later += 1
    if out.later:
        first = min(proposed.starts_at, proposed.scheduled_starts_at)
        out.announce_on = first - announce_horizon(group)
    return out


def hypothetical(meeting: Meeting, *, status: str, starts_at: datetime | None, note: str | None) -> Meeting:
    """The meeting as an override would make it (the next revision, announced)."""
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
    )
