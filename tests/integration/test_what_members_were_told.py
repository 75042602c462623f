"""Every change to a meeting reaches every member, once (issue 11): each scenario as an organizer
makes it (over the HTTP API), with the scheduled run at chosen instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from chalicelib.mail.message import OutgoingEmail
from tests.support.builders import (
    GROUP_ID,
    MEETING_DAY,
    T_MINUS_1D,
    T_MINUS_30M,
    ZOOM_URL,
    add_members,
    as_json,
    distributor,
    make_group,
    personal_link,
    run_at,
    send,
)
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

MEETING = f"/groups/{GROUP_ID}/meetings/{MEETING_DAY}"
SETTINGS = f"/groups/{GROUP_ID}/settings"
NEW_ZOOM = "https://example.zoom.us/j/11122233344?pwd=NewRoom"


def invite(mail: OutgoingEmail) -> dict[str, Any]:
    [attachment] = mail.attachments
    cal = Calendar.from_ical(attachment.content)
    # The meeting itself: the instance of the group's series (the series' master rides along
    # with every invitation but a cancellation).
    [event] = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e]
    return {
        "method": str(cal["METHOD"]),
        "uid": str(event["UID"]),
        "recurrence_id": event.decoded("RECURRENCE-ID").astimezone(UTC),
        "events": len(cal.walk("VEVENT")),
        "sequence": int(event["SEQUENCE"]),
        "start": event.decoded("DTSTART").astimezone(UTC),
        "status": str(event["STATUS"]),
        "url": str(event.get("URL", "")),
        "content_method": attachment.params["method"],
    }


class Organizer:
    """The organizer's side, over the API."""

    def __init__(self, api: Any, key: str) -> None:
        self.api, self.key = api, key

    def put(self, body: dict[str, Any], day: str = MEETING_DAY) -> Any:
        return send(self.api, "PUT", f"/groups/{GROUP_ID}/meetings/{day}", body, self.key)

    def delete(self, query: str = "") -> Any:
        return send(self.api, "DELETE", MEETING + query, None, self.key)

    def patch(self, body: dict[str, Any]) -> Any:
        version = as_json(send(self.api, "GET", SETTINGS, None, self.key))["version"]
        return send(self.api, "PATCH", SETTINGS, {"version": version, **body}, self.key)


@pytest.fixture
def organizer(api: Any, organizer_key: str, moto_stack: Stack) -> Organizer:
    make_group(moto_stack.container)
    return Organizer(api, organizer_key)


def since(ses: FakeSes, start: int) -> list[OutgoingEmail]:
    return ses.accepted[start:]


def test_moved_back_and_moved_again_each_reach_everyone_told(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 2)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 2  # told: 4 PM
    assert organizer.put({"starts_at": "2026-12-01T17:00:00-07:00"}).status_code == 200
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15)).sent == 2
    moved = since(ses, 2)
    assert {m.subject for m in moved} == {"Moved to 5:00 PM Mountain · MBC Connection Group, Dec 1"}
    assert organizer.delete().status_code == 204  # back to the schedule: 4 PM
    back = run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=30))
    assert back.sent == 2
    assert {m.subject for m in since(ses, 4)} == {"Moved to 4:00 PM Mountain · MBC Connection Group, Dec 1"}
    assert organizer.put({"starts_at": "2026-12-01T17:00:00-07:00"}).status_code == 200  # 5 PM again
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=45)).sent == 2
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(hours=1)).sent == 0  # told once
    # A note-only PUT keeps the move (and tells nobody: time, status and link are unchanged).
    noted = organizer.put({"note": "Bring a cup of tea"})
    assert as_json(noted)["status"] == "moved" and as_json(noted)["starts_at"].startswith("2026-12-01T17:00")
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(hours=2)).sent == 0
    sequences = [invite(m)["sequence"] for m in ses.accepted if m.to == "m0@example.org"]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    last = [m for m in ses.accepted if m.to == "m0@example.org"][-1]
    assert invite(last)["start"] == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 5 PM MST


def test_start_time_change_after_the_day_before_reminder(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 2)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    run_at(moto_stack, run, T_MINUS_1D)
    first_sequence = invite(ses.accepted[0])["sequence"]
    patched = organizer.patch({"schedule": {"start_time": "14:00"}})
    assert patched.status_code == 200 and as_json(patched)["schedule_rev"] == 1
    assert run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15)).sent == 2
    notice = ses.accepted[2]
    assert notice.subject == "Moved to 2:00 PM Mountain · MBC Connection Group, Dec 1"
    assert "Tuesday, December 1, 2026 at 2:00 PM Mountain" in notice.text
    assert "4:00 PM" in notice.text  # what they were told before
    assert invite(notice)["sequence"] > first_sequence
    # The hour-before reminder is at the new time, with the grown SEQUENCE.
    new_hour_before = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
    assert run_at(moto_stack, run, new_hour_before).sent == 2
    reminder = ses.accepted[-1]
    assert invite(reminder)["start"] == datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    assert invite(reminder)["sequence"] == invite(notice)["sequence"]
    assert "Please note" not in reminder.text  # nothing new since the notice


def test_a_new_zoom_room_needs_no_email_but_new_phone_details_do(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 3)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    run_at(moto_stack, run, T_MINUS_30M)
    links = {m.to: personal_link(moto_stack, m.to) for m in ses.accepted}
    assert all(links[m.to] in m.text and ZOOM_URL not in m.text for m in ses.accepted)
    # The room is replaced after the hour-before reminder: the personal links lead to the new one at once.
    assert organizer.patch({"zoom_url": NEW_ZOOM}).status_code == 200
    assert run_at(moto_stack, run, T_MINUS_30M + timedelta(minutes=5)).sent == 0
    opened = organizer.api.http.get(links["m0@example.org"].replace("http://api.test", ""))
    assert (opened.status_code, opened.headers["Location"]) == (303, NEW_ZOOM)
    # A new meeting ID (shown to people who join by phone) is news: one notice each.
    assert organizer.patch({"zoom_meeting_id": "987 6543 2100"}).status_code == 200
    assert run_at(moto_stack, run, T_MINUS_30M + timedelta(minutes=10)).sent == 3
    notices = since(ses, 3)
    assert {m.subject for m in notices} == {"New joining details · MBC Connection Group, Dec 1"}
    assert all("Meeting ID: 987 6543 2100" in m.text and links[m.to] in m.text for m in notices)
    assert all(invite(m)["url"] == links[m.to] for m in notices)
    assert run_at(moto_stack, run, T_MINUS_30M + timedelta(minutes=20)).sent == 0
    # The passcode is not in emails by default (only behind the personal link): changing it sends nothing.
    assert organizer.patch({"zoom_passcode": "777777"}).status_code == 200
    assert run_at(moto_stack, run, T_MINUS_30M + timedelta(minutes=25)).sent == 0


def test_deleting_an_override_never_lowers_the_sequence(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 1)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    for n in range(4):  # four edits: the override's revision is 4
        organizer.put({"note": f"edit {n}"})
    run_at(moto_stack, run, T_MINUS_1D)
    assert invite(ses.accepted[-1])["sequence"] == 4
    assert organizer.delete().status_code == 204
    assert organizer.delete().status_code == 404  # nothing left to remove
    run_at(moto_stack, run, T_MINUS_30M)
    assert invite(ses.accepted[-1])["sequence"] == 5
    feed = Calendar.from_ical(organizer.api.http.get(f"/groups/{GROUP_ID}/meetings.ics").body)
    [first] = [e for e in feed.walk("VEVENT") if MEETING_DAY in str(e["UID"])]
    assert int(first["SEQUENCE"]) == 5


def test_cancelled_weeks_ahead_reaches_every_member_then_back_on(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 3)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    three_weeks_ahead = T_MINUS_1D - timedelta(days=20)
    assert organizer.put({"status": "cancelled", "note": "Holiday week"}).status_code == 200
    assert run_at(moto_stack, run, three_weeks_ahead).sent == 3
    cancel = ses.accepted[0]
    assert cancel.subject == "Cancelled: Tue Dec 1, 4:00 PM Mountain · MBC Connection Group"
    assert ZOOM_URL not in cancel.text and "Holiday week" in cancel.text
    meta = invite(cancel)
    assert (meta["method"], meta["content_method"], meta["status"]) == ("CANCEL", "CANCEL", "CANCELLED")
    assert meta["uid"] == f"series-{GROUP_ID}@mbc-connect" and meta["events"] == 1  # only the instance
    assert meta["recurrence_id"].isoformat() == "2026-12-01T23:00:00+00:00"
    assert run_at(moto_stack, run, three_weeks_ahead + timedelta(days=1)).sent == 0
    add_members(moto_stack.container, 1, prefix="later")  # joins after the cancellation: told it too
    assert run_at(moto_stack, run, three_weeks_ahead + timedelta(days=2)).sent == 1
    assert organizer.put({"status": "scheduled"}).status_code == 200  # back on
    assert run_at(moto_stack, run, three_weeks_ahead + timedelta(days=3)).sent == 4
    back = since(ses, 4)
    assert {m.subject for m in back} == {"Back on: Tue Dec 1, 4:00 PM Mountain · MBC Connection Group"}
    assert all(personal_link(moto_stack, m.to) in m.text and invite(m)["sequence"] > meta["sequence"] for m in back)
    assert run_at(moto_stack, run, T_MINUS_1D).sent == 4  # and the reminders as usual


def test_a_cancellation_beyond_the_horizon_waits_for_it(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 1)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    organizer.put({"status": "cancelled"}, day="2027-02-02")
    assert run_at(moto_stack, run, datetime(2026, 12, 5, 12, 0, tzinfo=UTC)).sent == 0  # 59 days ahead
    assert run_at(moto_stack, run, datetime(2026, 12, 30, 0, 0, tzinfo=UTC)).sent == 1  # 35 days ahead


def test_approval_on_meeting_day_says_today(moto_stack: Stack, organizer: Organizer) -> None:
    from chalicelib.signups.links import MemberLink

    ses = FakeSes()
    app = moto_stack.rebuild(mailer=ses)
    one_pm = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # 1 PM MST on meeting day
    moto_stack.clock.set(one_pm - timedelta(hours=1))
    form = app.signups.parse_form({"name": "Dee", "email": "dee@example.org", "state": "MT", "consent": True})
    app.signups.submit(GROUP_ID, form, source_ip="10.0.0.1")
    moto_stack.drain()
    [record] = app.signups.repo.page(GROUP_ID, status=None, limit=5, start_key=None)[0]
    app.signups.confirm(MemberLink(GROUP_ID, record["id"], record["gen"]))
    moto_stack.clock.set(one_pm)
    app.signups.approve(GROUP_ID, record["id"], organizer_id="org_1")
    moto_stack.drain()
    [reminder] = [m for m in ses.accepted if m.tags["kind"] == "reminder"]
    assert reminder.subject == "Today 4:00 PM Mountain · MBC Connection Group"
    assert "meets today at 4:00 PM Mountain." in reminder.text
    assert "tomorrow" not in reminder.text.lower()


def test_subjects_stay_short_with_a_long_group_name(moto_stack: Stack) -> None:
    make_group(moto_stack.container, name="Metastatic Breast Cancer Connection Group of Idaho and Montana (evenings)")
    add_members(moto_stack.container, 1)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    run_at(moto_stack, run, T_MINUS_1D)
    moto_stack.container.meetings.put_override(
        GROUP_ID, MEETING_DAY, {"starts_at": "2026-12-08T16:00:00-07:00"}, organizer_id="org_1"
    )
    run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15))
    assert [len(m.subject) <= 78 for m in ses.accepted] == [True, True]
    assert ses.accepted[0].subject.startswith("Tomorrow 4:00 PM Mountain · Metastatic Breast Cancer")
    assert ses.accepted[0].subject.endswith("…")
    assert ses.accepted[1].subject.startswith("Moved to Tue Dec 8, 4:00 PM Mountain · ")


def test_weekly_group_with_a_30_day_lead_is_planned_that_far(moto_stack: Stack) -> None:
    make_group(
        moto_stack.container,
        schedule={"rrule": "FREQ=WEEKLY;BYDAY=TU", "start_time": "16:00", "timezone": "America/Denver"},
        reminder_leads_minutes=[43200, 60],
    )
    add_members(moto_stack.container, 1)
    ses = FakeSes()
    report = run_at(moto_stack, distributor(moto_stack, ses), datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    # Every Tuesday within the next 30 days gets its 30-day reminder now: Nov 3 to Dec 1.
    assert report.sent == 5
    assert sorted(m.tags["meeting"] for m in ses.accepted) == [
        "2026-11-03",
        "2026-11-10",
        "2026-11-17",
        "2026-11-24",
        "2026-12-01",
    ]


def test_notify_false_only_before_anyone_was_told(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 2)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    moto_stack.clock.set(T_MINUS_1D - timedelta(days=3))
    # A typo fixed before anyone heard of the meeting: no announcement.
    fixed = organizer.put({"starts_at": "2026-12-01T16:30:00-07:00", "notify": False})
    assert fixed.status_code == 200
    assert run_at(moto_stack, run, T_MINUS_1D - timedelta(days=3)).sent == 0
    day_before = T_MINUS_1D + timedelta(minutes=30)
    assert run_at(moto_stack, run, day_before).sent == 2  # the reminder has the corrected time
    assert "4:30 PM" in ses.accepted[0].text
    refused = organizer.put({"starts_at": "2026-12-01T17:00:00-07:00", "notify": False})
    assert refused.status_code == 409
    assert as_json(refused)["error"]["fields"] == {"notify": "Only for a change before anyone was told."}
    assert "2 members were already told" in as_json(refused)["error"]["message"]
    assert organizer.patch({"zoom_meeting_id": "987 6543 2100", "notify": False}).status_code == 409
    assert organizer.patch({"zoom_url": NEW_ZOOM, "notify": False}).status_code == 200  # nobody is told of rooms
    assert organizer.delete("?notify=false").status_code == 409
    assert organizer.delete("?notify=maybe").status_code == 400
    assert run_at(moto_stack, run, day_before + timedelta(minutes=15)).sent == 0  # nothing changed


def test_deliveries_report_shows_what_each_member_was_told(moto_stack: Stack, organizer: Organizer) -> None:
    add_members(moto_stack.container, 2)
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    run_at(moto_stack, run, T_MINUS_1D)
    organizer.put({"starts_at": "2026-12-01T17:00:00-07:00"})
    moto_stack.clock.set(T_MINUS_1D + timedelta(minutes=5))
    report = as_json(send(organizer.api, "GET", f"{MEETING}/deliveries", None, organizer.key))
    members = {m["email"]: m for m in report["members"]}
    assert members["m0@example.org"]["last_told"]["starts_at"] == "2026-12-01T23:00:00+00:00"
    assert members["m0@example.org"]["last_told"]["join_details_current"] is True
    assert members["m0@example.org"]["up_to_date"] is False
    assert members["m0@example.org"]["notice_pending"] is True
    run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15))
    report = as_json(send(organizer.api, "GET", f"{MEETING}/deliveries", None, organizer.key))
    members = {m["email"]: m for m in report["members"]}
    assert members["m0@example.org"]["last_told"]["starts_at"] == "2026-12-02T00:00:00+00:00"
    assert members["m0@example.org"]["last_told"]["type"] == "changed"
    assert (members["m0@example.org"]["up_to_date"], members["m0@example.org"]["notice_pending"]) == (True, False)
