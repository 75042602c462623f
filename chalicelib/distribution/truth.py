"""What a message says about a meeting, and the truth it is compared with.

The truth of a meeting is the meeting as it stands now: the schedule with the occurrence's
override applied, and the group's join details. Every message the ledger records says what it
told the member (``Said``); a member's last message is what they believe. A run compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from chalicelib.distribution.records import DeliveryRow
from chalicelib.groups.records import GroupRecord
from chalicelib.joinlinks.details import shown_in_emails
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import elapsed, later
from chalicelib.signing import keyed_hash

Standing = Literal["on", "cancelled"]
Aspect = Literal["time", "status", "join"]


@dataclass(frozen=True)
class Said:
    """A meeting as one message described it: when, whether it is on, and which join details."""

    start: str  # ISO 8601, UTC
    end: str
    status: Standing
    join: str  # a keyed fingerprint of the join details (never the details themselves)

    def changes_from(self, earlier: Said) -> set[Aspect]:
        """What is no longer true of ``earlier`` (nothing, between two cancellations: a cancelled
        meeting's time or room is news to nobody)."""
        changed: set[Aspect] = set()
        if self.status == earlier.status == "cancelled":
            return changed
        if (self.start, self.end) != (earlier.start, earlier.end):
            changed.add("time")
        if self.status != earlier.status:
            changed.add("status")
        if self.join != earlier.join and self.status == "on":
            changed.add("join")
        return changed

    @property
    def starts_at(self) -> datetime:
        return datetime.fromisoformat(self.start)


def join_fingerprint(group: GroupRecord) -> str:
    """The joining details emails carry, as a keyed hash: equal iff the details are. The Zoom link is
    not among them: emails carry the member's personal link, which always leads to the current room,
    so replacing the room alone tells nobody anything new."""
    details = shown_in_emails(group)
    text = "\n".join(["personal-link", details["meeting_id"] or "", details["passcode"] or "", *details["dial_in"]])
    return keyed_hash(text, "join")[:24]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def truth_of(group: GroupRecord, meeting: Meeting) -> Said:
    return Said(
        start=_utc(meeting.starts_at),
        end=_utc(meeting.ends_at),
        status="cancelled" if meeting.status == "cancelled" else "on",
        join=join_fingerprint(group),
    )


def scheduled_baseline(group: GroupRecord, meeting: Meeting) -> Said:
    """What a member who was never told anything expects: the meeting the schedule promises."""
    duration = elapsed(meeting.starts_at, meeting.ends_at)
    return Said(
        start=_utc(meeting.scheduled_starts_at),
        end=_utc(later(meeting.scheduled_starts_at, duration)),
        status="on",
        join=join_fingerprint(group),
    )


def said_of(row: DeliveryRow) -> Said | None:
    if "said_start" not in row:
        return None
    return Said(row["said_start"], row["said_end"], row["said_status"], row["said_join"])


def last_told(rows: list[DeliveryRow]) -> tuple[DeliveryRow, Said] | None:
    """The member's last delivered message about this meeting, and what it said."""
    told = [(row, said) for row in rows if row["status"] == "sent" and (said := said_of(row)) is not None]
    if not told:
        return None
    return max(told, key=lambda pair: (pair[0].get("sent_at", ""), pair[0].get("seq", 0)))
