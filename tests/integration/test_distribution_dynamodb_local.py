"""Zoom-link distribution on the real engine: exactly once under overlapping runs,
throttling, crashes and deadlines; late joiners; cancelled and moved meetings."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest

from chalicelib import container
from chalicelib.distribution.runner import Distributor
from chalicelib.signups.links import MemberLink
from tests.support.builders import (
    GROUP_ID,
    MEETING_DAY,
    T_MINUS_1D,
    T_MINUS_30M,
    ZOOM_URL,
    add_members,
    distributor,
    ledger,
    make_group,
    personal_link,
    run_at,
)
from tests.support.fakes import Crash, FakeSes
from tests.support.stacks import Stack


def test_three_overlapping_runs_over_500_members_with_throttling_send_each_once(ddb_stack: Stack) -> None:
    make_group(container.current())
    members = add_members(container.current(), 500)
    ses = FakeSes(throttle_rate=0.1, seed=3)
    runs = [distributor(ddb_stack, ses) for _ in range(3)]
    reports = []
    barrier = threading.Barrier(3)

    ddb_stack.clock.set(T_MINUS_30M)

    def go(run: Distributor) -> None:
        barrier.wait()
        reports.append(run.run())

    threads = [threading.Thread(target=go, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A run that gave up on throttling leaves its work to the next run.
    sweep = run_at(ddb_stack, distributor(ddb_stack, ses), T_MINUS_30M + timedelta(minutes=15))
    per_member = ses.per_recipient(kind="reminder")
    assert ses.throttled > 0
    assert set(per_member) == {m["email"] for m in members}
    assert max(per_member.values()) == 1  # duplicates: 0
    assert sum(r.sent for r in reports) + sweep.sent == 500
    rows = ledger(ddb_stack)
    assert Counter(r["status"] for r in rows) == {"sent": 500}
    assert {r["kind"] for r in rows} == {"r60"}


def test_a_run_that_dies_mid_batch_is_resumed(ddb_stack: Stack) -> None:
    make_group(container.current())
    members = add_members(container.current(), 40)
    fake_now = [1_000_000.0]
    dying = FakeSes(crash_after=15, crash_before_accept=True)
    with pytest.raises(Crash):
        run_at(ddb_stack, distributor(ddb_stack, dying, workers=1, lease_clock=lambda: fake_now[0]), T_MINUS_30M)
    assert len(dying.accepted) == 15
    claimed = [r for r in ledger(ddb_stack) if r["status"] == "claimed"]
    assert len(claimed) == 1  # the one in flight when the process died
    ses = FakeSes()
    early = run_at(
        ddb_stack, distributor(ddb_stack, ses, lease_clock=lambda: fake_now[0] + 60), T_MINUS_30M + timedelta(minutes=1)
    )
    assert early.sent == 24  # everyone but the claim whose lease is still running
    fake_now[0] += 301  # the dead run's lease runs out
    late = run_at(
        ddb_stack, distributor(ddb_stack, ses, lease_clock=lambda: fake_now[0]), T_MINUS_30M + timedelta(minutes=15)
    )
    assert late.sent == 1
    everyone = Counter(m.to for m in dying.accepted) + ses.per_recipient()
    assert everyone == Counter({m["email"]: 1 for m in members})


def test_the_only_duplicate_window_is_after_ses_accepts_and_before_the_ledger_records(ddb_stack: Stack) -> None:
    make_group(container.current())
    add_members(container.current(), 10)
    fake_now = [1_000_000.0]
    dying = FakeSes(crash_after=4, crash_before_accept=False)
    with pytest.raises(Crash):
        run_at(ddb_stack, distributor(ddb_stack, dying, workers=1, lease_clock=lambda: fake_now[0]), T_MINUS_30M)
    fake_now[0] += 301
    ses = FakeSes()
    run_at(ddb_stack, distributor(ddb_stack, ses, lease_clock=lambda: fake_now[0]), T_MINUS_30M + timedelta(minutes=15))
    total = Counter(m.to for m in dying.accepted) + ses.per_recipient()
    duplicates = sum(n - 1 for n in total.values())
    assert len(total) == 10
    assert duplicates == 1  # measured: exactly the one message in that window


def test_a_run_near_its_deadline_stops_cleanly(ddb_stack: Stack) -> None:
    make_group(container.current())
    add_members(container.current(), 30)
    ses = FakeSes()
    budget = iter([100.0] * 12 + [5.0] * 1000)
    report = run_at(
        ddb_stack, distributor(ddb_stack, ses, workers=1), T_MINUS_30M, remaining_seconds=lambda: next(budget)
    )
    assert report.stopped == "deadline"
    assert 0 < report.sent < 30
    rows = ledger(ddb_stack)
    assert all(r["status"] == "sent" for r in rows)  # no orphaned claims
    assert len(rows) == report.sent == len(ses.accepted)
    rest = run_at(ddb_stack, distributor(ddb_stack, ses), T_MINUS_30M + timedelta(minutes=15))
    assert report.sent + rest.sent == 30
    assert max(ses.per_recipient().values()) == 1


def test_account_errors_stop_the_run_at_once_and_rejections_are_recorded(
    ddb_stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    make_group(container.current())
    add_members(container.current(), 10)
    ses = FakeSes(reject={"m0@example.org"}, account_error_after=4)
    report = run_at(ddb_stack, distributor(ddb_stack, ses, workers=1), T_MINUS_30M)
    assert report.stopped == "account"
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # the run's structured line
    assert (summary["event"], summary["stopped"]) == ("distribution_run", "account")
    rows = {r["signup_id"]: r for r in ledger(ddb_stack)}
    assert all(r["status"] in ("sent", "failed") for r in rows.values())
    failed = [r for r in rows.values() if r["status"] == "failed"]
    if failed:
        assert failed[0]["reason"] == "MessageRejected"
    again = run_at(
        ddb_stack, distributor(ddb_stack, FakeSes(reject={"m0@example.org"})), T_MINUS_30M + timedelta(minutes=15)
    )
    rows_after = ledger(ddb_stack)
    assert Counter(r["status"] for r in rows_after) == {"sent": 9, "failed": 1}  # rejection not retried forever
    assert again.sent + report.sent == 9


def test_two_reminders_per_meeting_and_nothing_for_people_who_left(ddb_stack: Stack) -> None:
    make_group(container.current())
    add_members(container.current(), 3)
    add_members(container.current(), 2, prefix="gone", status="unsubscribed")
    add_members(container.current(), 1, prefix="bounced", status="bounced")
    add_members(container.current(), 1, prefix="rejected", status="rejected")
    ses = FakeSes()
    run = distributor(ddb_stack, ses)
    assert run_at(ddb_stack, run, T_MINUS_1D - timedelta(minutes=1)).planned == 0  # not yet
    assert run_at(ddb_stack, run, T_MINUS_1D).sent == 3
    assert run_at(ddb_stack, run, T_MINUS_1D + timedelta(minutes=15)).sent == 0
    assert run_at(ddb_stack, run, T_MINUS_30M).sent == 3
    assert run_at(ddb_stack, run, T_MINUS_30M + timedelta(minutes=15)).sent == 0
    assert run_at(ddb_stack, run, T_MINUS_30M + timedelta(hours=3)).planned == 0  # the meeting is over
    assert ses.per_recipient() == Counter({f"m{n}@example.org": 2 for n in range(3)})
    reminder = ses.accepted[0]
    link = personal_link(ddb_stack, reminder.to)
    assert link in reminder.text and link in reminder.html  # the member's own link...
    assert ZOOM_URL not in reminder.text + reminder.html  # ...never the room itself
    assert "424242" not in reminder.text  # the passcode is behind the personal link by default


def test_late_joiner_gets_the_link_at_once_and_not_again(ddb_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    make_group(container.current(), requires_approval=True)
    add_members(container.current(), 2)
    ses = FakeSes()
    app = ddb_stack.rebuild(mailer=ses)  # approvals trigger this container's distributor
    run = app.distributor
    run_at(ddb_stack, run, T_MINUS_1D)
    service = app.signups
    ddb_stack.clock.set(T_MINUS_1D + timedelta(hours=20))
    service.submit(
        GROUP_ID,
        service.parse_form({"name": "Late", "email": "late@example.org", "state": "ID", "consent": True}),
        source_ip="1.2.3.4",
    )
    ddb_stack.drain()
    late_id = service.repo.page(GROUP_ID, status="pending_confirmation", limit=5, start_key=None)[0][0]["id"]
    record = service.repo.get(GROUP_ID, late_id)
    assert record is not None
    ddb_stack.clock.set(T_MINUS_1D + timedelta(hours=21))
    service.confirm(MemberLink(GROUP_ID, late_id, record["gen"]))
    ddb_stack.drain()
    assert ses.per_recipient(kind="reminder").get("late@example.org") is None  # awaiting approval: nothing yet
    ddb_stack.clock.set(T_MINUS_1D + timedelta(hours=22))
    service.approve(GROUP_ID, late_id, organizer_id="org_1")
    capsys.readouterr()
    ddb_stack.drain()  # the welcome, and the catch-up that sends the link due now
    assert ses.per_recipient(kind="reminder")["late@example.org"] == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [catch_up] = [line for line in lines if line.get("event") == "distribution_run"]
    # Its summary says it was one member's catch-up: the alarms do not take it for the schedule working.
    assert (catch_up["scope"], catch_up["sent"]) == ("member", 1)
    late_mail = [m for m in ses.accepted if m.to == "late@example.org" and m.tags["kind"] == "reminder"][0]
    assert "4:00 PM Mountain / 3:00 PM Pacific" in late_mail.text  # Idaho, zone not said: both
    assert run_at(ddb_stack, run, T_MINUS_1D + timedelta(hours=22, minutes=15)).sent == 0  # the ledger has it
    run_at(ddb_stack, run, T_MINUS_30M)
    assert ses.per_recipient(kind="reminder")["late@example.org"] == 2  # and the 1-hour reminder like everyone


def test_cancelled_meeting_sends_one_notice_to_every_active_member_and_no_reminders(ddb_stack: Stack) -> None:
    make_group(container.current())
    add_members(container.current(), 3)
    ses = FakeSes()
    run = distributor(ddb_stack, ses)
    run_at(ddb_stack, run, T_MINUS_1D)
    add_members(container.current(), 1, prefix="new")  # joined after the reminder: told of the cancellation too
    container.current().meetings.put_override(
        GROUP_ID, MEETING_DAY, {"status": "cancelled", "note": "Snow storm"}, organizer_id="org_1"
    )
    first = run_at(ddb_stack, run, T_MINUS_1D + timedelta(minutes=15))
    second = run_at(ddb_stack, run, T_MINUS_30M)
    assert (first.sent, second.sent) == (4, 0)
    notices = [m for m in ses.accepted if m.tags["kind"] == "cancelled"]
    assert sorted(m.to for m in notices) == [f"m{n}@example.org" for n in range(3)] + ["new0@example.org"]
    assert notices[0].subject == "Cancelled: Tue Dec 1, 4:00 PM Mountain · MBC Connection Group"
    assert "Snow storm" in notices[0].text
    assert ZOOM_URL not in notices[0].text
    ics = notices[0].attachments[0].content.decode()
    assert "STATUS:CANCELLED" in ics and "UID:series-mbc-connection-group@mbc-connect" in ics
    assert "RECURRENCE-ID;TZID=America/Denver:20261201T160000" in ics and "RRULE" not in ics  # the one meeting


def test_moved_meeting_sends_the_new_time_then_reminds_for_it(ddb_stack: Stack) -> None:
    make_group(container.current())
    add_members(container.current(), 2)
    ses = FakeSes()
    run = distributor(ddb_stack, ses)
    run_at(ddb_stack, run, T_MINUS_1D)
    moved = container.current().meetings.put_override(
        GROUP_ID, MEETING_DAY, {"starts_at": "2026-12-02T16:00:00-07:00"}, organizer_id="org_1"
    )
    assert moved.status == "moved"
    assert run_at(ddb_stack, run, T_MINUS_1D + timedelta(minutes=15)).sent == 2
    notice = [m for m in ses.accepted if m.tags["kind"] == "changed"][0]
    assert notice.subject == "Moved to Wed Dec 2, 4:00 PM Mountain · MBC Connection Group"
    assert "Wednesday, December 2, 2026 at 4:00 PM Mountain" in notice.text
    assert personal_link(ddb_stack, notice.to) in notice.text
    assert "SEQUENCE:1" in notice.attachments[0].content.decode()
    assert run_at(ddb_stack, run, T_MINUS_30M).sent == 0  # the old 1-hour mark means nothing now
    assert run_at(ddb_stack, run, T_MINUS_30M + timedelta(days=1)).sent == 2  # 1 hour before the new time
    assert run_at(ddb_stack, run, T_MINUS_30M + timedelta(days=1, minutes=15)).sent == 0


def test_a_meeting_moved_weeks_later_still_gets_its_reminders(ddb_stack: Stack) -> None:
    make_group(container.current())
    add_members(container.current(), 2)
    ses = FakeSes()
    run = distributor(ddb_stack, ses)
    container.current().meetings.put_override(
        GROUP_ID, MEETING_DAY, {"starts_at": "2026-12-22T16:00:00-07:00"}, organizer_id="org_1"
    )
    announced = run_at(ddb_stack, run, T_MINUS_30M)  # three weeks ahead: within the announcement horizon
    assert announced.sent == 2
    assert {m.subject for m in ses.accepted} == {"Moved to Tue Dec 22, 4:00 PM Mountain · MBC Connection Group"}
    assert run_at(ddb_stack, run, T_MINUS_30M + timedelta(minutes=15)).sent == 0  # told once
    ddb_stack.clock.set(T_MINUS_30M + timedelta(days=18))
    listed = container.current().meetings.upcoming_for(GROUP_ID, count=2)
    assert [(m.date, m.status, m.starts_at.date().isoformat()) for m in listed] == [
        ("2026-12-01", "moved", "2026-12-22"),  # identified by its scheduled date, held at the new one
        ("2027-01-05", "scheduled", "2027-01-05"),
    ]
    late = run_at(ddb_stack, run, T_MINUS_30M + timedelta(days=21))  # 1 hour before the new time, 3 weeks on
    assert late.sent == 2
    assert all("Tuesday, December 22, 2026 at 4:00 PM" in m.text for m in ses.accepted)
    assert [m.tags["kind"] for m in ses.accepted] == ["changed", "changed", "reminder", "reminder"]
