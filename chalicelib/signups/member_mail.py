"""Every email to a member (or someone who signed up) carries the same promises: the unsubscribe
link and its RFC 8058 headers, the erase-my-data link, a named person to write to (replies go to
them), and the group's schedule in one line. Built here once, for every feature's emails."""

from __future__ import annotations

from typing import Any

from chalicelib.groups.contact import contact_of
from chalicelib.groups.records import GroupRecord
from chalicelib.mail.message import OutgoingEmail, render_email
from chalicelib.settings import Settings
from chalicelib.signups.links import MemberLink, member_url
from chalicelib.signups.records import SignupRecord


def schedule_line(group: GroupRecord) -> str:
    from chalicelib.meetings.schedule import describe
    from chalicelib.meetings.service import schedule_of

    return describe(schedule_of(group))


def member_email(
    template: str,
    /,
    *,
    record: SignupRecord,
    group: GroupRecord,
    settings: Settings,
    proposal: str | None = None,
    **context: Any,
) -> OutgoingEmail:
    """Render ``template`` for the person of ``record`` with the footer every member email has."""
    link = MemberLink(record["group_id"], record["id"], record["gen"], proposal)
    contact = contact_of(group, settings)
    unsubscribe_url = member_url("unsubscribe", link, settings)
    mail = render_email(
        template,
        to=record["email"],
        unsubscribe_url=unsubscribe_url,
        erase_url=member_url("erase", link, settings),
        contact=contact,
        schedule_line=schedule_line(group),
        group=group,
        name=record["name"],
        **context,
    )
    mail.reply_to = contact.email
    return mail
