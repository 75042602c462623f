"""The announcement email: the organizer's plain text as a plain-text part and as simple HTML
(paragraphs, line breaks, web addresses as links), the member footer, and optionally the next
meeting's invitation with the member's personal link."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.announcements.records import AnnouncementRecord
from chalicelib.groups.records import GroupRecord
from chalicelib.mail.message import Attachment, OutgoingEmail, render_email
from chalicelib.meetings.meeting import Meeting
from chalicelib.organization import organization
from chalicelib.settings import Settings
from chalicelib.signups.member_mail import member_email, schedule_line
from chalicelib.signups.records import SignupRecord

_URL = re.compile(r"https?://[^\s<>\"']+")
# An organizer's message that opens with its own greeting ("Hello everyone,", "Dear friends,",
# "Hi all!") is not greeted again ("Hello Ann Kowalski, / Hello everyone,").
_GREETING = re.compile(
    r"^\s*(hello|hi|hey|hiya|dear|greetings|good (morning|afternoon|evening|day)|welcome|howdy)\b", re.IGNORECASE
)


def greets(body: str) -> bool:
    """Whether the message's first line is a greeting of its own."""
    return bool(_GREETING.match(body))


_TRAILING = ".,;:!?)]}'\""


def body_html(text: str) -> Any:
    """Escaped paragraphs (split on blank lines) with line breaks, and http(s) addresses as links."""
    from markupsafe import Markup, escape

    def linked(line: str) -> str:
        out, last = [], 0
        for match in _URL.finditer(line):
            url = match.group(0)
            while url and url[-1] in _TRAILING:
                url = url[:-1]
            end = match.start() + len(url)
            out.append(str(escape(line[last : match.start()])))
            out.append(f'<a href="{escape(url)}" style="color:#5b2a86;word-break:break-all">{escape(url)}</a>')
            last = end
        out.append(str(escape(line[last:])))
        return "".join(out)

    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")) if p.strip()]
    # Safe: every piece of the organizer's text went through escape() above.
    return Markup(  # noqa: S704
        "\n".join(
            "<p>" + "<br>\n".join(linked(line) for line in p.strip("\n").split("\n")) + "</p>" for p in paragraphs
        )
    )


def _invite(
    group: GroupRecord, series: list[Meeting], *, join_url: str | None, now: datetime, zones: tuple[str, ...]
) -> tuple[Attachment, dict[str, Any]] | tuple[None, dict[str, Any]]:
    """The next meeting, as an instance of the group's series (the same event reminders update),
    in the reader's zones."""
    from chalicelib.meetings.calendar import series_calendar
    from chalicelib.meetings.zones import long_when, own_zone

    meeting = next((m for m in series if m.status != "cancelled"), None)
    if meeting is None:
        return None, {"invite": False}
    zone = own_zone(zones)
    ics = series_calendar(group, series, stamp=now, join_url=join_url, instance=meeting, zone=zone)
    attachment = Attachment("meeting.ics", ics, "text", "calendar", {"method": "PUBLISH", "charset": "utf-8"})
    return attachment, {
        "invite": True,
        "invite_when": long_when(meeting.starts_at, zones),
    }


def announcement_email(
    announcement: AnnouncementRecord,
    *,
    group: GroupRecord,
    member: SignupRecord,
    settings: Settings,
    join_url: str,
    series: list[Meeting],
    now: datetime,
) -> OutgoingEmail:
    """``series``: the upcoming meetings when the announcement attaches the next one's invitation."""
    attachment: Attachment | None = None
    invite: dict[str, Any] = {"invite": False}
    if announcement["attach_invite"] and series:
        from chalicelib.meetings.zones import member_zones

        attachment, invite = _invite(group, series, join_url=join_url, now=now, zones=member_zones(member))
    mail = member_email(
        "announcements/email/announcement",
        record=member,
        group=group,
        settings=settings,
        preview=False,
        greet=not greets(announcement["body"]),
        subject=announcement["subject"],
        body=announcement["body"],
        body_html=body_html(announcement["body"]),
        join_url=join_url,
        **invite,
    )
    if attachment is not None:
        mail.attachments.append(attachment)
    mail.tags = {"kind": "announcement", "announcement": announcement["id"]}
    return mail


def preview_email(
    announcement: AnnouncementRecord,
    *,
    group: GroupRecord,
    to: str,
    organizer_name: str,
    audience: int,
    settings: Settings,
    series: list[Meeting],
    now: datetime,
    banner: bool = True,
) -> OutgoingEmail:
    """What members will get, to the organizer who wrote it, marked as a preview (no member links).
    ``banner``: the "nothing has been sent yet" heading (the console's page leaves it out)."""
    from chalicelib.groups.contact import contact_of

    join_url = f"{settings.public_api_url}/j/PREVIEW"  # each member's copy has her own
    attachment: Attachment | None = None
    invite: dict[str, Any] = {"invite": False}
    if announcement["attach_invite"] and series:
        from chalicelib.meetings.zones import PUBLIC

        attachment, invite = _invite(group, series, join_url=None, now=now, zones=PUBLIC)
    mail = render_email(
        "announcements/email/announcement",
        to=to,
        org=organization(settings),
        preview=True,
        greet=not greets(announcement["body"]),
        banner=banner,
        audience=f"{audience} member{'s' if audience != 1 else ''}",
        name=organizer_name,
        group=group,
        contact=contact_of(group, settings),
        schedule_line=schedule_line(group),
        subject=announcement["subject"],
        body=announcement["body"],
        body_html=body_html(announcement["body"]),
        join_url=join_url,
        **invite,
    )
    if attachment is not None:
        mail.attachments.append(attachment)
    mail.tags = {"kind": "announcement_preview"}
    return mail
