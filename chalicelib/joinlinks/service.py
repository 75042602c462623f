"""Personal links: the group's window (kept current with every change), a member's link as emails
show it, and an organizer replacing one member's link."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from chalicelib.clock import Clock
from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.errors import Conflict, NotFound
from chalicelib.groups.records import DEFAULT_JOIN_WINDOW_MINUTES, GroupRecord
from chalicelib.joinlinks.records import TOKEN_RATE_PREFIX, JoinLinkRecord, JoinWindowRecord, WindowMeeting
from chalicelib.joinlinks.storage import JoinLinkRepository
from chalicelib.joinlinks.tokens import join_token, personal_link, token_hash
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import later
from chalicelib.meetings.service import MeetingService
from chalicelib.settings import Settings
from chalicelib.signups.records import SignupRecord

if TYPE_CHECKING:
    from chalicelib.signups.service import SignupService

log = logging.getLogger("mbc.joinlinks")

# How many meetings ahead the window item lists (a meeting running now included).
WINDOW_MEETINGS = 6
# How often a refresh reads and writes again when another writer got in between.
WINDOW_TRIES = 5


def window_of(group: GroupRecord, meetings: list[Meeting], *, computed_at: str) -> JoinWindowRecord:
    minutes = group.get("join_window_minutes", DEFAULT_JOIN_WINDOW_MINUTES)
    listed: list[WindowMeeting] = [
        {
            "date": m.date,
            "start": m.starts_at.isoformat(),
            "end": m.ends_at.isoformat(),
            "opens": later(m.starts_at, -timedelta(minutes=minutes)).isoformat(),
            "status": m.status,
            "sequence": m.sequence,
        }
        for m in meetings
    ]
    return {
        "group_id": group["id"],
        "name": group["name"],
        "timezone": group["schedule"]["timezone"],
        "zoom_url": group["zoom_url"],
        "zoom_passcode": group.get("zoom_passcode"),
        "zoom_meeting_id": group.get("zoom_meeting_id"),
        "zoom_dial_in": list(group.get("zoom_dial_in") or []),
        "window_minutes": minutes,
        "meetings": listed,
        "computed_at": computed_at,
    }


def link_of(record: SignupRecord) -> JoinLinkRecord:
    return {
        "group_id": record["group_id"],
        "signup_id": record["id"],
        "gen": record["gen"],
        "link_rev": int(record.get("link_rev", 0)),
    }


class JoinLinks:
    def __init__(
        self,
        *,
        repo: JoinLinkRepository,
        meetings: MeetingService,
        signups: SignupService,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self.meetings = meetings
        self.signups = signups
        self.settings = settings
        self.clock = clock

    # ---------------------------------------------------------------- the group's window

    def window_for(self, group: GroupRecord) -> JoinWindowRecord:
        now = self.clock.now()
        return window_of(
            group, self.meetings.upcoming(group, count=WINDOW_MEETINGS, now=now), computed_at=now.isoformat()
        )

    def refresh(self, group: GroupRecord) -> JoinWindowRecord | None:
        """Rewrite the group's window (after any change, and on every scheduled run), from the group
        and its overrides as they stand, never from a record read earlier (``group`` names it).

        Optimistic: read the window's revision, then the group (consistently), compute, and write only
        if the window is still at that revision. A writer that loses reads everything again, so the
        last write always comes from the latest group: a Zoom link changed while the scheduled run
        goes through the groups is never undone. None if the group is gone."""
        for _ in range(WINDOW_TRIES):
            seen = self.repo.window_rev(group["id"])
            try:
                current = self.meetings.groups.get(group["id"])
            except NotFound:
                return None
            window = self.window_for(current)
            if self.repo.put_window(window, seen_rev=seen):
                return window
            log.info("join window changed meanwhile group=%s: reading again", group["id"])
        # Every try lost to another writer, each of which read the group after us: theirs stands.
        log.warning("join window not rewritten group=%s: other writers kept winning", group["id"])
        return self.repo.window(group["id"])

    def opening_soon(self, window: JoinWindowRecord, *, within: timedelta) -> bool:
        """Does a meeting's room open within ``within`` from now (time to warm the link's path)?"""
        now = self.clock.now()
        return any(
            m["status"] != "cancelled" and now <= datetime.fromisoformat(m["opens"]) <= now + within
            for m in window["meetings"]
        )

    # ---------------------------------------------------------------- a member's link

    def token(self, record: SignupRecord) -> str:
        return join_token(
            group_id=record["group_id"],
            signup_id=record["id"],
            gen=record["gen"],
            link_rev=int(record.get("link_rev", 0)),
            settings=self.settings,
        )

    def link_url(self, record: SignupRecord) -> str:
        return personal_link(
            group_id=record["group_id"],
            signup_id=record["id"],
            gen=record["gen"],
            link_rev=int(record.get("link_rev", 0)),
            settings=self.settings,
        )

    def activation_item(self, record: SignupRecord) -> dict[str, Any]:
        """Transaction item for a member becoming active: their link starts to work."""
        return self.repo.new_link_item(token_hash(self.token(record)), link_of(record))

    def forget(self, record: SignupRecord) -> None:
        """Erasure: the link's lookup row goes too (it would show the kind page anyway), and its
        rate counters (keyed by the link's hash)."""
        hashed = token_hash(self.token(record))
        self.repo.delete_link(hashed)
        self.repo.delete_counters(TOKEN_RATE_PREFIX + hashed[:32])

    def forget_item(self, record: SignupRecord) -> dict[str, Any]:
        """Transaction item: a record restarts (a new generation), so its earlier link's row goes."""
        return self.repo.delete_link_item(token_hash(self.token(record)))

    def replace_link(self, group_id: str, signup_id: str, *, organizer_id: str) -> None:
        """Revoke one member's link at once and send them a new one (one transaction)."""
        record = self.signups.get(group_id, signup_id) if 1 <= len(signup_id) <= 64 else None
        if record is None:
            raise NotFound("signup")
        if record["status"] != "active":
            raise Conflict(f"Only an active member has a link to replace (this signup is {record['status']}).")
        now = self.clock.now()
        renewed = cast(SignupRecord, {**record, "link_rev": int(record.get("link_rev", 0)) + 1})
        tx = Transaction()
        # The record's part is the signups feature's: conditional on what was read (generation and
        # version), so two organizers replacing the same link at once make one new link, not two
        # revisions each thinking theirs went out.
        tx.add("signup", self.signups.link_renewed_item(record, now=now))
        tx.add("old", self.repo.delete_link_item(token_hash(self.token(record))))
        tx.add("new", self.activation_item(renewed))
        # The email (the outbox's part) and its reference in her own partition, for erasure.
        self.signups.promise_member_email(tx, label="mail", kind="new_join_link", record=record, now=now)
        try:
            tx.commit(self.repo.client)
        except TransactionCancelled:
            raise Conflict("This member changed meanwhile; look again and retry.") from None
        log.info("join link replaced signup=%s by=%s", signup_id, organizer_id)
