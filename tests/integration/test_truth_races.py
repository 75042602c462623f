"""What members are told stays true under races (issue 19, section 3): every read-modify-write of
a shared item is conditional, so a change an organizer makes while something else reads and writes
the same item is never undone. The interleavings are forced (deterministic), on DynamoDB Local
where the outcome depends on the engine's conditions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.joinlinks.tokens import token_hash
from tests.support.builders import (
    GROUP_ID,
    MEETING_DAY,
    T_MINUS_1D,
    add_members,
    distributor,
    make_group,
    personal_link,
    run_at,
)
from tests.support.fakes import FakeSes
from tests.support.stacks import Stack

NEW_ZOOM = "https://example.zoom.us/j/11122233344?pwd=NewRoom"


def _patch_group(c: Any, body: dict[str, Any]) -> None:
    group = c.groups.get(GROUP_ID)
    c.groups.update(GROUP_ID, {"version": group["version"], **body}, if_match=None)


def test_a_reminder_never_carries_a_link_replaced_after_the_run_planned(moto_stack: Stack) -> None:
    c = moto_stack.container
    make_group(c)
    [member] = add_members(c, 1)
    old_link = personal_link(moto_stack, member["email"])
    ses = FakeSes()
    run = distributor(moto_stack, ses)
    moto_stack.clock.set(T_MINUS_1D)
    planned = run.plan()
    assert len(planned.tasks) == 1
    c.join_links.replace_link(GROUP_ID, member["id"], organizer_id="org_a")  # the old link is revoked now
    run.execute(planned)
    assert all(old_link not in m.text for m in ses.accepted), "a reminder carried the revoked link"
    # The revoked link's row was not written back by the claim: it stays revoked.
    assert c.join_links.repo.link(token_hash(old_link.rsplit("/", 1)[1])) is None
    # The next run sends the reminder, with the new link.
    again = run_at(moto_stack, run, T_MINUS_1D + timedelta(minutes=15))
    assert again.sent == 1
    new_link = personal_link(moto_stack, member["email"])
    assert new_link != old_link and new_link in ses.accepted[-1].text


def test_a_window_refresh_from_an_old_group_record_never_undoes_a_new_zoom_link(moto_stack: Stack) -> None:
    c = moto_stack.container
    make_group(c)
    read_earlier = c.groups.get(GROUP_ID)  # the scheduled run reads every group first ...
    _patch_group(c, {"zoom_url": NEW_ZOOM})  # ... an organizer changes the room meanwhile ...
    c.join_links.refresh(read_earlier)  # ... then the run rewrites this group's window
    window = c.join_links.repo.window(GROUP_ID)
    assert window is not None and window["zoom_url"] == NEW_ZOOM


def test_a_zoom_link_changed_while_the_run_rewrites_the_window_stands(ddb_stack: Stack) -> None:
    run_side = ddb_stack.build()
    organizer_side = ddb_stack.build()
    make_group(organizer_side)
    ddb_stack.clock.set(T_MINUS_1D)
    stale = run_side.groups.get(GROUP_ID)
    real_put = run_side.join_links.repo.put_window
    interleaved = []

    def put_after_the_organizer(window: Any, **kwargs: Any) -> Any:
        # The run has read the group and computed the window: now the organizer saves a new room
        # (which rewrites the window itself), then the run's write arrives.
        if not interleaved:
            interleaved.append(True)
            _patch_group(organizer_side, {"zoom_url": NEW_ZOOM})
            assert organizer_side.join_links.repo.window(GROUP_ID)["zoom_url"] == NEW_ZOOM  # type: ignore[index]
        return real_put(window, **kwargs)

    run_side.join_links.repo.put_window = put_after_the_organizer  # type: ignore[method-assign]
    from chalicelib.distribution.scheduled import every_quarter_hour

    run_side.groups.all = lambda: [stale]  # type: ignore[method-assign]
    every_quarter_hour(run_side)
    assert interleaved
    window = organizer_side.join_links.repo.window(GROUP_ID)
    assert window is not None and window["zoom_url"] == NEW_ZOOM  # not undone until the next run


def test_a_note_saved_while_another_organizer_cancels_keeps_the_meeting_cancelled(ddb_stack: Stack) -> None:
    first = ddb_stack.build()
    second = ddb_stack.build()
    make_group(first)
    ddb_stack.clock.set(T_MINUS_1D - timedelta(days=3))
    real_put = first.meetings.overrides.put
    interleaved = []

    def put_after_the_cancellation(*args: Any, **kwargs: Any) -> Any:
        # The first organizer's save has read the meeting (scheduled) and decided; now the second
        # organizer cancels it; then the first save's write arrives.
        if not interleaved:
            interleaved.append(True)
            second.meetings.put_override(GROUP_ID, MEETING_DAY, {"status": "cancelled"}, organizer_id="org_b")
        return real_put(*args, **kwargs)

    first.meetings.overrides.put = put_after_the_cancellation  # type: ignore[method-assign]
    saved = first.meetings.put_override(GROUP_ID, MEETING_DAY, {"note": "Bring tea"}, organizer_id="org_a")
    assert interleaved
    meeting = second.meetings.meeting_on(second.groups.get(GROUP_ID), MEETING_DAY)
    assert (meeting.status, meeting.note) == ("cancelled", "Bring tea")
    assert (saved.status, saved.sequence) == ("cancelled", meeting.sequence)
    # The window the personal links read says cancelled too.
    window = second.join_links.repo.window(GROUP_ID)
    assert window is not None
    assert [m["status"] for m in window["meetings"] if m["date"] == MEETING_DAY] == ["cancelled"]


def test_two_organizers_saving_the_same_meeting_at_once_both_land(ddb_stack: Stack) -> None:
    import threading

    make_group(ddb_stack.container)
    ddb_stack.clock.set(T_MINUS_1D - timedelta(days=3))
    sides = [ddb_stack.build() for _ in range(6)]
    barrier = threading.Barrier(len(sides))
    errors: list[BaseException] = []
    refused: set[int] = set()

    def save(n: int) -> None:
        barrier.wait()
        body = {"status": "cancelled"} if n == 0 else {"note": f"Note {n}"}
        try:
            sides[n].meetings.put_override(GROUP_ID, MEETING_DAY, body, organizer_id=f"org_{n}")
        except Exception as exc:  # a StaleVersion after every retry would be acceptable, nothing else
            errors.append(exc)
            refused.add(n)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(len(sides))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(type(e).__name__ == "StaleVersion" for e in errors), errors
    stored = ddb_stack.container.meetings.overrides.get(GROUP_ID, MEETING_DAY)
    assert stored is not None
    # No note-only save put it back on; the cancel itself may be the save refused after its retries
    # (six writers at once on a loaded machine), and then the organizer was told so.
    assert stored["status"] == ("scheduled" if 0 in refused else "cancelled")
    assert stored["sequence"] == len(sides) - len(errors)  # every save that answered OK is one revision


def test_two_organizers_replacing_one_members_link_at_once_make_one_new_link(ddb_stack: Stack) -> None:
    import pytest

    from chalicelib.errors import Conflict

    first, second = ddb_stack.build(), ddb_stack.build()
    make_group(first)
    [member] = add_members(first, 1)
    ddb_stack.clock.set(T_MINUS_1D)
    read_before = first.signups.repo.get(GROUP_ID, member["id"])
    second.join_links.replace_link(GROUP_ID, member["id"], organizer_id="org_b")
    first.join_links.signups.get = lambda *_args: read_before  # type: ignore[method-assign,assignment,return-value]
    with pytest.raises(Conflict):
        first.join_links.replace_link(GROUP_ID, member["id"], organizer_id="org_a")
    stored = second.signups.repo.get(GROUP_ID, member["id"])
    assert stored is not None and (stored["link_rev"], stored["version"]) == (1, 2)
