"""The activity log names a moved meeting by its new date too (issue 21 item 12)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.meetings.activity_words import meeting_change_summary

JAN_5 = datetime(2027, 1, 5, 23, 0, tzinfo=UTC)
JAN_12 = datetime(2027, 1, 12, 23, 0, tzinfo=UTC)
JAN_19 = datetime(2027, 1, 19, 23, 0, tzinfo=UTC)


def words(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}"


def test_a_move_names_both_dates() -> None:
    assert (
        meeting_change_summary("move", scheduled=JAN_5, current=JAN_5, moved=False, new_start=JAN_12, words=words)
        == "Moved the meeting of Jan 5 to Jan 12"
    )
    again = meeting_change_summary("move", scheduled=JAN_5, current=JAN_12, moved=True, new_start=JAN_19, words=words)
    assert again == "Moved the meeting of Jan 5 (moved to Jan 12) to Jan 19"


def test_later_changes_to_a_moved_meeting_name_where_it_is_now() -> None:
    for change, verb in (
        ("cancel", "Cancelled"),
        ("note", "Changed the note of"),
        ("restore", "Put back as scheduled"),
    ):
        line = meeting_change_summary(change, scheduled=JAN_5, current=JAN_12, moved=True, words=words)  # type: ignore[arg-type]
        assert line == f"{verb} the meeting of Jan 5 (moved to Jan 12)"
    assert meeting_change_summary("cancel", scheduled=JAN_5, current=JAN_5, moved=False, words=words) == (
        "Cancelled the meeting of Jan 5"
    )
