"""The emails signups promise, rendered by the outbox's sender from the records as they stand when
it sends (an outbox item holds references only): confirmation, "you are already signed up",
welcome, and the organizers' "signups waiting" notice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from chalicelib.groups.records import DEFAULT_DECLINE_MESSAGE, GroupRecord
from chalicelib.groups.service import GroupService
from chalicelib.mail.message import OutgoingEmail, render_email
from chalicelib.meetings.schedule import meeting_words
from chalicelib.meetings.service import MeetingService
from chalicelib.organizers.keys import OrganizerService
from chalicelib.outbox.records import OutboxRecord
from chalicelib.outbox.sender import Handler
from chalicelib.settings import Settings
from chalicelib.signups.links import MemberLink, member_url
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.storage import SignupRepository

STATE_NAMES = {"ID": "Idaho", "MT": "Montana"}
CONFIRM_HOURS = 72


class SignupMail:
    def __init__(
        self,
        *,
        repo: SignupRepository,
        groups: GroupService,
        meetings: MeetingService,
        organizers: OrganizerService,
        settings: Settings,
    ) -> None:
        self.repo = repo
        self.groups = groups
        self.meetings = meetings
        self.organizers = organizers
        self.settings = settings

    def handlers(self) -> Mapping[str, Handler]:
        return {
            "confirm": self.confirm,
            "already_member": self.already_member,
            "welcome": self.welcome,
            "organizer_notice": self.organizer_notice,
            "declined": self.declined,
        }

    def _record(self, item: OutboxRecord, *statuses: str) -> tuple[SignupRecord, GroupRecord] | None:
        """The record the item was written for, if it is still that signup and in one of ``statuses``."""
        record = self.repo.get(item["group_id"], item.get("signup_id", ""))
        if record is None or record["gen"] != item.get("gen") or record["status"] not in statuses:
            return None
        return record, self.groups.get(item["group_id"])

    def _links(self, record: SignupRecord, proposal: str | None = None) -> dict[str, str]:
        member = MemberLink(record["group_id"], record["id"], record["gen"], proposal)
        return {
            "unsubscribe_url": member_url("unsubscribe", member, self.settings),
            "erase_url": member_url("erase", member, self.settings),
        }

    def confirm(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        found = self._record(item, "pending_confirmation")
        if found is None:
            return None  # confirmed, left or replaced since: nothing to confirm
        record, group = found
        details: dict[str, Any] = dict(record)
        proposal = cast(dict[str, Any] | None, record.get("proposal"))
        proposal_id = item.get("proposal")
        if proposal_id:
            if proposal is None or proposal.get("id") != proposal_id:
                return None  # a newer post replaced these details: its own email carries them
            details.update({k: v for k, v in proposal.items() if k != "id"})
        member = MemberLink(record["group_id"], record["id"], record["gen"], proposal_id)
        links = self._links(record, proposal_id)
        return [
            render_email(
                "signups/email/confirm",
                to=record["email"],
                unsubscribe_url=links["unsubscribe_url"],
                erase_url=links["erase_url"],
                confirm_url=member_url("confirm", member, self.settings),
                hours=CONFIRM_HOURS,
                name=details["name"],
                state_name=STATE_NAMES.get(str(details.get("state")), details.get("state")),
                group=group,
                added_by_organizer=record.get("consent_source") == "organizer",
            )
        ]

    def already_member(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        found = self._record(item, "active", "pending_approval")
        if found is None:
            return None
        record, group = found
        links = self._links(record)
        return [
            render_email(
                "signups/email/already_member",
                to=record["email"],
                unsubscribe_url=links["unsubscribe_url"],
                erase_url=links["erase_url"],
                name=record["name"],
                group=group,
                pending=record["status"] == "pending_approval",
            )
        ]

    def welcome(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        found = self._record(item, "active")
        if found is None:
            return None  # left before the welcome went: nothing to welcome
        record, group = found
        meeting = self.meetings.next_meeting(group)
        links = self._links(record)
        return [
            render_email(
                "signups/email/welcome",
                to=record["email"],
                unsubscribe_url=links["unsubscribe_url"],
                erase_url=links["erase_url"],
                name=record["name"],
                group=group,
                meeting=meeting,
                meeting_text=meeting_words(meeting.starts_at, group["schedule"]["timezone"], record.get("state"))
                if meeting
                else None,
            )
        ]

    def organizer_notice(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        group = self.groups.get(item["group_id"])
        address = self._organizer_address(item)
        if address is None:
            return None
        waiting = self.repo.count(group["id"], "pending_approval")
        if waiting == 0:
            return None  # all handled already
        url = f"{self.settings.public_api_url}/console/groups/{group['id']}/waiting"
        return [
            render_email("signups/email/organizer_notice", to=address, group=group, waiting=waiting, review_url=url)
        ]

    def declined(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        """The group's kind decline message (with resources) and the organizer's optional note."""
        found = self._record(item, "rejected")
        if found is None:
            return None  # erased (or signed up again) since: nothing to say
        record, group = found
        text = group.get("decline_message") or DEFAULT_DECLINE_MESSAGE
        message = text.replace("{name}", record["name"]).replace("{group}", group["name"])
        return [
            render_email(
                "signups/email/declined",
                to=record["email"],
                erase_url=self._links(record)["erase_url"],
                name=record["name"],
                group=group,
                paragraphs=[p.strip() for p in message.split("\n\n") if p.strip()],
                note=record.get("decline_note"),
            )
        ]

    def _organizer_address(self, item: OutboxRecord) -> str | None:
        if "organizer_id" in item:
            found = [o for o in self.organizers.all() if o["id"] == item["organizer_id"] and o["status"] == "active"]
            return found[0]["email"] if found else None
        fallback = self.settings.organizer_notify_emails
        index = int(item.get("fallback", "0"))
        return fallback[index] if index < len(fallback) else None
