"""The email with a member's new personal link (after an organizer replaced the old one)."""

from __future__ import annotations

from chalicelib.groups.service import GroupService
from chalicelib.joinlinks.service import JoinLinks
from chalicelib.mail.message import OutgoingEmail
from chalicelib.outbox.records import OutboxRecord
from chalicelib.settings import Settings
from chalicelib.signups.member_mail import member_email
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
        return [
            member_email(
                "joinlinks/email/new_link",
                record=record,
                group=group,
                settings=self.settings,
                join_url=self.join_links.link_url(record),
            )
        ]
