"""The rule that decides what each active member is due (chalicelib/distribution/planner.py), case
by case at its edges, on moto with the stack's clock held at chosen instants: which reminder, when a
change notice or a cancellation goes, to whom (never-told members too), never while a message is
in flight, never twice, and nothing at all for a paused group."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from chalicelib.distribution.planner import (
    DROPPED_NOTE,
    Message,
    announce_horizon,
    current_lead,
    dropped_meeting,
    due_message,
    lead_of,
    notice_key,
    planning_horizon,
    reminded_by_recent_message,
    reminder_key,
    within_announcement,
)
from chalicelib.distribution.records import DeliveryRow
from chalicelib.distribution.truth import Said, scheduled_baseline, truth_of
from chalicelib.groups.records import GroupRecord
from chalicelib.meetings.meeting import Meeting
from chalicelib.signups.addresses import signup_id_for
from tests.support.builders import GROUP_ID, MEETING_DAY, T_MINUS_1D, add_members, group_body
from tests.support.fakes import FakeSes
from tests.support.records import group_record, local_keys
from tests.support.server_zone import server_zone
from tests.support.stacks import Stack

DENVER = ZoneInfo("America/Denver")
START = datetime(2026, 12, 1, 16, 0, tzinfo=DENVER)  # 23:00Z, 90 minutes
END = START + timedelta(minutes=90)
LEASE_NOW = 1_764_630_000.0  # wall-clock seconds of the run (leases are on the wall clock)


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GroupRecord]:
    with local_keys(tmp_path_factory.mktemp("keys")):
        yield group_record(reminder_leads_minutes=[1440, 60])


def meeting(
    *,
    start: datetime = START,
    status: Any = "scheduled",
    scheduled: datetime = START,
    sequence: int = 3,
    announce: bool = True,
) -> Meeting:
    return Meeting(MEETING_DAY, start, start + timedelta(minutes=90), status, None, scheduled, sequence, announce)


def told(
    kind: str, said: Said, *, status: str = "sent", sent_at: str = "2026-11-30T23:00:00+00:00", **extra: Any
) -> Any:
    row: dict[str, Any] = {
        "signup_id": "s1",
        "kind": kind,
        "message": "reminder",
        "status": status,
        "said_start": said.start,
        "said_end": said.end,
        "said_status": said.status,
        "said_join": said.join,
        "seq": 1,
        "sent_at": sent_at,
    }
    row.update(extra)
    return cast(DeliveryRow, row)


def due(group: GroupRecord, m: Meeting, rows: list[DeliveryRow], now: datetime) -> Message | None:
    return due_message(group, m, rows, now=now, lease_now=LEASE_NOW)


def _with(group: GroupRecord, **changes: Any) -> GroupRecord:
    return cast(GroupRecord, {**group, **changes})


# ---------------------------------------------------------------- keys and horizons


def test_ledger_keys() -> None:
    assert reminder_key(1440) == "r1440"
    assert notice_key(meeting(sequence=7)) == "n7"


def test_horizons(group: GroupRecord) -> None:
    assert announce_horizon(group) == timedelta(days=35)  # the default
    stored_before_the_setting = cast(GroupRecord, {k: v for k, v in group.items() if k != "announce_days"})
    assert announce_horizon(stored_before_the_setting) == timedelta(days=35)
    assert planning_horizon(stored_before_the_setting) == timedelta(days=35)
    assert announce_horizon(_with(group, announce_days=7)) == timedelta(days=7)
    assert planning_horizon(group) == timedelta(days=35)
    thirty_days = _with(group, reminder_leads_minutes=[60, 43200], announce_days=7)
    assert planning_horizon(thirty_days) == timedelta(days=30)
    assert planning_horizon(_with(group, reminder_leads_minutes=["2880"], announce_days=1)) == timedelta(days=2)
    assert planning_horizon(_with(group, reminder_leads_minutes=[], announce_days=3)) == timedelta(days=3)


def test_the_announcement_horizon_counts_from_the_earlier_of_the_two_starts(group: GroupRecord) -> None:
    horizon = timedelta(days=35)
    later = meeting(start=START + timedelta(days=7), status="moved")
    assert within_announcement(group, later, START - horizon)
    assert not within_announcement(group, later, START - horizon - timedelta(seconds=1))
    earlier = meeting(start=START - timedelta(days=7), status="moved")
    assert within_announcement(group, earlier, START - timedelta(days=7) - horizon)
    assert not within_announcement(group, earlier, START - timedelta(days=7) - horizon - timedelta(seconds=1))
    assert not within_announcement(group, meeting(announce=False), START - timedelta(days=1))


# ---------------------------------------------------------------- reminders


def test_the_reminder_due_now_and_only_that_one(group: GroupRecord) -> None:
    m = meeting()
    assert due(group, m, [], START - timedelta(minutes=1441)) is None
    day_before = due(group, m, [], START - timedelta(minutes=1440))
    assert day_before == Message("reminder", "r1440", truth_of(group, m), previous=None, lead_minutes=1440)
    # A member who joins 30 minutes before gets the link reminder, not the day-before one too.
    late = due(group, m, [], START - timedelta(minutes=30))
    assert late == Message("reminder", "r60", truth_of(group, m), previous=None, lead_minutes=60)
    assert due(group, m, [], END - timedelta(seconds=1)) == late
    assert due(group, m, [], END) is None  # over
    assert current_lead([1440, 60], meeting(status="cancelled"), START - timedelta(minutes=30)) is None
    assert due(group, m, [], END + timedelta(minutes=1)) is None


def test_a_reminder_goes_once_and_a_failed_one_is_not_retried_by_the_plan(group: GroupRecord) -> None:
    m = meeting()
    truth = truth_of(group, m)
    now = START - timedelta(minutes=1000)
    assert due(group, m, [told("r1440", truth)], now) is None
    assert due(group, m, [told("r1440", truth, status="failed")], now) is None
    assert due(group, m, [told("r1440", truth)], START - timedelta(minutes=59)) == Message(
        "reminder", "r60", truth, previous=None, lead_minutes=60
    )


def test_a_reminder_says_what_changed_since_the_member_was_told(group: GroupRecord) -> None:
    was = truth_of(group, meeting())
    moved = meeting(start=START + timedelta(hours=1), status="moved")
    reminder = due(group, moved, [told("r1440", was)], moved.starts_at - timedelta(minutes=30))
    key = reminder_key(60, moved)  # a reminder is about one start
    assert reminder == Message("reminder", key, truth_of(group, moved), previous=was, lead_minutes=60)


# ---------------------------------------------------------------- in flight


def test_nothing_while_a_message_to_the_member_is_in_flight(group: GroupRecord) -> None:
    m = meeting()
    truth = truth_of(group, m)
    now = START - timedelta(minutes=30)
    live = told("r1440", truth, status="claimed", lease_until=int(LEASE_NOW) + 60)
    assert due(group, m, [live], now) is None  # r60 is due, but r1440 is still on its way
    at_the_edge = told("r1440", truth, status="claimed", lease_until=int(LEASE_NOW))
    assert due(group, m, [at_the_edge], now) is None
    # A claim whose lease ran out belongs to a run that died: its slot is free again.
    dead = told("r60", truth, status="claimed", lease_until=int(LEASE_NOW) - 1)
    assert due(group, m, [dead], now) == Message("reminder", "r60", truth, previous=None, lead_minutes=60)
    no_lease = told("r60", truth, status="claimed")
    assert due(group, m, [no_lease], now) == Message("reminder", "r60", truth, previous=None, lead_minutes=60)
    # In flight blocks notices and cancellations too.
    cancelled = meeting(status="cancelled", sequence=4)
    assert due(group, cancelled, [told("r1440", truth), live], now) is None


# ---------------------------------------------------------------- cancellations


def test_a_cancellation_reaches_members_who_were_told(group: GroupRecord) -> None:
    was = truth_of(group, meeting())
    off = meeting(status="cancelled", sequence=4)
    now = START - timedelta(hours=20)
    assert due(group, off, [told("r1440", was)], now) == Message("cancelled", "n4", truth_of(group, off), previous=was)


def test_a_member_told_cancelled_is_not_told_again_when_the_meeting_is_edited(group: GroupRecord) -> None:
    was = truth_of(group, meeting())
    off = truth_of(group, meeting(status="cancelled", sequence=4))
    edited = meeting(status="cancelled", sequence=5)  # a note added to the cancelled meeting
    rows = [told("r1440", was), told("n4", off, sent_at="2026-12-01T01:00:00+00:00")]
    assert due(group, edited, rows, START - timedelta(hours=20)) is None
    # Never told anything, but told "cancelled" as the first message: likewise nothing more.
    assert due(group, edited, [told("n4", off)], START - timedelta(days=3)) is None


def test_the_same_cancellation_notice_goes_once(group: GroupRecord) -> None:
    was = truth_of(group, meeting())
    off = meeting(status="cancelled", sequence=4)
    rows = [told("r1440", was), told("n4", truth_of(group, off), status="failed")]
    assert due(group, off, rows, START - timedelta(hours=20)) is None


def test_never_told_members_hear_of_a_cancellation_within_the_horizon(group: GroupRecord) -> None:
    off = meeting(status="cancelled", sequence=4)
    horizon = START - timedelta(days=35)
    expected = Message("cancelled", "n4", truth_of(group, off), previous=scheduled_baseline(group, off))
    assert due(group, off, [], horizon) == expected
    assert due(group, off, [], horizon - timedelta(seconds=1)) is None  # too early: nothing yet
    short = _with(group, announce_days=3)
    assert due(short, off, [], START - timedelta(days=4)) is None
    assert due(short, off, [], START - timedelta(days=3)) is not None


def test_a_quiet_cancellation_reaches_only_those_told(group: GroupRecord) -> None:
    quiet = meeting(status="cancelled", sequence=4, announce=False)  # cancelled with notify=false
    assert due(group, quiet, [], START - timedelta(days=2)) is None
    was = truth_of(group, meeting())
    assert due(group, quiet, [told("r1440", was)], START - timedelta(hours=2)) == Message(
        "cancelled", "n4", truth_of(group, quiet), previous=was
    )


# ---------------------------------------------------------------- changes and back on


def test_a_change_reaches_those_told_once_per_revision(group: GroupRecord) -> None:
    was = truth_of(group, meeting())
    moved = meeting(start=START + timedelta(hours=1), status="moved", sequence=4)
    now = START - timedelta(days=3)  # no reminder due yet
    rows = [told("n2", was, sent_at="2026-11-25T12:00:00+00:00")]
    assert due(group, moved, rows, now) == Message("changed", "n4", truth_of(group, moved), previous=was)
    assert due(group, moved, [*rows, told("n4", truth_of(group, moved), status="failed")], now) is None
    # Not once it is over, not even at its last second.
    assert due(group, moved, rows, moved.ends_at) is None
    assert due(group, moved, rows, moved.ends_at - timedelta(seconds=1)) is not None
    # Moved back to what they were told: nothing to say.
    assert due(group, meeting(sequence=5), rows, now) is None


def test_back_on_after_a_cancellation(group: GroupRecord) -> None:
    off = truth_of(group, meeting(status="cancelled", sequence=4))
    on = meeting(sequence=5)
    rows = [told("n4", off)]
    assert due(group, on, rows, START - timedelta(days=3)) == Message(
        "back_on", "n5", truth_of(group, on), previous=off
    )
    assert due(group, on, [*rows, told("n5", truth_of(group, on))], START - timedelta(days=3)) is None


def test_never_told_members_hear_of_a_move_within_the_horizon(group: GroupRecord) -> None:
    moved = meeting(start=START + timedelta(hours=2), status="moved", sequence=4)
    baseline = scheduled_baseline(group, moved)
    notice = Message("changed", "n4", truth_of(group, moved), previous=baseline)
    assert due(group, moved, [], START - timedelta(days=35)) == notice
    assert due(group, moved, [], START - timedelta(days=35, seconds=1)) is None
    assert due(group, moved, [told("n4", truth_of(group, moved), status="failed")], START - timedelta(days=3)) is None
    # Nothing moved: nothing to announce before the reminders.
    assert due(group, meeting(sequence=4), [], START - timedelta(days=3)) is None
    # Moved with notify=false: the reminders carry the new time; no notice.
    assert (
        due(
            group,
            meeting(start=START + timedelta(hours=2), status="moved", announce=False),
            [],
            START - timedelta(days=3),
        )
        is None
    )


def test_a_meeting_moved_earlier_is_announced_from_its_new_date(group: GroupRecord) -> None:
    earlier = START - timedelta(days=10)
    moved = meeting(start=earlier, status="moved", sequence=4)
    first_day = earlier - timedelta(days=35)
    assert due(group, moved, [], first_day) == Message(
        "changed", "n4", truth_of(group, moved), previous=scheduled_baseline(group, moved)
    )
    assert due(group, moved, [], first_day - timedelta(seconds=1)) is None


# ---------------------------------------------------------------- the planner over the table


def _distribution(stack: Stack, ses: FakeSes) -> Any:
    return stack.build(mailer=ses).distributor


def test_a_paused_group_gets_nothing_until_it_is_active_again(moto_stack: Stack) -> None:
    c = moto_stack.container
    moto_stack.clock.set(T_MINUS_1D - timedelta(days=1))
    group = c.groups.create(group_body(reminder_leads_minutes=[1440, 60]))
    add_members(c, 2)
    paused = c.groups.update(GROUP_ID, {"version": group["version"], "status": "paused"}, if_match=None)
    moto_stack.clock.set(T_MINUS_1D)
    assert c.planner.plan(paused, now=T_MINUS_1D, lease_now=LEASE_NOW) == []
    ses = FakeSes()
    assert _distribution(moto_stack, ses).run().sent == 0 and ses.accepted == []
    active = c.groups.update(GROUP_ID, {"version": paused["version"], "status": "active"}, if_match=None)
    assert len(c.planner.plan(active, now=T_MINUS_1D, lease_now=LEASE_NOW)) == 2
    assert _distribution(moto_stack, ses).run().sent == 2


def test_each_member_is_planned_from_their_own_ledger_rows(moto_stack: Stack) -> None:
    c = moto_stack.container
    moto_stack.clock.set(T_MINUS_1D - timedelta(days=1))
    group = c.groups.create(group_body(reminder_leads_minutes=[1440, 60]))
    [first] = add_members(c, 1)
    ses = FakeSes()
    moto_stack.clock.set(T_MINUS_1D)
    assert _distribution(moto_stack, ses).run().sent == 1
    [late] = add_members(c, 1, prefix="late")
    later = T_MINUS_1D + timedelta(minutes=15)
    [task] = c.planner.plan(group, now=later, lease_now=LEASE_NOW)
    assert (task.member["id"], task.message.key, task.meeting.date) == (late["id"], "r1440", MEETING_DAY)
    assert task.group["id"] == GROUP_ID
    assert c.planner.told_count(GROUP_ID, MEETING_DAY) == 1
    assert c.planner.told_about_upcoming(group, now=later) == 1
    assert c.planner.told_count(GROUP_ID, "2027-01-05") == 0
    # A run for one member (a late joiner just approved) plans for that member only.
    assert [t.member["id"] for t in c.planner.plan(group, now=later, lease_now=LEASE_NOW, only_member=late["id"])] == [
        late["id"]
    ]
    assert c.planner.plan(group, now=later, lease_now=LEASE_NOW, only_member=first["id"]) == []
    assert first["email"] in ses.per_recipient()


def test_a_run_that_died_mid_send_holds_its_members_until_the_lease_runs_out(moto_stack: Stack) -> None:
    from tests.support.fakes import Crash

    c = moto_stack.container
    moto_stack.clock.set(T_MINUS_1D - timedelta(days=1))
    group = c.groups.create(group_body(reminder_leads_minutes=[1440, 60]))
    add_members(c, 1)
    moto_stack.clock.set(T_MINUS_1D)
    dying = moto_stack.build(mailer=FakeSes(crash_after=0, crash_before_accept=True), lease_clock=lambda: LEASE_NOW)
    with pytest.raises(Crash):
        dying.distributor.run()
    [claim] = c.ledger.rows(GROUP_ID, MEETING_DAY)
    assert claim["status"] == "claimed"
    assert c.planner.plan(group, now=T_MINUS_1D, lease_now=LEASE_NOW) == []  # in flight
    assert c.planner.plan(group, now=T_MINUS_1D, lease_now=float(claim["lease_until"])) == []
    [retry] = c.planner.plan(group, now=T_MINUS_1D, lease_now=float(claim["lease_until"]) + 1)
    assert retry.message.key == "r1440"


def test_one_member_runs_skip_members_who_are_not_active(moto_stack: Stack) -> None:
    c = moto_stack.container
    moto_stack.clock.set(T_MINUS_1D - timedelta(days=1))
    group = c.groups.create(group_body(reminder_leads_minutes=[1440, 60]))
    add_members(c, 1, prefix="pending", status="pending_approval")
    add_members(c, 1)
    pending = signup_id_for(GROUP_ID, "pending0@example.org")
    assert c.planner.plan(group, now=T_MINUS_1D, lease_now=LEASE_NOW, only_member=pending) == []
    assert c.planner.plan(group, now=T_MINUS_1D, lease_now=LEASE_NOW, only_member="nobody") == []
    assert [t.member["email"] for t in c.planner.plan(group, now=T_MINUS_1D, lease_now=LEASE_NOW)] == ["m0@example.org"]


def test_every_meeting_ahead_is_planned_for_every_member(moto_stack: Stack) -> None:
    c = moto_stack.container
    moto_stack.clock.set(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    group = c.groups.create(
        group_body(
            schedule={"rrule": "FREQ=WEEKLY;BYDAY=TU", "start_time": "16:00", "timezone": "America/Denver"},
            reminder_leads_minutes=[20160, 60],  # two weeks ahead
        )
    )
    add_members(c, 2)
    tasks = c.planner.plan(group, now=datetime(2026, 11, 2, 12, 0, tzinfo=UTC), lease_now=LEASE_NOW)
    assert sorted((t.meeting.date, t.member["email"]) for t in tasks) == [
        (day, f"m{i}@example.org") for day in ("2026-11-03", "2026-11-10") for i in range(2)
    ]
    assert (
        c.planner.plan(group, now=datetime(2026, 11, 2, 12, 0, tzinfo=UTC), lease_now=LEASE_NOW, only_member="x") == []
    )


# ---------------------------------------------------------------- a reminder is about one start


def test_reminder_keys_name_the_start_of_a_moved_meeting() -> None:
    assert reminder_key(60, meeting()) == "r60"
    moved = meeting(start=datetime(2026, 12, 1, 17, 5, tzinfo=DENVER), status="moved")
    assert reminder_key(60, moved) == "r60@20261202T0005Z"
    assert reminder_key(1440, moved) == "r1440@20261202T0005Z"
    with server_zone("America/Denver"):
        assert reminder_key(60, moved) == "r60@20261202T0005Z"  # in UTC whatever the server's zone


@pytest.mark.parametrize(
    ("key", "lead"),
    [
        ("r1440", 1440),
        ("r60@20261202T0000Z", 60),
        ("n4", None),
        ("opened", None),
        ("r", None),
        ("rx", None),
        ("", None),
    ],
)
def test_the_lead_of_a_ledger_key(key: str, lead: int | None) -> None:
    assert lead_of(key) == lead


def test_a_recent_message_with_the_new_time_counts_as_the_reminder(group: GroupRecord) -> None:
    moved = meeting(start=START + timedelta(days=7), status="moved", sequence=4)
    truth = truth_of(group, moved)
    # The day-before reminder of the new time is due 24 hours before it; a message that told the new
    # time up to 6 hours (a quarter of the lead) before that was the reminder.
    edge = moved.starts_at - timedelta(hours=30)
    notice = told("n4", truth, sent_at=edge.astimezone(UTC).isoformat())
    assert reminded_by_recent_message((notice, truth), truth, moved, 1440)
    early = told("n4", truth, sent_at=(edge - timedelta(seconds=1)).astimezone(UTC).isoformat())
    assert not reminded_by_recent_message((early, truth), truth, moved, 1440)
    assert reminded_by_recent_message((early, truth), truth, moved, 10080)  # a week's lead reaches further
    assert not reminded_by_recent_message(None, truth, moved, 1440)
    undated = cast(DeliveryRow, {k: v for k, v in notice.items() if k != "sent_at"})
    assert not reminded_by_recent_message((undated, truth), truth, moved, 1440)
    # Told something else since (or the meeting was not moved): the reminder is still due.
    was = truth_of(group, meeting())
    assert not reminded_by_recent_message((notice, was), truth, moved, 1440)
    assert not reminded_by_recent_message(
        (notice, truth_of(group, meeting())), truth_of(group, meeting()), meeting(), 1440
    )


def test_a_meeting_moved_after_its_reminder_is_reminded_of_before_its_new_time(group: GroupRecord) -> None:
    was = truth_of(group, meeting())
    moved = meeting(start=START + timedelta(days=7), status="moved", sequence=4)
    truth = truth_of(group, moved)
    notice_sent = START - timedelta(hours=20)  # told of the move 20 hours before the old time
    rows = [
        told("r1440", was, sent_at=(START - timedelta(days=1)).astimezone(UTC).isoformat()),
        told("n4", truth, sent_at=notice_sent.astimezone(UTC).isoformat()),
    ]
    day_before_new = moved.starts_at - timedelta(days=1)
    assert due(group, moved, rows, day_before_new) == Message(
        "reminder", reminder_key(1440, moved), truth, previous=None, lead_minutes=1440
    )
    done = [*rows, told(reminder_key(1440, moved), truth)]
    assert due(group, moved, done, day_before_new + timedelta(hours=1)) is None
    # Moved only an hour, told of it 20 hours before: that notice was the day-before reminder.
    soon = meeting(start=START + timedelta(hours=1), status="moved", sequence=4)
    soon_truth = truth_of(group, soon)
    soon_rows = [rows[0], told("n4", soon_truth, sent_at=notice_sent.astimezone(UTC).isoformat())]
    assert due(group, soon, soon_rows, soon.starts_at - timedelta(hours=19)) is None
    assert due(group, soon, soon_rows, soon.starts_at - timedelta(minutes=59)) == Message(
        "reminder", reminder_key(60, soon), soon_truth, previous=None, lead_minutes=60
    )


# ---------------------------------------------------------------- dates a new rule dropped


def test_a_dropped_date_is_the_meeting_as_last_told_cancelled(group: GroupRecord) -> None:
    first = truth_of(group, meeting())
    moved = truth_of(group, meeting(start=START + timedelta(hours=1), status="moved"))
    rows = [
        told("r1440", first, sent_at="2026-11-30T23:00:00+00:00", seq=2),
        told("n3", moved, sent_at="2026-11-30T23:30:00+00:00", seq=3),
        told("r60", first, status="claimed", sent_at="2026-12-01T22:00:00+00:00", seq=9),
    ]
    dropped = dropped_meeting(_with(group, schedule_rev=1), MEETING_DAY, rows)
    assert dropped is not None
    assert (dropped.date, dropped.status, dropped.note) == (MEETING_DAY, "cancelled", DROPPED_NOTE)
    assert dropped.starts_at == START + timedelta(hours=1) and dropped.starts_at.tzinfo == DENVER
    assert dropped.ends_at == END + timedelta(hours=1) and dropped.ends_at.tzinfo == DENVER
    assert dropped.scheduled_starts_at == datetime(2026, 12, 1, 17, 0, tzinfo=DENVER)
    assert (dropped.sequence, dropped.announce, dropped.dropped) == (4, False, True)  # above every told revision
    assert dropped_meeting(_with(group, schedule_rev=7), MEETING_DAY, rows).sequence == 7  # type: ignore[union-attr]


def test_a_dropped_date_uses_the_latest_message_and_ignores_cancellations(group: GroupRecord) -> None:
    first = truth_of(group, meeting())
    later = truth_of(group, meeting(start=START + timedelta(hours=2), status="moved"))
    same_time = [
        told("n5", later, sent_at="2026-11-30T23:00:00+00:00", seq=5),
        told("r1440", first, sent_at="2026-11-30T23:00:00+00:00", seq=2),
    ]
    assert dropped_meeting(group, MEETING_DAY, same_time).starts_at == START + timedelta(hours=2)  # type: ignore[union-attr]
    unnumbered = [
        told("r1440", first, sent_at="2026-11-30T23:00:00+00:00"),
        told("r60", later, sent_at="2026-11-30T23:00:00+00:00", seq=0),
    ]
    for row in unnumbered[:1]:
        del row["seq"]
    assert dropped_meeting(group, MEETING_DAY, unnumbered).sequence == 1  # type: ignore[union-attr]
    assert dropped_meeting(group, MEETING_DAY, unnumbered).starts_at == START  # type: ignore[union-attr]  # a tie: the first
    # The latest send decides, then the higher revision, then the first listed.
    by_time = [
        told("n5", later, sent_at="2026-11-30T23:00:00+00:00", seq=5),
        told("r60", first, sent_at="2026-11-30T23:30:00+00:00", seq=2),
    ]
    assert dropped_meeting(group, MEETING_DAY, by_time).starts_at == START  # type: ignore[union-attr]
    by_revision = list(reversed(same_time))
    assert dropped_meeting(group, MEETING_DAY, by_revision).starts_at == START + timedelta(hours=2)  # type: ignore[union-attr]
    zero_first = list(reversed(unnumbered))
    assert dropped_meeting(group, MEETING_DAY, zero_first).starts_at == START + timedelta(hours=2)  # type: ignore[union-attr]
    # A group stored before schedule revisions were kept.
    legacy = cast(GroupRecord, {k: v for k, v in group.items() if k != "schedule_rev"})
    assert dropped_meeting(legacy, MEETING_DAY, by_time).sequence == 6  # type: ignore[union-attr]
    off = truth_of(group, meeting(status="cancelled"))
    assert dropped_meeting(group, MEETING_DAY, [told("n4", off)]) is None  # told it is off: nothing to cancel
    assert dropped_meeting(group, MEETING_DAY, [told("r1440", first, status="failed")]) is None
    assert dropped_meeting(group, MEETING_DAY, []) is None
    silent = cast(DeliveryRow, {k: v for k, v in told("r1440", first).items() if not k.startswith("said_")})
    assert dropped_meeting(group, MEETING_DAY, [silent]) is None


def _told_dates_item(stack: Stack, day: str) -> Any:
    from chalicelib.db import key
    from chalicelib.distribution.records import told_dates_partition

    return stack.client.get_item(TableName=stack.table, Key=key(told_dates_partition(GROUP_ID), day)).get("Item")


def test_a_date_told_before_the_told_dates_were_kept_is_recorded_by_the_next_plan(moto_stack: Stack) -> None:
    from chalicelib.db import key
    from chalicelib.distribution.records import told_dates_partition

    c = moto_stack.container
    moto_stack.clock.set(T_MINUS_1D - timedelta(days=1))
    group = c.groups.create(group_body(reminder_leads_minutes=[1440, 60], announce_days=40))
    add_members(c, 1)
    moto_stack.clock.set(T_MINUS_1D)
    assert _distribution(moto_stack, FakeSes()).run().sent == 1
    moto_stack.client.delete_item(TableName=moto_stack.table, Key=key(told_dates_partition(GROUP_ID), MEETING_DAY))
    assert _told_dates_item(moto_stack, MEETING_DAY) is None
    assert c.planner.plan(group, now=T_MINUS_1D + timedelta(minutes=15), lease_now=LEASE_NOW) == []
    item = _told_dates_item(moto_stack, MEETING_DAY)
    assert item is not None and int(item["expires_at"]["N"]) == int((END + timedelta(days=90)).timestamp())
    # The next meeting (within the 40-day horizon) was planned too, but nobody was told of it yet.
    assert _told_dates_item(moto_stack, "2027-01-05") is None


def test_dropped_dates_are_only_those_the_rule_no_longer_has(moto_stack: Stack) -> None:
    c = moto_stack.container
    moto_stack.clock.set(T_MINUS_1D - timedelta(days=1))
    c.groups.create(group_body(reminder_leads_minutes=[1440, 60]))
    add_members(c, 2)
    moto_stack.clock.set(T_MINUS_1D)
    assert _distribution(moto_stack, FakeSes()).run().sent == 2
    group = c.groups.get(GROUP_ID)
    assert c.planner.dropped(group, {MEETING_DAY}) == []  # still the first Tuesday
    second_tuesday = c.groups.update(
        GROUP_ID, {"version": group["version"], "schedule": {"rrule": "FREQ=MONTHLY;BYDAY=2TU"}}, if_match=None
    )
    told_dates = {"2026-11-10", MEETING_DAY, "not-a-day", "2026-12-08", "2026-11-24"}  # Nov 10: still a meeting
    [(dropped, rows)] = c.planner.dropped(second_tuesday, told_dates)
    assert (dropped.date, dropped.status, dropped.dropped) == (MEETING_DAY, "cancelled", True)
    assert {r["signup_id"] for r in rows} == {signup_id_for(GROUP_ID, f"m{i}@example.org") for i in range(2)}
    later = T_MINUS_1D + timedelta(minutes=15)
    tasks = c.planner.plan(second_tuesday, now=later, lease_now=LEASE_NOW)
    assert sorted((t.meeting.date, t.message.type) for t in tasks) == [(MEETING_DAY, "cancelled")] * 2
