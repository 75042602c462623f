"""The joining details a group shows, by its join-details policy (what emails carry besides the
personal link; the personal link's page shows them all)."""

from __future__ import annotations

from typing import TypedDict

from chalicelib.groups.records import DEFAULT_JOIN_DETAILS, GroupRecord


class JoinDetailsShown(TypedDict):
    meeting_id: str | None
    passcode: str | None
    dial_in: list[str]


def shown_in_emails(group: GroupRecord) -> JoinDetailsShown:
    policy = group.get("join_details") or DEFAULT_JOIN_DETAILS
    return {
        "meeting_id": group.get("zoom_meeting_id") if policy["meeting_id"] else None,
        "passcode": group.get("zoom_passcode") if policy["passcode"] else None,
        "dial_in": list(group.get("zoom_dial_in") or []) if policy["dial_in"] else [],
    }


def all_details(group: GroupRecord) -> JoinDetailsShown:
    return {
        "meeting_id": group.get("zoom_meeting_id"),
        "passcode": group.get("zoom_passcode"),
        "dial_in": list(group.get("zoom_dial_in") or []),
    }
