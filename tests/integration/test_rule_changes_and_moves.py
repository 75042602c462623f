"""What members were told stays true when the schedule's rule drops a date they were told about,
and when a meeting moves after its reminders (issue 19, section 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.builders import GROUP_ID, MEETING_DAY, T_MINUS_1D, add_members, distributor, make_group, run_at
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

# The second Tuesday of December 2026, 4:00 PM MST.
DEC_8 = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)


def patch(c: Any, body: dict[str, Any]) -> None:
    group = c.groups.get(GROUP_ID)
    c.groups.update(GROUP_ID, {"version": group["version"], **body}, if_match=None)


def about(ses: FakeSes, day: str, start: int = 0) -> list[Any]:
    return [m for m in ses.accepted[start:] if m.tags.get("meeting") == day]


def test_a_date_dropped_by_a_rule_change_is_cancelled_for_those_told_only(moto_stack: Stack) -> None:
    c = moto_stack.container
    make_group(c, reminder_leads_minutes=[1440, 60])
    told = add_members(c, 2)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 2  # "Tomorrow at 4:00 PM" (Dec 1)
    patch(c, {"schedule": {"rrule": "FREQ=MONTHLY;BYDAY=2TU"}})  # first Tuesday -> second Tuesday
    [late] = add_members(c, emails=["late@example.org"])  # joined after: never told about Dec 1
    report = run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15))
    notices = about(ses, MEETING_DAY, 2)
    assert sorted(m.to for m in notices) == sorted(m["email"] for m in told)
    assert report.sent == 2
    for mail in notices:
        assert mail.subject.startswith("Cancelled: Tue Dec 1, 4:00 PM Mountain · ")
        assert "The next meeting is Tuesday, December 8, 2026 at 4:00 PM" in mail.text
        assert "The group's meeting schedule has changed" in mail.text
        assert b"METHOD:CANCEL" in mail.attachments[0].content
    # Told once: later runs say nothing more about Dec 1, to anyone.
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=30)).sent == 0
    assert run_at(moto_stack, run, datetime(2026, 12, 1, 22, 0, tzinfo=UTC)).sent == 0
    assert not [m for m in about(ses, MEETING_DAY) if m.to == late["email"]]
    # The new second Tuesday is reminded of as usual, to everyone.
    assert run_at(moto_stack, run, DEC_8 - timedelta(days=1)).sent == 3
    assert {m.to for m in about(ses, "2026-12-08")} == {m["email"] for m in [*told, late]}


def test_a_date_dropped_before_anyone_was_told_tells_nobody(moto_stack: Stack) -> None:
    c = moto_stack.container
    make_group(c, reminder_leads_minutes=[1440, 60])
    add_members(c, 2)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    patch(c, {"schedule": {"rrule": "FREQ=MONTHLY;BYDAY=2TU"}})
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 0
    assert about(ses, MEETING_DAY) == []


def test_a_meeting_moved_a_week_later_after_its_reminder_is_reminded_of_again(moto_stack: Stack) -> None:
    c = moto_stack.container
    make_group(c, reminder_leads_minutes=[1440, 60])
    [member] = add_members(c, 1)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 1  # the day-before reminder for Dec 1
    c.meetings.put_override(GROUP_ID, MEETING_DAY, {"starts_at": "2026-12-08T16:00:00-07:00"}, organizer_id="o")
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15)).sent == 1
    assert ses.accepted[-1].subject.startswith("Moved to Tue Dec 8, 4:00 PM Mountain · ")
    assert run_at(moto_stack, run, DEC_8 - timedelta(days=2)).sent == 0
    # The day before the new date: the day-before reminder, for the new time.
    assert run_at(moto_stack, run, DEC_8 - timedelta(days=1)).sent == 1
    reminder = ses.accepted[-1]
    assert reminder.subject.startswith("Tomorrow 4:00 PM Mountain · ")
    assert reminder.tags["message"] == "r1440@20261208T2300Z"
    assert run_at(moto_stack, run, DEC_8 - timedelta(days=1, minutes=-15)).sent == 0  # once
    assert run_at(moto_stack, run, DEC_8 - timedelta(minutes=60)).sent == 1  # and the hour before
    assert ses.accepted[-1].tags["message"] == "r60@20261208T2300Z"
    assert [m.to for m in ses.accepted] == [member["email"]] * 4


def test_a_move_told_within_the_reminders_reach_is_not_reminded_twice(moto_stack: Stack) -> None:
    c = moto_stack.container
    make_group(c, reminder_leads_minutes=[1440, 60])
    add_members(c, 1)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 1
    # Moved two hours later: the move notice goes 24.5 hours before the new time ...
    c.meetings.put_override(GROUP_ID, MEETING_DAY, {"starts_at": "2026-12-01T18:00:00-07:00"}, organizer_id="o")
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(hours=1, minutes=30)).sent == 1
    # ... which is the day-before reminder for the new time: no second one when it falls due.
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(hours=2)).sent == 0
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(hours=4)).sent == 0
    assert [m.tags["message"][:1] for m in ses.accepted] == ["r", "n"]
