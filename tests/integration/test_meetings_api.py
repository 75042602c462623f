"""Meetings over HTTP: the public list and feed (never the link), organizer overrides,
the deliveries report, the reminder email itself, and the scheduled function."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar

from chalicelib import container
from chalicelib.mail.backends import OutboxMailer
from tests.support.builders import (
    GROUP_ID,
    MEETING_DAY,
    T_MINUS_30M,
    ZOOM_URL,
    add_members,
    as_json,
    distributor,
    make_group,
    outbox_messages,
    personal_link,
    run_at,
    send,
)
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

MEETINGS = f"/groups/{GROUP_ID}/meetings"


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return make_group(container.current())


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_public_meetings_and_feed_never_carry_the_link(api: Any, group: dict[str, Any]) -> None:
    listed = api.http.get(f"{MEETINGS}?count=3")
    assert listed.status_code == 200
    meetings = as_json(listed)["meetings"]
    assert len(meetings) == 3
    assert all(m["starts_at"][11:19] == "16:00:00" for m in meetings)
    assert set(meetings[0]) == {"date", "starts_at", "ends_at", "status", "note"}
    feed = api.http.get(f"{MEETINGS}.ics")
    assert feed.status_code == 200
    cal = Calendar.from_ical(feed.body)
    assert len(cal.walk("VEVENT")) == 12
    for response in (listed, feed, api.http.get(f"/groups/{GROUP_ID}")):
        assert ZOOM_URL.encode() not in response.body
        assert b"424242" not in response.body
    assert api.http.get(f"{MEETINGS}?count=0").status_code == 400
    assert api.http.get(f"{MEETINGS}?count=abc").status_code == 400
    assert api.http.get("/groups/nope/meetings").status_code == 404


def test_overrides_cancel_move_note_and_delete(api: Any, group: dict[str, Any], organizer_key: str) -> None:
    day = as_json(api.http.get(f"{MEETINGS}?count=2"))["meetings"][1]["date"]
    cancelled = send(api, "PUT", f"{MEETINGS}/{day}", {"status": "cancelled", "note": "Holiday"}, organizer_key)
    assert cancelled.status_code == 200
    assert as_json(cancelled)["status"] == "cancelled"
    listed = {m["date"]: m for m in as_json(api.http.get(f"{MEETINGS}?count=3"))["meetings"]}
    assert listed[day]["status"] == "cancelled"
    assert listed[day]["note"] == "Holiday"
    moved = send(api, "PUT", f"{MEETINGS}/{day}", {"starts_at": f"{day}T17:00:00-07:00"}, organizer_key)
    assert as_json(moved)["status"] == "moved"
    assert send(api, "DELETE", f"{MEETINGS}/{day}", None, organizer_key).status_code == 204
    assert send(api, "DELETE", f"{MEETINGS}/{day}", None, organizer_key).status_code == 404
    assert as_json(api.http.get(f"{MEETINGS}?count=3"))["meetings"][1]["status"] == "scheduled"


@pytest.mark.parametrize(
    ("path_day", "body", "status", "field"),
    [
        ("2026-12-02", {"status": "cancelled"}, 404, None),
        ("not-a-date", {"status": "cancelled"}, 404, None),
        (MEETING_DAY, {"status": "moved"}, 400, "starts_at"),
        (MEETING_DAY, {"status": "cancelled", "starts_at": "2026-12-02T16:00:00-07:00"}, 400, "starts_at"),
        (MEETING_DAY, {"starts_at": "2026-12-02T16:00:00"}, 400, "starts_at"),
        (MEETING_DAY, {"starts_at": "2027-06-02T16:00:00-06:00"}, 400, "starts_at"),
        (MEETING_DAY, {"status": "postponed"}, 400, "status"),
        (MEETING_DAY, {"note": "x" * 1001}, 400, "note"),
        (MEETING_DAY, {"colour": "red"}, 400, "colour"),
    ],
)
def test_bad_overrides_are_refused(
    api: Any,
    group: dict[str, Any],
    organizer_key: str,
    path_day: str,
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    response = send(api, "PUT", f"{MEETINGS}/{path_day}", body, organizer_key)
    assert response.status_code == status
    if field:
        assert field in as_json(response)["error"]["fields"]
    assert container.current().meetings.overrides.between(GROUP_ID, from_date="2026-01-01", to_date="2031-01-01") == {}


def test_overrides_need_a_key(api: Any, group: dict[str, Any]) -> None:
    assert send(api, "PUT", f"{MEETINGS}/{MEETING_DAY}", {"status": "cancelled"}).status_code == 401


def test_deliveries_report_answers_did_i_get_the_link(
    api: Any, moto_stack: Stack, group: dict[str, Any], organizer_key: str
) -> None:
    add_members(container.current(), 3)
    add_members(container.current(), 1, prefix="bounced", status="bounced")
    ses = FakeSes(reject={"m2@example.org"})
    run_at(moto_stack, distributor(moto_stack, ses, workers=1), T_MINUS_30M)
    from chalicelib.distribution.report import ReportFilter

    reports = container.current().deliveries_report
    report = reports.build(GROUP_ID, MEETING_DAY, only=ReportFilter(), now=T_MINUS_30M, lease_now=0)
    # the 1-day reminders were never sent (everyone joined within the last day): not pending
    assert report["counts"] == {"sent": 2, "failed": 1, "pending": 0, "suppressed": 1}
    early = reports.build(GROUP_ID, MEETING_DAY, only=ReportFilter(), now=T_MINUS_30M - timedelta(days=2), lease_now=0)
    assert early["counts"]["pending"] == 3  # seen from two days before: the 1-day reminders are still to come
    mine = as_json(
        api.http.get(f"{MEETINGS}/{MEETING_DAY}/deliveries?email=M0@example.org", headers=auth(organizer_key))
    )
    by_reminder = {d["reminder"]: d for d in mine["deliveries"]}
    assert by_reminder["r60"]["status"] == "sent"
    assert by_reminder["r60"]["sent_at"]
    failed = as_json(api.http.get(f"{MEETINGS}/{MEETING_DAY}/deliveries?status=failed", headers=auth(organizer_key)))
    assert failed["deliveries"][0]["reason"] == "MessageRejected"
    assert api.http.get(f"{MEETINGS}/{MEETING_DAY}/deliveries").status_code == 401
    assert api.http.get(f"{MEETINGS}/2026-12-02/deliveries", headers=auth(organizer_key)).status_code == 404


def test_the_reminder_email(moto_stack: Stack, group: dict[str, Any]) -> None:
    add_members(container.current(), 1, state="ID")
    settings = container.current().settings
    mailer = OutboxMailer(settings.outbox_dir, settings.mail_from)
    run_at(moto_stack, distributor(moto_stack, mailer), T_MINUS_30M)
    [message] = outbox_messages(moto_stack.outbox)
    assert message["Subject"] == "In 30 minutes · 4:00 PM Mountain / 3:00 PM Pacific · MBC Connection Group"
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(  # the time first
        "Hello Member 0,\n\nTuesday, December 1, 2026 at 4:00 PM Mountain / 3:00 PM Pacific\n"
        "The MBC Connection Group meets in 30 minutes.\n"
    )
    assert "/signups/manage?token=" in text and "Questions? Write to" in text
    assert (
        "MBC Connection Group usually meets: First Tuesday of every month, 4:00 PM Mountain / 3:00 PM Pacific." in text
    )
    assert message["Reply-To"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = personal_link(moto_stack, message["To"])
    for body in (text, html):
        assert link in body and ZOOM_URL not in body
        assert "424242" not in body  # the passcode is behind the personal link (the join-details policy)
    [invite] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert invite.get_param("method") == "PUBLISH"
    cal = Calendar.from_ical(invite.get_content())
    assert str(cal["METHOD"]) == "PUBLISH"
    # The group's series (so the meetings are in the calendar once) and this meeting as its instance.
    master, event = cal.walk("VEVENT")
    assert str(master["UID"]) == str(event["UID"]) == f"series-{GROUP_ID}@mbc-connect"
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=1TU"
    assert master.decoded("DTSTART").isoformat() == "2026-12-01T16:00:00-07:00"
    assert event.decoded("RECURRENCE-ID").isoformat() == "2026-12-01T16:00:00-07:00"
    assert str(event["LOCATION"]) == str(event["URL"]) == str(master["URL"]) == link  # never the room
    assert event.decoded("DTSTART").isoformat() == "2026-12-01T16:00:00-07:00"


def test_scheduled_function_and_no_link_in_any_log(
    moto_stack: Stack, group: dict[str, Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice.test import Client

    from app import app
    from tests.support.stacks import ROOT

    caplog.set_level(logging.INFO)
    add_members(container.current(), 2)
    ses = FakeSes()
    # chalice.test gives every invocation a 3-second context; the real function has 900 s.
    # The schedule event is stamped with the (injected) wall clock: an older one would be dropped as late.
    moto_stack.rebuild(mailer=ses, safety_margin=0.5, lease_clock=lambda: T_MINUS_30M.timestamp() + 5)
    moto_stack.clock.set(T_MINUS_30M)
    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        event["time"] = "2026-12-01T22:30:00Z"
        result = client.lambda_.invoke("distribute_links", event).payload
    assert result["sent"] == 2
    assert len(ses.accepted) == 2
    assert ZOOM_URL not in caplog.text
    assert "424242" not in caplog.text
    assert "@example.org" not in caplog.text
