"""The console's emails, rendered by the outbox's sender from references: the sign-in link and an
invitation to a new organizer (an organizer's "re-send to this member" goes through the meeting's
delivery ledger: ``Distributor.resend``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from chalicelib.mail.message import OutgoingEmail, render_email
from chalicelib.outbox.records import OutboxRecord
from chalicelib.outbox.sender import Handler

if TYPE_CHECKING:
    from chalicelib.console.service import ConsoleAccess
    from chalicelib.groups.service import GroupService
    from chalicelib.meetings.service import MeetingService
    from chalicelib.organizers.keys import OrganizerService
    from chalicelib.signups.records import SignupRecord
    from chalicelib.signups.service import SignupService

from chalicelib.console.service import SIGNIN_MINUTES


class ConsoleMail:
    def __init__(
        self,
        *,
        access: ConsoleAccess,
        organizers: OrganizerService,
        groups: GroupService,
        meetings: MeetingService,
        signups: SignupService,
        join_url_for: Callable[[SignupRecord], str],
    ) -> None:
        self.join_url_for = join_url_for
        self.access = access
        self.organizers = organizers
        self.groups = groups
        self.meetings = meetings
        self.signups = signups

    def handlers(self) -> Mapping[str, Handler]:
        return {
            "console_signin": self.sign_in,
            "console_invite": self.invite,
        }

    def _organizer(self, item: OutboxRecord) -> dict[str, str] | None:
        found = self.organizers.get(item.get("organizer_id", ""))
        return dict(found) if found and found["status"] == "active" else None  # type: ignore[arg-type]

    def sign_in(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        organizer = self._organizer(item)
        if organizer is None:
            return None
        return [
            render_email(
                "console/email/signin",
                to=organizer["email"],
                name=organizer["name"],
                url=self.access.sign_in_url(item.get("ref", "")),
                minutes=SIGNIN_MINUTES,
            )
        ]

    def invite(self, item: OutboxRecord) -> list[OutgoingEmail] | None:
        organizer = self.organizers.get(item.get("organizer_id", ""))
        if organizer is None or organizer["status"] != "active":
            return None
        inviter = self.organizers.get(organizer.get("invited_by", ""))
        names = []
        for group_id in organizer.get("groups") or []:
            group = self.groups.find(group_id)
            if group is not None:  # a group removed since is left out of the email
                names.append(group["name"])
        return [
            render_email(
                "console/email/invite",
                to=organizer["email"],
                name=organizer["name"],
                inviter=inviter["name"] if inviter else "An admin",
                admin=organizer.get("role") == "admin",
                groups=names,
                console_url=f"{self.access.settings.public_api_url}/console",
            )
        ]
