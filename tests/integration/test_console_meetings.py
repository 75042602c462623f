"""Issue 21 items 3 and 4 in the console (moto): any month's meetings, however far ahead, without
typing an address; cancelling with her own words, told now or on a date the page names; and a
preview that says on which date each member is told, as the run then does, refusing a move Save
refuses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import Invalid
from tests.support.builders import GROUP_ID, MEETING_DAY, add_members, distributor, make_group, run_at
from tests.support.console import Console, text_of
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack, make_client

NOW = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
MEETINGS = f"/console/groups/{GROUP_ID}/meetings"
HER_WORDS = "No meeting in July: enjoy the summer."


@pytest.fixture
def world(moto_stack: Stack) -> Iterator[tuple[Stack, Console]]:
    moto_stack.clock.set(NOW)
    c = moto_stack.container
    make_group(c, announce_days=14)
    c.organizers.create(name="Cora Coordinator", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    with make_client(moto_stack) as client:
        console = Console(client)
        console.sign_in(moto_stack, "cora@example.org")
        yield moto_stack, console


def test_any_month_ahead_is_listed_and_reached_by_links_and_a_month_choice(world: tuple[Stack, Console]) -> None:
    _, console = world
    default = console.get(MEETINGS)
    words = text_of(default)
    assert "The next six months" in words and "Tue, Jan 5, 2027" in words and "Jul 6, 2027" not in words
    assert f'href="{MEETINGS}?month=2027-06"' in default.body.decode()  # "Later: June 2027"
    assert '<option value="2027-07">July 2027</option>' in default.body.decode()
    july = console.get(f"{MEETINGS}?month=2027-07")
    body = july.body.decode()
    assert july.status_code == 200 and "July 2027" in text_of(july)
    assert f'href="{MEETINGS}/2027-07-06"' in body  # the meeting seven months ahead, one tap away
    assert f"{MEETINGS}?month=2027-06" in body and f"{MEETINGS}?month=2027-08" in body
    far = console.get(f"{MEETINGS}?month=2029-12")
    assert far.status_code == 200 and f"{MEETINGS}/2029-12-04" in far.body.decode()
    bad = console.get(f"{MEETINGS}?month=2026-13")
    assert bad.status_code == 400 and "Choose a month from December 2026" in text_of(bad)


def test_cancelling_july_with_her_words_told_now_is_one_action(world: tuple[Stack, Console]) -> None:
    stack, console = world
    add_members(stack.container, 3)
    path = f"{MEETINGS}/2027-07-06"
    assert 'name="tell_now" value="yes" checked' in console.get(path).body.decode()
    fields = {"change": "cancel", "note": HER_WORDS, "tell_now": "yes"}
    preview = text_of(console.post(path, fields | {"action": "preview"}))
    assert "3 members will get a cancellation notice now (3 of them were never told" in preview
    # Not told now: the page names the date the run will tell them (14 days before, announce_days).
    waiting = text_of(console.post(path, {"change": "cancel", "note": HER_WORDS, "action": "preview"}))
    assert "3 members will get a cancellation notice on Tuesday, June 22, 2027 (not before)." in waiting
    saved = console.post(path, fields | {"action": "save"})
    assert saved.status_code == 303 and "done=meeting&" in saved.headers["Location"] + "&"
    july = text_of(console.get(f"{MEETINGS}?month=2027-07"))
    assert "Cancelled" in july and HER_WORDS in july
    ses = FakeSes()
    run_at(stack, distributor(stack, ses), NOW + timedelta(minutes=15))
    assert len(ses.accepted) == 3 and all(HER_WORDS in m.text and m.tags["kind"] == "cancelled" for m in ses.accepted)


def test_the_preview_names_the_date_the_run_tells_them_and_the_run_keeps_it(world: tuple[Stack, Console]) -> None:
    stack, console = world
    add_members(stack.container, 2)
    path = f"{MEETINGS}/2027-02-02"  # 4:00 PM MST = 23:00Z; 14 days before: Tuesday, January 19
    preview = text_of(console.post(path, {"change": "cancel", "note": "", "action": "preview"}))
    assert "2 members will get a cancellation notice on Tuesday, January 19, 2027 (not before)." in preview
    saved = console.post(path, {"change": "cancel", "note": "", "action": "save"})
    assert "done=meeting_later" in saved.headers["Location"]
    assert "Members are told on Tuesday, January 19, 2027" in text_of(console.get(saved.headers["Location"]))
    ses = FakeSes()
    run = distributor(stack, ses)
    told_at = datetime(2027, 1, 19, 23, 0, tzinfo=UTC)
    run_at(stack, run, told_at - timedelta(minutes=15))
    assert [m for m in ses.accepted if m.tags["kind"] == "cancelled"] == []
    run_at(stack, run, told_at)
    assert len([m for m in ses.accepted if m.tags["kind"] == "cancelled"]) == 2


def test_a_meeting_moved_a_week_later_is_told_when_the_preview_says(moto_stack: Stack) -> None:
    """The report: five days before a meeting (announce_days 7), moved a week later: the preview said
    "now" and the run sent nothing for days (the run looked at the meeting by its new date only)."""
    moto_stack.clock.set(datetime(2026, 11, 26, 17, 0, tzinfo=UTC))
    c = moto_stack.container
    make_group(c, announce_days=7)
    c.organizers.create(name="Cora", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    add_members(c, 2)
    with make_client(moto_stack) as client:
        console = Console(client)
        console.sign_in(moto_stack, "cora@example.org")
        path = f"{MEETINGS}/{MEETING_DAY}"
        fields = {"change": "move", "new_date": "2026-12-08", "new_time": "16:00", "note": ""}
        preview = text_of(console.post(path, fields | {"action": "preview"}))
        assert "2 members will get a change notice now" in preview
        assert console.post(path, fields | {"action": "save"}).status_code == 303
    ses = FakeSes()
    run_at(moto_stack, distributor(moto_stack, ses), datetime(2026, 11, 26, 17, 15, tzinfo=UTC))
    assert sorted(m.tags["kind"] for m in ses.accepted) == ["changed", "changed"]


def test_a_move_save_would_refuse_is_refused_in_the_preview_with_the_same_words(world: tuple[Stack, Console]) -> None:
    stack, console = world
    add_members(stack.container, 1)
    path = f"{MEETINGS}/2027-01-05"
    fields = {"change": "move", "new_date": "2027-02-09", "new_time": "16:00", "note": ""}
    preview = console.post(path, fields | {"action": "preview"})
    words = text_of(preview)
    assert preview.status_code == 400
    assert "A meeting can move at most 31 days from its scheduled date." in words
    assert "Who will be told" not in words and "Save and tell them" not in words
    saved = console.post(path, fields | {"action": "save"})
    assert saved.status_code == 400
    meeting = stack.container.meetings.meeting_on(stack.container.groups.get(GROUP_ID), "2027-01-05")
    assert meeting.status == "scheduled"
    assert re.search(r"at most 31 days", text_of(saved))


def test_a_move_into_the_past_is_refused_in_the_preview_by_save_and_by_the_api(world: tuple[Stack, Console]) -> None:
    """Moving the January meeting to yesterday (within 31 days) was previewed as "Nobody needs to be
    told" and saved: the meeting vanished from every member's upcoming list and got no reminders."""
    stack, console = world
    add_members(stack.container, 2)
    path = f"{MEETINGS}/2027-01-05"
    fields = {"change": "move", "new_date": "2026-12-05", "new_time": "16:00", "note": ""}
    preview = console.post(path, fields | {"action": "preview"})
    assert preview.status_code == 400
    assert "Choose a time that has not passed." in text_of(preview) and "Who will be told" not in text_of(preview)
    saved = console.post(path, fields | {"action": "save"})
    assert saved.status_code == 400 and "Choose a time that has not passed." in text_of(saved)
    c = stack.container
    with pytest.raises(Invalid) as refused:
        c.meetings.put_override(
            GROUP_ID, "2027-01-05", {"status": "moved", "starts_at": "2026-12-06T09:00:00-07:00"}, organizer_id="o"
        )
    assert refused.value.fields == {"starts_at": "Choose a time that has not passed."}
    assert c.meetings.meeting_on(c.groups.get(GROUP_ID), "2027-01-05").status == "scheduled"
    # Later today is still a time she may choose.
    later = c.meetings.put_override(
        GROUP_ID, "2027-01-05", {"status": "moved", "starts_at": "2026-12-06T16:00:00-07:00"}, organizer_id="o"
    )
    assert later.status == "moved"


def test_one_member_never_told_is_counted_in_the_singular(world: tuple[Stack, Console]) -> None:
    stack, console = world
    add_members(stack.container, 1)
    fields = {"change": "cancel", "note": HER_WORDS, "tell_now": "yes", "action": "preview"}
    preview = text_of(console.post(f"{MEETINGS}/2027-07-06", fields))
    assert "1 member will get a cancellation notice now (1 of them was never told about this meeting" in preview


def test_the_previews_subject_shows_only_the_zones_of_the_members_told(world: tuple[Stack, Console]) -> None:
    """Every member told is in Montana (Mountain time): the subject she will see shows Mountain
    only, as her email does; a group with a member shown both zones still shows both."""
    stack, console = world
    add_members(stack.container, 2, state="MT")
    fields = {"change": "cancel", "note": HER_WORDS, "tell_now": "yes", "action": "preview"}
    path = f"{MEETINGS}/2027-07-06"
    mountain = text_of(console.post(path, fields))
    assert "Cancelled: Tue Jul 6, 4:00 PM Mountain · MBC Connection Group" in mountain
    assert "Pacific" not in mountain
    add_members(stack.container, 1, prefix="id", state="ID")  # Idaho, no zone chosen: shown both
    both = text_of(console.post(path, fields))
    assert "Cancelled: Tue Jul 6, 4:00 PM Mountain / 3:00 PM Pacific" in both
