"""Issue 21 item 4 as a property (moto): the date the console's preview names for a member (the
planner's ``told_at``) is the date the scheduled run first plans her message. For any cancellation
or move of any meeting, told now or not, any announcement horizon and any moment of the change:
the run plans nothing for her about that meeting at the moment of the change or a minute before the
named instant, and plans exactly that message at it; when nothing is named, nothing is planned."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.distribution.planner import told_at
from chalicelib.errors import Invalid, NotFound
from tests.support.builders import GROUP_ID, add_members, make_group
from tests.support.stacks import Stack

# First Tuesdays of 2027 (4:00 PM Mountain): the meetings the examples change.
DAYS = [f"2027-{m:02d}-{d:02d}" for m, d in [(1, 5), (2, 2), (3, 2), (4, 6), (5, 4), (6, 1), (7, 6), (8, 3)]]


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    day=st.sampled_from(DAYS),
    change=st.sampled_from(["cancel", "move"]),
    move_days=st.integers(min_value=-31, max_value=31).filter(lambda d: d != 0),
    tell_now=st.booleans(),
    announce_days=st.sampled_from([1, 7, 35]),
    days_before=st.integers(min_value=0, max_value=70),
    minutes=st.integers(min_value=0, max_value=1439),
)
def test_the_named_instant_is_when_the_run_first_plans_it(
    moto_stack: Stack,
    day: str,
    change: str,
    move_days: int,
    tell_now: bool,
    announce_days: int,
    days_before: int,
    minutes: int,
) -> None:
    c = moto_stack.container
    if c.groups.find(GROUP_ID) is None:
        moto_stack.clock.set(datetime(2026, 12, 1, tzinfo=UTC))
        make_group(c)
        add_members(c, 1)
    group = c.groups.get(GROUP_ID)
    if group["announce_days"] != announce_days:
        group = c.groups.update(GROUP_ID, {"version": group["version"], "announce_days": announce_days}, if_match=None)
    scheduled = c.meetings.meeting_on(group, day).scheduled_starts_at
    now = scheduled - timedelta(days=days_before, minutes=minutes)
    moto_stack.clock.set(now)
    with contextlib.suppress(NotFound):  # a fresh start for this date (no earlier example's override)
        c.meetings.delete_override(GROUP_ID, day, organizer_id="o")
    body: dict[str, object] = {"tell_now": tell_now}
    if change == "cancel":
        body["status"] = "cancelled"
    else:
        body["starts_at"] = (scheduled + timedelta(days=move_days)).isoformat()
        if scheduled + timedelta(days=move_days) <= now:
            with pytest.raises(Invalid):  # a move into the past is refused: nothing to tell
                c.meetings.put_override(GROUP_ID, day, body, organizer_id="o")
            return
    meeting = c.meetings.put_override(GROUP_ID, day, body, organizer_id="o")
    if meeting.ends_at <= now:
        return  # a meeting already over: nothing to tell

    lease_now = time.time()  # real clock: claims' leases are wall-clock seconds (the planner's lease_now)
    planner = c.planner

    def planned(at: datetime) -> list[str]:
        return [t.message.type for t in planner.plan(group, now=at, lease_now=lease_now) if t.meeting.date == day]

    due = told_at(group, meeting, c.ledger.rows(GROUP_ID, day), now=now, lease_now=lease_now)
    if due is None:
        assert planned(now) == [] and planned(meeting.starts_at - timedelta(minutes=1)) == []
        return
    moment, message = due
    assert planned(moment) == [message.type]
    if moment > now:
        assert planned(now) == []
        assert planned(moment - timedelta(minutes=1)) == []
