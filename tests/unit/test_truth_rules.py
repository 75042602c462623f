"""What a message said about a meeting and the truth it is compared with
(chalicelib/distribution/truth.py), rule by rule. No table: the join fingerprint's key is made in a
temporary folder, and every instant is fixed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from chalicelib.distribution.records import DeliveryRow
from chalicelib.distribution.truth import (
    Said,
    join_fingerprint,
    last_told,
    said_of,
    scheduled_baseline,
    truth_of,
)
from chalicelib.groups.records import GroupRecord
from chalicelib.meetings.meeting import Meeting
from tests.support.records import group_record, local_keys
from tests.support.server_zone import server_zone

DENVER = ZoneInfo("America/Denver")
START = datetime(2026, 12, 1, 16, 0, tzinfo=DENVER)  # 23:00Z
END = START + timedelta(minutes=90)


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GroupRecord]:
    with local_keys(tmp_path_factory.mktemp("keys")):
        yield group_record(zoom_meeting_id="987 6543 2100")


def meeting(*, start: datetime = START, status: Any = "scheduled", scheduled: datetime = START) -> Meeting:
    return Meeting("2026-12-01", start, start + timedelta(minutes=90), status, None, scheduled, 3)


def said(start: str = "2026-12-01T23:00:00+00:00", end: str = "2026-12-02T00:30:00+00:00", **kw: Any) -> Said:
    return Said(start, end, kw.get("status", "on"), kw.get("join", "j1"))


# ---------------------------------------------------------------- what changed


def test_nothing_changed() -> None:
    assert said().changes_from(said()) == set()


def test_each_aspect_is_named() -> None:
    assert said(start="2026-12-02T00:00:00+00:00").changes_from(said()) == {"time"}
    assert said(end="2026-12-02T01:00:00+00:00").changes_from(said()) == {"time"}
    assert said(status="cancelled").changes_from(said()) == {"status"}
    assert said().changes_from(said(status="cancelled")) == {"status"}
    assert said(join="j2").changes_from(said()) == {"join"}
    moved_with_new_details = said(start="2026-12-02T00:00:00+00:00", join="j2")
    assert moved_with_new_details.changes_from(said()) == {"time", "join"}


def test_between_two_cancellations_nothing_is_news() -> None:
    earlier = said(status="cancelled")
    assert said(start="2026-12-08T23:00:00+00:00", status="cancelled", join="j2").changes_from(earlier) == set()


def test_a_cancelled_meeting_has_no_new_room() -> None:
    # Cancelled with new join details: the member needs the cancellation, not the details.
    assert said(status="cancelled", join="j2").changes_from(said()) == {"status"}
    # Back on with new details: both are news.
    assert said(join="j2").changes_from(said(status="cancelled")) == {"status", "join"}


def test_starts_at_reads_the_iso_text() -> None:
    assert said().starts_at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


# ---------------------------------------------------------------- the truth


def test_truth_is_the_meeting_as_it_stands_in_utc(group: GroupRecord) -> None:
    truth = truth_of(group, meeting())
    assert truth == Said("2026-12-01T23:00:00+00:00", "2026-12-02T00:30:00+00:00", "on", join_fingerprint(group))
    moved = truth_of(group, meeting(start=START + timedelta(hours=1), status="moved"))
    assert (moved.start, moved.end, moved.status) == ("2026-12-02T00:00:00+00:00", "2026-12-02T01:30:00+00:00", "on")
    assert truth_of(group, meeting(status="cancelled")).status == "cancelled"


def test_the_truth_is_in_utc_whatever_the_servers_zone(group: GroupRecord) -> None:
    with server_zone("America/Denver"):
        truth = truth_of(group, meeting())
        baseline = scheduled_baseline(group, meeting())
    assert (truth.start, baseline.end) == ("2026-12-01T23:00:00+00:00", "2026-12-02T00:30:00+00:00")


def test_the_schedule_promises_the_scheduled_time_and_length(group: GroupRecord) -> None:
    moved = meeting(start=START + timedelta(days=7), status="cancelled")
    baseline = scheduled_baseline(group, moved)
    assert baseline == Said("2026-12-01T23:00:00+00:00", "2026-12-02T00:30:00+00:00", "on", join_fingerprint(group))


def _with(group: GroupRecord, **changes: Any) -> GroupRecord:
    return cast(GroupRecord, {**group, **changes})


def test_the_join_fingerprint_follows_the_details_emails_show(group: GroupRecord) -> None:
    first = join_fingerprint(group)
    assert len(first) == 24 and first == join_fingerprint(_with(group))
    assert "987" not in first  # a keyed hash, never the details
    # The room itself is not in emails (the personal link leads to it): no change.
    assert join_fingerprint(_with(group, zoom_url="https://example.zoom.us/j/1?pwd=New")) == first
    # The passcode is not shown by default: no change; shown, it is.
    assert join_fingerprint(_with(group, zoom_passcode="999999")) == first
    shown = {"meeting_id": True, "dial_in": True, "passcode": True}
    with_passcode = join_fingerprint(_with(group, join_details=shown))
    assert with_passcode != first
    assert join_fingerprint(_with(group, join_details=shown, zoom_passcode="999999")) != with_passcode
    assert join_fingerprint(_with(group, zoom_meeting_id="111 2222 3333")) != first
    assert join_fingerprint(_with(group, zoom_dial_in=["+1 669 900 6833"])) != first
    one, two = (join_fingerprint(_with(group, zoom_dial_in=d)) for d in (["+1 1"], ["+1 2"]))
    assert one != two
    # The parts are kept apart: a meeting ID and a passcode cannot trade places unnoticed.
    swap_a = _with(group, join_details=shown, zoom_meeting_id="123", zoom_passcode=None)
    swap_b = _with(group, join_details=shown, zoom_meeting_id=None, zoom_passcode="123")
    assert join_fingerprint(swap_a) != join_fingerprint(swap_b)
    no_id = _with(group, zoom_meeting_id=None)
    assert join_fingerprint(no_id) == join_fingerprint(_with(group, zoom_meeting_id=""))
    assert join_fingerprint(no_id) != first


def test_the_fingerprint_formula_is_stored_data(group: GroupRecord) -> None:
    """Every ledger row keeps the fingerprint its message carried: a different formula after a
    deploy would make every member's last message look out of date (a notice to everyone)."""
    from chalicelib.joinlinks.details import shown_in_emails
    from chalicelib.signing import keyed_hash

    for record in (group, _with(group, zoom_meeting_id=None, zoom_dial_in=["+1 1", "+1 2"])):
        details = shown_in_emails(record)
        parts = [details["meeting_id"] or "", details["passcode"] or "", *details["dial_in"]]
        assert join_fingerprint(record) == keyed_hash("\n".join(["personal-link", *parts]), "join")[:24]


# ---------------------------------------------------------------- what the member was told


def row(kind: str, status: str = "sent", *, sent_at: str | None = None, seq: int | None = None, **said_: str) -> Any:
    r: dict[str, Any] = {"signup_id": "s1", "kind": kind, "status": status, "message": "reminder"}
    if sent_at is not None:
        r["sent_at"] = sent_at
    if seq is not None:
        r["seq"] = seq
    if said_:
        r.update(said_)
    return cast(DeliveryRow, r)


SAID_ON = {"said_start": "a", "said_end": "b", "said_status": "on", "said_join": "j"}
SAID_OFF = {"said_start": "a", "said_end": "b", "said_status": "cancelled", "said_join": "j"}


def test_said_of_reads_the_row() -> None:
    assert said_of(row("r1440", **SAID_ON)) == Said("a", "b", "on", "j")
    assert said_of(row("r1440")) is None  # a row from before the ledger recorded what it said


def test_last_told_is_the_last_sent_message() -> None:
    assert last_told([]) is None
    first = row("r1440", sent_at="2026-11-30T23:00:00+00:00", seq=1, **SAID_ON)
    second = row("n4", sent_at="2026-12-01T01:00:00+00:00", seq=4, **SAID_OFF)
    assert last_told([first, second]) == (second, Said("a", "b", "cancelled", "j"))
    assert last_told([second, first]) == (second, Said("a", "b", "cancelled", "j"))


def test_only_delivered_messages_that_say_something_count() -> None:
    sent = row("r1440", sent_at="2026-11-30T23:00:00+00:00", seq=1, **SAID_ON)
    claimed = row("n4", "claimed", sent_at="2026-12-01T01:00:00+00:00", seq=4, **SAID_OFF)
    failed = row("n5", "failed", sent_at="2026-12-01T02:00:00+00:00", seq=5, **SAID_OFF)
    silent = row("r60", sent_at="2026-12-01T03:00:00+00:00", seq=6)  # sent, but says nothing we know
    assert last_told([sent, claimed, failed, silent]) == (sent, Said("a", "b", "on", "j"))
    assert last_told([claimed, failed, silent]) is None


def test_ties_in_time_go_to_the_later_revision() -> None:
    at = "2026-12-01T01:00:00+00:00"
    older = row("n3", sent_at=at, seq=3, **SAID_ON)
    newer = row("n4", sent_at=at, seq=4, **SAID_OFF)
    assert last_told([newer, older])[0] is newer  # type: ignore[index]
    assert last_told([older, newer])[0] is newer  # type: ignore[index]
    unnumbered = row("n0", sent_at=at, **SAID_ON)  # no seq: counts as 0
    assert last_told([unnumbered, older])[0] is older  # type: ignore[index]
    zero = row("n9", sent_at=at, seq=0, **SAID_OFF)
    assert last_told([zero, unnumbered])[0] is zero  # type: ignore[index]  # a tie: the first stands
    assert last_told([unnumbered, zero])[0] is unnumbered  # type: ignore[index]


def test_a_row_without_a_send_time_is_the_oldest() -> None:
    undated = row("r1440", seq=9, **SAID_OFF)
    dated = row("r60", sent_at="2026-11-30T23:00:00+00:00", seq=1, **SAID_ON)
    assert last_told([undated, dated])[0] is dated  # type: ignore[index]
    assert last_told([dated, undated])[0] is dated  # type: ignore[index]
