"""The activity log's line for a change to one meeting: it names the meeting by the date it was
scheduled for (how the schedule knows it) and, when it was moved, by the date it has now, so a
reader of the log never has to guess which meeting "the meeting of January 5" is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

Change = Literal["cancel", "move", "restore", "note"]


def meeting_change_summary(
    change: Change,
    *,
    scheduled: datetime,
    current: datetime,
    moved: bool,
    new_start: datetime | None = None,
    words: Callable[[datetime], str],
) -> str:
    """``scheduled``: the occurrence the schedule made; ``current``: when it is now (``moved``: a
    move is in force); ``new_start``: where a move puts it. ``words`` writes an instant."""
    meeting = f"the meeting of {words(scheduled)}"
    if moved and current != scheduled:
        meeting += f" (moved to {words(current)})"
    if change == "move" and new_start is not None:
        return f"Moved {meeting} to {words(new_start)}"
    if change == "cancel":
        return f"Cancelled {meeting}"
    if change == "restore":
        return f"Put back as scheduled {meeting}"
    return f"Changed the note of {meeting}"
