""" "Manage my membership": the one page every member email links to (a signed ``manage`` token,
like the unsubscribe and erase links). With the token, she sees where she stands and can get her
link again, leave, or erase her data; without a valid one the page says only that the link does not
work (nothing about anyone). Her time zone joins here when members can choose one (``zone_choices``).

The token proves the mailbox, so (like one-click unsubscribe) it acts on the person's current signup
in the group, even if the email came from an earlier one. Logs carry signup ids only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.groups.records import GroupRecord
from chalicelib.signups.links import MemberLink
from chalicelib.signups.records import SignupRecord

if TYPE_CHECKING:
    from chalicelib.meetings.service import MeetingService
    from chalicelib.signups.service import SignupService

log = logging.getLogger("mbc.signups")

# What the page offers, by where she stands.
Standing = Literal["active", "pending_confirmation", "pending_approval", "not_receiving", "nothing_held"]
ManageAction = Literal["send_link", "leave", "zone", "erase"]
ACTIONS: tuple[ManageAction, ...] = ("send_link", "leave", "zone", "erase")


@dataclass(frozen=True)
class Membership:
    """What the manage page shows: never more than the token's holder may know about herself."""

    standing: Standing
    group: GroupRecord
    name: str | None = None
    next_meeting: str | None = None
    # Declined by the organizers: no "come back" invitation (the decline email said why, kindly).
    declined: bool = False
    # Something is held about her that she may erase (the page's "Erase my data…", which asks once
    # more on this page's own address: the manage link proves the mailbox as an erase link does).
    erasable: bool = False
    # Her own time zone (meetings/zones.py): the choices, the one stored ("" for not said) and
    # the zones her emails use, in words.
    zone_choices: list[tuple[str, str]] = field(default_factory=list)
    zone: str | None = None
    zone_words: str | None = None


def standing_of(record: SignupRecord | None) -> Standing:
    if record is None:
        return "nothing_held"
    status = record["status"]
    if status in ("active", "pending_confirmation", "pending_approval"):
        return status
    return "not_receiving"


class Manage:
    def __init__(self, *, signups: SignupService, meetings: MeetingService) -> None:
        self.signups = signups
        self.meetings = meetings

    def membership(self, member: MemberLink) -> Membership:
        from chalicelib.meetings.zones import long_when, member_zone, member_zones, zone_choices, zone_name

        group = self.signups.groups.get(member.group_id)
        record = self.signups.repo.get(member.group_id, member.signup_id)
        standing = standing_of(record)
        if record is None:
            return Membership(standing, group)
        next_text = None
        zones = member_zones(record)
        if standing == "active":
            meeting = self.meetings.next_meeting(group)
            if meeting is not None:
                next_text = long_when(meeting.starts_at, zones)  # in her zone
        live = standing in ("active", "pending_confirmation", "pending_approval")
        return Membership(
            standing,
            group,
            name=record["name"],
            next_meeting=next_text,
            declined=record["status"] == "rejected",
            erasable=True,
            zone_choices=zone_choices(record.get("state")) if live else [],
            zone=member_zone(record.get("timezone")) or "",
            zone_words=" and ".join(zone_name(z) for z in zones) + " time",
        )

    def set_zone(self, member: MemberLink, value: object) -> bool:
        """Her own choice of the time she lives on (empty: not sure, it follows her state): a 400
        naming ``timezone`` for anything else; False if she is no longer in the group. Sends nothing;
        her links stay the same."""
        from chalicelib.errors import NotFound
        from chalicelib.signups.zone import MemberZones, read_zone

        zone = read_zone(value)
        try:
            MemberZones(repo=self.signups.repo, clock=self.signups.clock).set_zone(
                member.group_id, member.signup_id, zone
            )
        except NotFound:
            return False
        return True

    def send_link(self, member: MemberLink) -> bool:
        """Her personal link, the next meeting and the series by email (the "send me the link again"
        email), if she is an active member; False otherwise. Held back only by the address's daily
        cap (her own request from her own mailbox needs no spacing)."""
        service = self.signups
        record = service.repo.get(member.group_id, member.signup_id)
        if record is None or record["status"] != "active":
            return False
        now = service.clock.now()
        tx = Transaction()
        service._promise(tx, "mail", "your_link", now, member.group_id, record, limit="daily")
        tx.add("member", service.repo.still_item(record))
        try:
            tx.commit(service.repo.client)
        except TransactionCancelled:
            return False  # she changed meanwhile (left, erased): nothing promised
        log.info("member asked for her link from the manage page signup=%s", record["id"])
        return True

    def leave(self, member: MemberLink) -> None:
        """Stop every email from the group (the same as one-click unsubscribe)."""
        self.signups.unsubscribe(member)


def action_of(fields: dict[str, Any]) -> ManageAction | None:
    value = fields.get("action")
    return value if isinstance(value, str) and value in ACTIONS else None  # type: ignore[return-value]
