"""Every email to a member (or someone who signed up) carries the same promises: one "Manage my
membership" link (her link, leaving, erasing her data), the RFC 8058 one-click unsubscribe headers,
a named person to write to (replies go to them), the chapter's name and contact, and the group's
schedule in one line. Built here once, for every feature's emails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from chalicelib.groups.contact import contact_of
from chalicelib.groups.records import GroupRecord
from chalicelib.mail.message import OutgoingEmail, render_email
from chalicelib.organization import organization
from chalicelib.settings import Settings
from chalicelib.signups.links import MemberLink, member_url
from chalicelib.signups.records import SignupRecord

if TYPE_CHECKING:
    from chalicelib.meetings.mail import MemberLinks


def schedule_line(group: GroupRecord, record: SignupRecord | None = None) -> str:
    """The group's schedule in the zones the person of ``record`` is shown (both without one)."""
    from chalicelib.meetings.schedule import describe
    from chalicelib.meetings.service import schedule_of
    from chalicelib.meetings.zones import member_zones

    return describe(schedule_of(group), member_zones(record))


def member_links(record: SignupRecord, group: GroupRecord, settings: Settings, *, join_url: str) -> MemberLinks:
    """The links and footer of an email about a meeting to the person of ``record``."""
    from chalicelib.meetings.mail import MemberLinks

    link = MemberLink(record["group_id"], record["id"], record["gen"])
    return MemberLinks(
        join_url=join_url,
        unsubscribe_url=member_url("unsubscribe", link, settings),
        manage_url=member_url("manage", link, settings),
        contact=contact_of(group, settings),
        schedule_line=schedule_line(group, record),
        org=organization(settings),
    )


def sample_links(
    group: GroupRecord, settings: Settings, *, state: str | None = None, timezone: str | None = None
) -> MemberLinks:
    """Placeholders for previews (nobody's real links), the schedule line in the zones a member of
    ``state`` on ``timezone`` is shown (both without them)."""
    from chalicelib.meetings.mail import MemberLinks

    base = settings.public_api_url
    return MemberLinks(
        join_url=f"{base}/j/PREVIEW",
        unsubscribe_url=f"{base}/signups/unsubscribe?token=PREVIEW",
        manage_url=f"{base}/signups/manage?token=PREVIEW",
        contact=contact_of(group, settings),
        schedule_line=schedule_line(group, cast(SignupRecord, {"state": state, "timezone": timezone})),
        org=organization(settings),
    )


def member_email(
    template: str,
    /,
    *,
    record: SignupRecord,
    group: GroupRecord,
    settings: Settings,
    proposal: str | None = None,
    unsubscribe: bool = True,
    name: str | None = None,
    with_schedule: bool = True,
    **context: Any,
) -> OutgoingEmail:
    """Render ``template`` for the person of ``record`` with the footer every member email has
    (``with_schedule`` False: someone who is not joining, e.g. after a decline)."""
    link = MemberLink(record["group_id"], record["id"], record["gen"], proposal)
    contact = contact_of(group, settings)
    mail = render_email(
        template,
        to=record["email"],
        org=organization(settings),
        unsubscribe_url=member_url("unsubscribe", link, settings) if unsubscribe else None,
        manage_url=member_url("manage", link, settings),
        # Not in the footer (the manage page offers it): for an email that offers erasing in one tap.
        erase_url=member_url("erase", link, settings),
        contact=contact,
        schedule_line=schedule_line(group, record) if with_schedule else None,
        group=group,
        name=name or record["name"],
        **context,
    )
    mail.reply_to = contact.email
    return mail
