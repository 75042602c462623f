"""What a personal link does when opened (chalicelib/joinlinks/click.py), on moto through the
service: the room from the exact second the window opens until the meeting ends, the waiting page
otherwise, the same answer for every link that does not (or no longer) lead anywhere, the rate
limits and the records they keep. The clock is the stack's, set before anything happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.container import Container
from chalicelib.joinlinks.click import OPENED_RETENTION, PER_TOKEN_PER_MINUTE, UNKNOWN_PER_IP_PER_MINUTE
from chalicelib.joinlinks.records import IP_RATE_PREFIX, TOKEN_RATE_PREFIX
from chalicelib.joinlinks.service import link_of
from chalicelib.joinlinks.tokens import token_hash
from chalicelib.signing import keyed_hash
from chalicelib.signups.records import SignupRecord
from tests.support.builders import GROUP_ID, MEETING_DAY, ZOOM_URL, add_members, group_body
from tests.support.stacks import Stack

START = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 4:00 PM MST; the room opens 30 minutes before
OPENS = START - timedelta(minutes=30)
END = START + timedelta(minutes=90)
NEXT_START = datetime(2027, 1, 5, 23, 0, tzinfo=UTC)
IP = "203.0.113.7"


class Member:
    def __init__(self, stack: Stack, record: SignupRecord) -> None:
        self.stack, self.record = stack, record
        self.token = stack.container.join_links.token(record)

    def opens(self, at: datetime, *, ip: str = IP) -> Any:
        self.stack.clock.set(at)
        return self.stack.container.join_clicks.open(self.token, source_ip=ip)


def activate(c: Container, stack: Stack, record: SignupRecord) -> None:
    item = c.join_links.activation_item(record)["Put"]
    stack.client.put_item(**item)


@pytest.fixture
def member(moto_stack: Stack) -> Member:
    c = moto_stack.container
    moto_stack.clock.set(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    c.groups.create(group_body())  # writes the group's join window
    [record] = add_members(c, 1)
    activate(c, moto_stack, record)
    return Member(moto_stack, record)


def opened_rows(stack: Stack, day: str = MEETING_DAY) -> list[Any]:
    return [r for r in stack.container.ledger.rows(GROUP_ID, day) if r["kind"] == "opened"]


# ---------------------------------------------------------------- the window


def test_the_room_opens_at_exactly_its_advertised_second(member: Member) -> None:
    early = member.opens(OPENS - timedelta(seconds=1))
    assert (early.result, early.location) == ("wait", None)
    assert early.meeting is not None and early.meeting["date"] == MEETING_DAY
    assert datetime.fromisoformat(early.meeting["opens"]) == OPENS  # what the waiting page advertises
    on_time = member.opens(OPENS)
    assert (on_time.result, on_time.location) == ("open", ZOOM_URL)
    assert on_time.meeting is not None and on_time.meeting["date"] == MEETING_DAY
    assert on_time.member is not None and on_time.member["id"] == member.record["id"]
    assert on_time.window is not None and on_time.window["group_id"] == GROUP_ID


def test_the_room_stays_open_until_the_meeting_ends(member: Member) -> None:
    assert member.opens(END - timedelta(seconds=1)).result == "open"
    after = member.opens(END)
    assert after.result == "wait"
    assert after.meeting is not None and after.meeting["date"] == "2027-01-05"


def test_the_waiting_page_shows_the_next_meeting_and_two_after_it(member: Member) -> None:
    waiting = member.opens(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    assert waiting.result == "wait" and waiting.location is None
    assert waiting.meeting is not None and waiting.meeting["date"] == MEETING_DAY
    assert [m["date"] for m in waiting.later] == ["2027-01-05", "2027-02-02"]
    assert waiting.member is not None and waiting.window is not None
    assert opened_rows(member.stack) == []  # waiting is not opening


def test_a_window_with_nothing_ahead_waits_with_no_meeting(member: Member) -> None:
    # The window lists the next six meetings as of its last refresh; long after, none is ahead.
    waiting = member.opens(datetime(2027, 9, 1, 12, 0, tzinfo=UTC))
    assert (waiting.result, waiting.meeting, waiting.later) == ("wait", None, [])
    assert waiting.member is not None and waiting.window is not None


def test_a_cancelled_meeting_never_opens(member: Member) -> None:
    stack = member.stack
    stack.clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    stack.container.meetings.put_override(GROUP_ID, MEETING_DAY, {"status": "cancelled"}, organizer_id="org_1")
    during = member.opens(START)
    assert (during.result, during.location) == ("wait", None)
    assert during.meeting is not None and (during.meeting["date"], during.meeting["status"]) == (
        MEETING_DAY,
        "cancelled",
    )
    assert [m["date"] for m in during.later] == ["2027-01-05", "2027-02-02"]
    assert opened_rows(stack) == []


def test_opening_is_recorded_once_with_its_time_and_expiry(member: Member) -> None:
    first = OPENS + timedelta(minutes=3)
    member.opens(first)
    member.opens(first + timedelta(minutes=5))
    [row] = opened_rows(member.stack)
    assert row["signup_id"] == member.record["id"]
    assert row["opened_at"] == first.isoformat()
    assert int(row["expires_at"]) == int((END + OPENED_RETENTION).timestamp())
    assert timedelta(days=90) == OPENED_RETENTION


# ---------------------------------------------------------------- links that lead nowhere


def test_links_that_lead_nowhere_are_all_unknown(member: Member, moto_stack: Stack) -> None:
    c = moto_stack.container
    moto_stack.clock.set(START)
    for token in ("short", "x" * 28, "a" * 26 + "!", "a" * 27):  # implausible, or plausible but never issued
        answer = c.join_clicks.open(token, source_ip=IP)
        assert (answer.result, answer.location, answer.member, answer.window) == ("unknown", None, None, None)
    assert member.opens(START).result == "open"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "unsubscribed"},
        {"gen": "2"},  # a later signup of the same person
        {"link_rev": 1},  # an organizer replaced the link
    ],
)
def test_a_link_stops_when_its_member_changes(member: Member, moto_stack: Stack, change: dict[str, Any]) -> None:
    record = {**member.record, **change}
    moto_stack.container.signups.repo.transition(
        GROUP_ID,
        member.record["id"],
        from_statuses=("active",),
        to_status=record["status"],
        set_values={k: v for k, v in change.items() if k != "status"},
    )
    answer = member.opens(START)
    assert (answer.result, answer.location, answer.member) == ("unknown", None, None)


def test_a_group_without_a_window_opens_nothing(member: Member, moto_stack: Stack) -> None:
    from chalicelib.db import key
    from chalicelib.joinlinks.records import WINDOW_PREFIX, WINDOW_SK

    moto_stack.client.delete_item(TableName=moto_stack.table, Key=key(WINDOW_PREFIX + GROUP_ID, WINDOW_SK))
    assert member.opens(START).result == "unknown"


def test_a_link_whose_member_record_is_gone_opens_nothing(member: Member, moto_stack: Stack) -> None:
    from chalicelib.signups.storage import signup_key

    moto_stack.client.delete_item(TableName=moto_stack.table, Key=signup_key(GROUP_ID, member.record["id"]))
    assert member.opens(START).result == "unknown"


def test_the_link_row_alone_does_not_open_the_room(member: Member, moto_stack: Stack) -> None:
    # An older link revision's row written back (a run that planned before a replacement) stays dead.
    c = moto_stack.container
    stale = {**link_of(member.record), "link_rev": 5}
    moto_stack.client.put_item(**c.join_link_items.new_link_item(token_hash(member.token), stale)["Put"])
    assert member.opens(START).result == "unknown"


# ---------------------------------------------------------------- rate limits


def test_one_link_is_limited_per_minute(member: Member) -> None:
    minute = datetime(2026, 12, 1, 22, 40, 0, tzinfo=UTC)
    answers = [member.opens(minute + timedelta(seconds=n)).result for n in range(PER_TOKEN_PER_MINUTE + 1)]
    assert answers == ["open"] * PER_TOKEN_PER_MINUTE + ["limited"]
    limited = member.opens(minute + timedelta(seconds=59))
    assert (limited.result, limited.location, limited.retry_after) == ("limited", None, 60)
    assert limited.member is not None and limited.window is not None  # the page can still name the group
    assert member.opens(minute + timedelta(minutes=1)).result == "open"  # the next minute


def test_unknown_links_are_limited_per_address(moto_stack: Stack) -> None:
    c = moto_stack.container
    minute = datetime(2026, 12, 1, 22, 40, 0, tzinfo=UTC)
    moto_stack.clock.set(minute)
    answers = [c.join_clicks.open(f"{n:027d}", source_ip=IP).result for n in range(UNKNOWN_PER_IP_PER_MINUTE + 1)]
    assert answers == ["unknown"] * UNKNOWN_PER_IP_PER_MINUTE + ["limited"]
    assert c.join_clicks.open("short", source_ip=IP).result == "limited"  # implausible ones count too
    assert c.join_clicks.open("short", source_ip="198.51.100.1").result == "unknown"  # another address
    moto_stack.clock.set(minute + timedelta(minutes=1))
    assert c.join_clicks.open("short", source_ip=IP).result == "unknown"


def test_a_dead_links_tries_count_against_the_address_that_tries(member: Member, moto_stack: Stack) -> None:
    moto_stack.container.signups.repo.transition(
        GROUP_ID, member.record["id"], from_statuses=("active",), to_status="unsubscribed", set_values={}
    )
    minute = datetime(2026, 12, 1, 22, 40, 0, tzinfo=UTC)
    answers = [member.opens(minute, ip=IP).result for _ in range(UNKNOWN_PER_IP_PER_MINUTE + 1)]
    assert answers == ["unknown"] * UNKNOWN_PER_IP_PER_MINUTE + ["limited"]
    assert member.opens(minute, ip="198.51.100.1").result == "unknown"  # another address is not held


def counter(stack: Stack, pk: str, at: datetime) -> dict[str, Any]:
    from chalicelib.db import key

    item = stack.client.get_item(TableName=stack.table, Key=key(pk, at.strftime("%Y-%m-%dT%H:%M")))["Item"]
    return {"n": int(item["n"]["N"]), "expires_at": int(item["expires_at"]["N"])}


def test_the_counters_are_kept_ten_minutes_from_their_minute(member: Member, moto_stack: Stack) -> None:
    at = datetime(2026, 12, 1, 22, 40, 30, tzinfo=UTC)
    member.opens(at)
    member.opens(at + timedelta(seconds=10))
    mine = counter(moto_stack, TOKEN_RATE_PREFIX + token_hash(member.token)[:32], at)
    assert mine == {"n": 2, "expires_at": int((at + timedelta(seconds=10)).timestamp()) + 600}
    moto_stack.clock.set(at)
    moto_stack.container.join_clicks.open("short", source_ip=IP)
    theirs = counter(moto_stack, IP_RATE_PREFIX + keyed_hash(IP, "joinip")[:32], at)
    assert theirs == {"n": 1, "expires_at": int(at.timestamp()) + 600}
