"""What a personal link does when it is opened (the path members take at 3:59 PM): light on
purpose, it imports nothing heavy. Two reads (the link; then the member and the group's window in
one batch), one conditional write the first time a member opens it for a meeting, and a counter.

- Inside a meeting's opening window (``join_window_minutes`` before its start, until its end):
  303 to the group's current Zoom link.
- Outside it: a waiting page (the next meeting, when the link opens, add to calendar); a cancelled
  meeting says so.
- An unknown link, or one whose member left, was erased or was given a new link: the same kind page
  for both, naming how to reach the organizers, never the room.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from chalicelib.clock import Clock
from chalicelib.joinlinks.records import IP_RATE_PREFIX, TOKEN_RATE_PREFIX, JoinWindowRecord, WindowMeeting
from chalicelib.joinlinks.storage import JoinLinkRepository
from chalicelib.joinlinks.tokens import plausible, token_hash
from chalicelib.signing import keyed_hash
from chalicelib.signups.records import SignupRecord

# Uses of one link per minute (a forwarded email posted somewhere), and unknown links per minute
# from one network address (someone guessing).
PER_TOKEN_PER_MINUTE = 20
UNKNOWN_PER_IP_PER_MINUTE = 20
# Opening records expire with the meeting's delivery ledger.
OPENED_RETENTION = timedelta(days=90)

Result = Literal["open", "wait", "unknown", "limited"]


class Opened:
    """What opening a link came to. A plain class (not a dataclass): the click path's cold start
    should not pay for generating methods nothing calls (issue 23)."""

    __slots__ = ("later", "location", "meeting", "member", "result", "retry_after", "window")

    def __init__(
        self,
        result: Result,
        location: str | None = None,
        member: SignupRecord | None = None,
        window: JoinWindowRecord | None = None,
        meeting: WindowMeeting | None = None,  # the one open now, or the next
        later: list[WindowMeeting] | None = None,
        retry_after: int = 60,
    ) -> None:
        self.result = result
        self.location = location
        self.member = member
        self.window = window
        self.meeting = meeting
        self.later: list[WindowMeeting] = [] if later is None else later
        self.retry_after = retry_after

    def __repr__(self) -> str:  # never the room's link, nor the member's record
        return f"Opened(result={self.result!r}, retry_after={self.retry_after})"


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


class JoinClicks:
    def __init__(self, *, repo: JoinLinkRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def _limited(self, counter_pk: str, limit: int, now: datetime) -> bool:
        bucket = now.strftime("%Y-%m-%dT%H:%M")
        return self.repo.count_hit(counter_pk, bucket=bucket, ttl=int(now.timestamp()) + 600) > limit

    def _unknown(self, source_ip: str, now: datetime) -> Opened:
        if self._limited(IP_RATE_PREFIX + keyed_hash(source_ip, "joinip")[:32], UNKNOWN_PER_IP_PER_MINUTE, now):
            return Opened("limited")
        return Opened("unknown")

    def open(self, token: str, *, source_ip: str) -> Opened:
        now = self.clock.now()
        if not plausible(token):
            return self._unknown(source_ip, now)
        hashed = token_hash(token)
        link = self.repo.link(hashed)
        if link is None:
            return self._unknown(source_ip, now)
        member, window = self.repo.member_and_window(link["group_id"], link["signup_id"])
        if (
            member is None
            or member["status"] != "active"
            or member["gen"] != link["gen"]
            or int(member.get("link_rev", 0)) != int(link["link_rev"])
            or window is None
        ):
            return self._unknown(source_ip, now)  # the same page as for a link that never was
        if self._limited(TOKEN_RATE_PREFIX + hashed[:32], PER_TOKEN_PER_MINUTE, now):
            return Opened("limited", member=member, window=window)
        ahead = [m for m in window["meetings"] if _parse(m["end"]) > now]
        for meeting in ahead:
            if meeting["status"] != "cancelled" and _parse(meeting["opens"]) <= now:
                self.repo.record_opened(
                    group_id=window["group_id"],
                    day=meeting["date"],
                    signup_id=member["id"],
                    when=now.isoformat(),
                    expires_at=int((_parse(meeting["end"]) + OPENED_RETENTION).timestamp()),
                )
                return Opened("open", location=window["zoom_url"], member=member, window=window, meeting=meeting)
        return Opened("wait", member=member, window=window, meeting=ahead[0] if ahead else None, later=ahead[1:3])
