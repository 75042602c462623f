"""Issue 21 item 3 on the real engine: "No meeting in July" is one action. An organizer cancels a
meeting seven months ahead with her own words and asks to tell members now: one conditional write
(the override) promises the cancellation, which every active member gets exactly once (overlapping
runs included) carrying her message; that meeting then gets no reminder, no room opening, and the
calendar feed leaves it out."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from chalicelib import container
from chalicelib.distribution.runner import Distributor
from tests.support.builders import GROUP_ID, add_members, distributor, ledger, make_group, run_at
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

JULY = "2027-07-06"  # the first Tuesday of July 2027: 4:00 PM MDT = 22:00Z
JULY_START = datetime(2027, 7, 6, 22, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
HER_WORDS = "No meeting in July: enjoy the summer, and we meet again on August 3."


def _july_mails(ses: FakeSes) -> list[object]:
    return [m for m in ses.accepted if "Jul 6" in m.subject]


def test_a_cancellation_months_ahead_told_now_reaches_each_member_once_with_her_words(ddb_stack: Stack) -> None:
    c = container.current()
    make_group(c)
    members = add_members(c, 4)
    for record in members:
        ddb_stack.client.put_item(**c.join_links.activation_item(record)["Put"])
    ddb_stack.clock.set(NOW)
    c.meetings.put_override(
        GROUP_ID, JULY, {"status": "cancelled", "note": HER_WORDS, "tell_now": True}, organizer_id="org-1"
    )

    ses = FakeSes()
    runs = [distributor(ddb_stack, ses) for _ in range(3)]
    barrier = threading.Barrier(3)

    def go(run: Distributor) -> None:
        barrier.wait()
        run.run()

    threads = [threading.Thread(target=go, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run_at(ddb_stack, distributor(ddb_stack, ses), NOW + timedelta(minutes=15))

    told = _july_mails(ses)
    assert sorted(m.to for m in told) == sorted(m["email"] for m in members)  # each exactly once
    assert {m.tags["kind"] for m in told} == {"cancelled"}
    for mail in told:
        assert HER_WORDS in mail.text and mail.subject.startswith("Cancelled: Tue Jul 6, 4:00 PM")
    rows = ledger(ddb_stack, JULY)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"sent"}

    # Closer to the date (the usual announcement, the day-before and half-hour reminders): nothing more.
    later_run = distributor(ddb_stack, ses)
    for moment in (
        JULY_START - timedelta(days=35),
        JULY_START - timedelta(days=1),
        JULY_START - timedelta(minutes=30),
        JULY_START + timedelta(minutes=10),
    ):
        run_at(ddb_stack, later_run, moment)
    assert len(_july_mails(ses)) == 4
    assert len(ledger(ddb_stack, JULY)) == 4

    # The room never opens for it, and the calendar leaves it out.
    ddb_stack.clock.set(JULY_START - timedelta(minutes=5))
    c.join_links.refresh(c.groups.get(GROUP_ID))
    click = c.join_clicks.open(c.join_links.token(members[0]), source_ip="203.0.113.7")
    assert click.result != "room"
    ddb_stack.clock.set(NOW)
    from chalicelib.meetings.calendar import meeting_calendar

    group = c.groups.get(GROUP_ID)
    from icalendar import Calendar

    feed = Calendar.from_ical(meeting_calendar(group, c.meetings.upcoming(group, count=12), stamp=NOW))
    statuses = {str(ev["dtstart"].dt.date()): str(ev["status"]) for ev in feed.walk("VEVENT")}
    assert statuses[JULY] == "CANCELLED" and statuses["2027-08-03"] == "CONFIRMED"


def test_without_tell_now_the_cancellation_waits_for_the_announcement_horizon(ddb_stack: Stack) -> None:
    c = container.current()
    make_group(c)
    add_members(c, 2)
    ddb_stack.clock.set(NOW)
    c.meetings.put_override(GROUP_ID, JULY, {"status": "cancelled", "note": HER_WORDS}, organizer_id="org-1")
    ses = FakeSes()
    run = distributor(ddb_stack, ses)
    run_at(ddb_stack, run, NOW)
    assert _july_mails(ses) == []
    run_at(ddb_stack, run, JULY_START - timedelta(days=35))  # announce_days (35) before
    assert len(_july_mails(ses)) == 2 and all(HER_WORDS in m.text for m in _july_mails(ses))
