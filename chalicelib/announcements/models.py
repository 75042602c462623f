"""Announcement models: what an organizer writes, and what the API returns."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, field_validator

from chalicelib.validation import MultiLine, SingleLine, StrictModel

Subject = Annotated[str, SingleLine(max_length=120)]
Body = Annotated[str, MultiLine(max_length=10000)]


def _not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("Write the message.")
    return value


class AnnouncementInput(StrictModel):
    """POST /groups/{id}/announcements: a draft, previewed to its organizer by email."""

    subject: Subject = Field(description="The email's subject, one line.")
    body: Body = Field(description="Plain text; blank lines make paragraphs, web addresses become links.")
    attach_invite: StrictBool = Field(
        default=False, description="Attach the next meeting's calendar invitation (with each member's personal link)."
    )

    @field_validator("body")
    @classmethod
    def _written(cls, value: str | None) -> str | None:
        return _not_blank(value)


class AnnouncementEdit(StrictModel):
    """PATCH /groups/{id}/announcements/{announcement_id}: change a draft (another preview goes out)."""

    version: StrictInt = Field(ge=1, description="The version you previewed (409 if it changed since).")
    subject: Subject | None = None
    body: Body | None = None
    attach_invite: StrictBool | None = None

    @field_validator("body")
    @classmethod
    def _written(cls, value: str | None) -> str | None:
        return _not_blank(value)


class AnnouncementSend(StrictModel):
    """POST /groups/{id}/announcements/{announcement_id}/send: send the draft you previewed."""

    version: StrictInt = Field(ge=1, description="The version you previewed (409 if it changed since).")


class AnnouncementCounts(BaseModel):
    sent: int
    failed: int
    pending: int


class Announcement(BaseModel):
    id: str
    group_id: str
    subject: str
    body: str
    attach_invite: bool
    status: Literal["draft", "sending", "sent"]
    version: int
    created_at: str
    created_by: str
    updated_at: str
    previewed_at: str | None = None
    sending_at: str | None = None
    sent_by: str | None = None
    sent_at: str | None = None
    counts: AnnouncementCounts | None = Field(
        default=None, description="Members sent to, refused by SES, and still to go (while sending)."
    )


class AnnouncementList(BaseModel):
    announcements: list[Announcement]
    next_cursor: str | None = None
