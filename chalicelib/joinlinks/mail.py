"""The email with a member's new personal link (after an organizer replaced the old one)."""

from __future__ import annotations

from chalicelib.groups.service import GroupService
from chalicelib.joinlinks.service import JoinLinks
from chalicelib.mail.message import OutgoingEmail, render_email
from chalicelib.outbox.records import OutboxRecord
from chalicelib.settings import Settings
from chalicelib.signups.links import MemberLink, member_url
from chalicelib.signups.storage import SignupRepository


class JoinLinkMail:
    def __init__(
        self, *, signups: SignupRepository, groups: GroupService, join_links: JoinLinks, settings: Settings
    ) -> None:
        self.signups = signups
        self.groups = groups
        self.join_links = join_links
        self.settings = settings

    def new_link(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        record = self.signups.get(item["group_id"], item.get("signup_id", ""))
        if record is None or record["gen"] != item.get("gen") or record["status"] != "active":
            return None  # left meanwhile: no link to send
        group = self.groups.get(item["group_id"])
        member = MemberLink(record["group_id"], record["id"], record["gen"])
        return [
            render_email(
                "joinlinks/email/new_link",
                to=record["email"],
                unsubscribe_url=member_url("unsubscribe", member, self.settings),
                erase_url=member_url("erase", member, self.settings),
                name=record["name"],
                group=group,
                join_url=self.join_links.link_url(record),
            )
        ]
