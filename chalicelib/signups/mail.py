"""The emails signups promise, rendered by the outbox's sender from the records as they stand when
it sends (an outbox item holds references only): confirmation, "you are already signed up",
welcome, and the organizers' "signups waiting" notice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from chalicelib.constants import STATE_NAMES
from chalicelib.groups.expect import paragraphs, what_to_expect
from chalicelib.groups.records import DEFAULT_DECLINE_MESSAGE, DEFAULT_JOIN_WINDOW_MINUTES, GroupRecord
from chalicelib.groups.service import GroupService
from chalicelib.mail.message import Attachment, OutgoingEmail, render_email
from chalicelib.meetings.service import MeetingService
from chalicelib.meetings.zones import long_when, member_zone, member_zones, own_zone, zones_words
from chalicelib.organization import organization
from chalicelib.organizers.keys import OrganizerService
from chalicelib.outbox.records import OutboxRecord
from chalicelib.outbox.sender import Handler
from chalicelib.settings import Settings
from chalicelib.signups.links import MemberLink, member_url
from chalicelib.signups.member_mail import member_email
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.storage import SignupRepository

CONFIRM_HOURS = 72


def month_words(day: str) -> str | None:
    """ "2024-03-01" -> "March 2024" (the basis of consent's date, as the email says it)."""
    from datetime import date

    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return None
    return f"{parsed:%B} {parsed.year}"


class SignupMail:
    def __init__(
        self,
        *,
        repo: SignupRepository,
        groups: GroupService,
        meetings: MeetingService,
        organizers: OrganizerService,
        settings: Settings,
        join_url_for: Callable[[SignupRecord], str],
        may_send_notice: Callable[[OutboxRecord], bool] | None = None,
    ) -> None:
        self.may_send_notice = may_send_notice
        self.join_url_for = join_url_for
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
            "new_system": self.new_system,
            "your_link": self.your_link,
            "new_join_link": self.new_join_link,
            "organizer_notice": self.organizer_notice,
            "declined": self.declined,
        }

    def _record(self, item: OutboxRecord, *statuses: str) -> tuple[SignupRecord, GroupRecord] | None:
        """The record the item was written for, if it is still that signup and in one of ``statuses``."""
        record = self.repo.get(item["group_id"], item.get("signup_id", ""))
        if record is None or record["gen"] != item.get("gen") or record["status"] not in statuses:
            return None
        return record, self.groups.get(item["group_id"])

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
        mail = member_email(
            "signups/email/confirm",
            record=record,
            group=group,
            settings=self.settings,
            proposal=proposal_id,
            name=details["name"],
            confirm_url=member_url("confirm", member, self.settings),
            hours=CONFIRM_HOURS,
            added_by_organizer=bool(record.get("added_by")),
            state_name=STATE_NAMES.get(str(details.get("state")), details.get("state")),
            zone_line=zone_line(details),
        )
        return [mail]

    def already_member(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        found = self._record(item, "active", "pending_approval")
        if found is None:
            return None
        record, group = found
        if record["status"] == "active":
            # Probably lost her link: it goes to her own address, so give it to her.
            return self.link_email("signups/email/already_member", item, pending=False)
        return [
            member_email(
                "signups/email/already_member",
                record=record,
                group=group,
                settings=self.settings,
                pending=True,
            )
        ]

    def welcome(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        """The welcome, with the group's meetings as one recurring series for her calendar (with
        her personal link), so every meeting lands in the calendar once."""
        return self.link_email("signups/email/welcome", item)

    def new_system(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        """Imported from the organizer's list as a member: "we have moved to a new system, here is
        your own link"; nothing to do, leaving and erasing one link away. Says why she gets it
        (the basis of consent the organizer recorded) and who added her."""
        from chalicelib.signups.imports import BASES

        found = self._record(item, "active")
        if found is None:
            return None
        record = found[0]
        basis = BASES.get(str(record.get("consent_basis", "")))
        organizer = self.organizers.get(str(record.get("added_by", ""))) if record.get("added_by") else None
        return self.link_email(
            "signups/email/new_system",
            item,
            basis_words=basis[1] if basis else "you asked to join the group",
            basis_since=month_words(str(record.get("consent_basis_on", ""))),
            adder=organizer["name"] if organizer else None,
        )

    def your_link(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        """ "Send me the link again": her personal link, the next meeting and the series."""
        return self.link_email("signups/email/your_link", item)

    def new_join_link(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        """An organizer replaced her link: the new one, the next meeting, and the series again (its
        calendar entries carry the new link instead of the dead one)."""
        return self.link_email("joinlinks/email/new_link", item)

    def link_email(self, template: str, item: OutboxRecord, **extra: Any) -> list[OutgoingEmail] | None:
        """An email with her personal link, the next meeting and the calendar series, to an active
        member (the same signup the item was written for)."""
        from chalicelib.meetings.calendar import series_calendar

        found = self._record(item, "active")
        if found is None:
            return None  # left before it went: nothing to send
        record, group = found
        meetings = self.meetings.upcoming(group, count=12)
        meeting = next((m for m in meetings if m.status != "cancelled"), None)
        join_url = self.join_url_for(record)
        zones = member_zones(record)
        mail = member_email(
            template,
            record=record,
            group=group,
            settings=self.settings,
            join_url=join_url,
            meeting=meeting,
            meeting_text=long_when(meeting.starts_at, zones) if meeting else None,
            window_minutes=group.get("join_window_minutes", DEFAULT_JOIN_WINDOW_MINUTES),
            expect=paragraphs(what_to_expect(group)),
            **extra,
        )
        if meetings:
            ics = series_calendar(
                group,
                meetings,
                stamp=self.meetings.clock.now(),
                join_url=join_url,
                zone=own_zone(zones),
            )
            mail.attachments.append(
                Attachment("meetings.ics", ics, "text", "calendar", {"method": "PUBLISH", "charset": "utf-8"})
            )
        return [mail]

    def organizer_notice(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        group = self.groups.get(item["group_id"])
        address = self._organizer_address(item)
        if address is None:
            return None
        waiting = self.repo.count(group["id"], "pending_approval")
        if waiting == 0:
            return None  # all handled already
        if self.may_send_notice is not None and not self.may_send_notice(item):
            return None  # a later batch's notice went first and counted these too
        url = f"{self.settings.public_api_url}/console/groups/{group['id']}/waiting"
        return [
            render_email(
                "signups/email/organizer_notice",
                to=address,
                org=organization(self.settings),
                group=group,
                waiting=waiting,
                review_url=url,
            )
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
            member_email(
                "signups/email/declined",
                record=record,
                group=group,
                settings=self.settings,
                unsubscribe=False,  # nothing to stop: this is the last email, unless they sign up again
                with_schedule=False,  # not joining: the group's times are not theirs
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


def zone_line(details: Mapping[str, Any]) -> str:
    """Which time her emails will speak: the one she chose, her state's, or both (Idaho, not said)."""
    zones = member_zones(details)
    if member_zone(details.get("timezone")):
        return f"Meeting times in our emails will be in {zones_words(zones)}, as you chose."
    if len(zones) == 1:
        return f"Meeting times in our emails will be in {zones_words(zones)}."
    return (
        f"Meeting times in our emails will be in both {zones_words(zones)}, as Idaho has both; "
        "the page of your personal link lets you choose one."
    )
