"""A weekly group's meeting cancelled half a year ahead and told now (moto): the invites members get
afterwards carry the whole series with that date excluded, so no later invite puts a meeting they
were told is off back into their calendars (the series lists only the next 12 meetings otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from chalicelib.errors import Invalid
from chalicelib.mail.message import OutgoingEmail
from tests.support.builders import GROUP_ID, add_members, distributor, make_group, run_at
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

NOW = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
FAR = "2027-06-08"  # a Tuesday 26 weeks on


def _exdates(mail: OutgoingEmail) -> set[str]:
    ics = next(a for a in mail.attachments if a.filename == "meeting.ics")
    out: set[str] = set()
    for event in Calendar.from_ical(ics.content).walk("VEVENT"):
        entries = event.get("exdate") or []
        for entry in entries if isinstance(entries, list) else [entries]:
            out |= {str(d.dt.date()) for d in entry.dts}
    return out


def test_the_series_excludes_a_meeting_cancelled_beyond_its_next_twelve(moto_stack: Stack) -> None:
    moto_stack.clock.set(NOW)
    c = moto_stack.container
    make_group(c, schedule={"rrule": "FREQ=WEEKLY;BYDAY=TU"})
    add_members(c, 1)
    c.meetings.put_override(
        GROUP_ID, FAR, {"status": "cancelled", "note": "Summer break.", "tell_now": True}, organizer_id="o"
    )
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    run_at(moto_stack, run, NOW + timedelta(minutes=15))
    [cancelled] = ses.accepted
    assert cancelled.tags["kind"] == "cancelled" and "Summer break." in cancelled.text
    # The day-before reminder of the next meeting (Tuesday, December 8): its series excludes June 8.
    run_at(moto_stack, run, datetime(2026, 12, 7, 23, 0, tzinfo=UTC))
    reminder = ses.accepted[-1]
    assert reminder.tags["kind"] == "reminder"
    assert FAR in _exdates(reminder)


def test_tell_now_with_notify_false_is_refused_by_field_and_writes_nothing(moto_stack: Stack) -> None:
    moto_stack.clock.set(NOW)
    c = moto_stack.container
    make_group(c)
    body = {"status": "cancelled", "tell_now": True, "notify": False}
    with pytest.raises(Invalid) as refused:
        c.meetings.put_override(GROUP_ID, "2027-07-06", body, organizer_id="o")
    assert set(refused.value.fields) == {"tell_now"}
    assert c.meetings.meeting_on(c.groups.get(GROUP_ID), "2027-07-06").status == "scheduled"
