"""Meeting models: an organizer's override of one occurrence, and what the API returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StrictBool

from chalicelib.validation import AwareYear, IsoText, Notes, StrictModel


class MeetingOverrideInput(StrictModel):
    """PUT /groups/{id}/meetings/{date}: cancel, move, or annotate one occurrence."""

    status: Literal["cancelled", "moved", "scheduled"] | None = Field(
        default=None,
        description="Default: moved when starts_at is given; with neither, only the note changes and a move "
        "or cancellation in effect stays. scheduled: back to the schedule.",
    )
    starts_at: Annotated[AwareDatetime, IsoText, AwareYear] | None = Field(
        default=None, description="New start (ISO 8601 with offset) for a moved meeting."
    )
    note: Notes | None = Field(default=None, description="Shown on the public list and in the reminder email.")
    tell_now: StrictBool = Field(
        default=False,
        description="true: announce the cancellation or move (with the note) to every active member within "
        "15 minutes, however far ahead the meeting is; default: announce_days before the meeting.",
    )
    notify: StrictBool = Field(
        default=True,
        description="false: make the change without telling members (only before anyone was told about "
        "this meeting; refused with 409 after).",
    )


class Meeting(BaseModel):
    date: date
    starts_at: datetime
    ends_at: datetime
    status: Literal["scheduled", "moved", "cancelled"]
    note: str | None


class MeetingList(BaseModel):
    meetings: list[Meeting]
