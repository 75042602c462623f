"""The console's page for one member (issue 21 item 5): "did Ann get the link?" in one place.

Her status and its history (from her record), every email written about her with its outcome
(the outbox's items, by the references in her own partition), what she was sent about each meeting
(the distribution's ledger) and each announcement (the announcements' ledger), the meetings she
opened her link for (the join links' opening rows), where she lives, and one-tap actions (send her
the meeting's message again, a new link, decline or erase), each a CSRF-protected form posting to
the operation that already exists. Each feature is asked through its service; every read is a
GetItem or a Query on keys she owns (her record, ``MEMBER#<group>#<id>``, the member index)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Response

from chalicelib.console.shell import Ctx, local_words
from chalicelib.constants import STATE_NAMES
from chalicelib.errors import NotFound
from chalicelib.signups.records import STATUS_WORDS

# What each kind of email about a member is, in words.
EMAIL_WORDS = {
    "confirm": "Please confirm your email",
    "already_member": "You are already signed up",
    "welcome": "Welcome, with her link",
    "new_system": "We have moved (her link)",
    "your_link": "Her link again (she asked)",
    "new_join_link": "Her new link",
    "declined": "Declined, with the group's message",
    "meeting_resend": "A meeting's message sent again",
    "catch_up": "What was already due when she joined",
}
OUTCOME_WORDS = {
    "pending": "Waiting to go",
    "sending": "Being sent",
    "sent": "Sent",
    "done": "Nothing to send",
    "held": "Held back",
    "failed": "Failed",
    "parked": "Stuck (an admin can retry it)",
    "discarded": "Discarded by an admin",
    "claimed": "Being sent",
}
HELD_WHY = {
    "address limit": "too many emails to this address in a short time",
    "nothing to send": "nothing to send any more (her status had changed)",
}
MESSAGE_WORDS = {
    "reminder": "Reminder with the link",
    "changed": "Change notice",
    "cancelled": "Cancellation",
    "back_on": "'Back on' notice",
}
# Her record's moments, in the order they happen.
HISTORY = [
    ("created_at", "Signed up"),
    ("confirmed_at", "Confirmed her email address"),
    ("approved_at", "Approved"),
    ("rejected_at", "Declined"),
    ("unsubscribed_at", "Left the group"),
    ("bounced_at", "Her address bounced"),
]
SHOWN_EMAILS = 50


def _when(stamp: Any, zone: str) -> str:
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return ""
    return local_words(moment, zone)


def _history(record: dict[str, Any], zone: str) -> list[dict[str, str]]:
    steps = [(record[name], words) for name, words in HISTORY if record.get(name)]
    if record.get("consent_source") in ("organizer", "organizer_import"):
        steps[0] = (
            record["created_at"],
            "Added by an organizer" if record["consent_source"] == "organizer" else "Added from an imported list",
        )
    if record.get("bounce_reason"):
        steps = [
            (when, f"{words} ({record['bounce_reason']})" if words.startswith("Her address") else words)
            for when, words in steps
        ]
    steps.sort(key=lambda step: str(step[0]))
    return [{"when": _when(when, zone), "what": words} for when, words in steps]


def _emails(ctx: Ctx, group_id: str, signup_id: str, zone: str) -> list[dict[str, Any]]:
    """Every email about her: the outbox's items (welcome, link, resend, ...), each meeting's
    messages and each announcement, newest first."""
    c = ctx.c
    rows: list[dict[str, Any]] = []
    for item in c.outbox.items(c.signups.email_refs(group_id, signup_id)[:SHOWN_EMAILS]):
        why = item.get("reason") or ""
        rows.append(
            {
                "at": item.get("sent_at") or item["created_at"],
                "what": EMAIL_WORDS.get(item["kind"], item["kind"].replace("_", " ").capitalize()),
                "status": item["status"],
                "why": HELD_WHY.get(why, why) if item["status"] in ("held", "failed", "parked") else "",
            }
        )
    for row in c.deliveries_report.for_member(group_id, signup_id):
        rows.append(
            {
                "at": row.get("sent_at") or row.get("failed_at") or "",
                "what": f"{MESSAGE_WORDS.get(row.get('message') or '', 'Reminder')} (meeting of {row['date']})",
                "status": row.get("status", ""),
                "why": row.get("reason") or "",
            }
        )
    for row in c.announcements.member_deliveries(group_id, signup_id):
        rows.append(
            {
                "at": row.get("sent_at") or row.get("failed_at") or "",
                "what": f"Announcement: {row.get('subject') or '(deleted)'}",
                "status": row.get("status", ""),
                "why": row.get("reason") or "",
            }
        )
    rows.sort(key=lambda r: str(r["at"]), reverse=True)
    for row in rows:
        row["when"] = _when(row["at"], zone)
        row["status_text"] = OUTCOME_WORDS.get(row["status"], row["status"])
    return rows


def member(ctx: Ctx) -> Response:
    group = ctx.group()
    c = ctx.c
    signup_id = ctx.params.get("signup_id", "")
    record = c.signups.get(group["id"], signup_id) if 1 <= len(signup_id) <= 64 else None
    if record is None:
        raise NotFound("member")
    person = dict(record)
    # Her times in her own zone (the first of both when she has not said which).
    from chalicelib.meetings.zones import member_zones
    from chalicelib.signups.console import zone_words

    zone = member_zones(person)[0]
    next_meeting = c.meetings.next_meeting(group) if person["status"] == "active" else None
    openings = c.join_links.openings(group["id"], signup_id)
    return ctx.page(
        "member.html",
        title=person["name"],
        group=group,
        section="members",
        person=person,
        status_text=STATUS_WORDS.get(person["status"], person["status"]),
        state_name=STATE_NAMES.get(person["state"], person["state"]),
        zone=zone_words(person),
        active=person["status"] in ("active", "pending_approval", "pending_confirmation"),
        history=_history(person, zone),
        emails=_emails(ctx, group["id"], signup_id, zone),
        openings=[{"date": o["date"], "when": _when(o["opened_at"], zone)} for o in openings],
        next_meeting=next_meeting,
        next_when=local_words(next_meeting.starts_at, zone) if next_meeting else "",
    )


def new_link(ctx: Ctx) -> Response:
    """A new personal link (the old one stops at once); she gets it by email."""
    group = ctx.group()
    signup_id = ctx.params.get("signup_id", "")
    ctx.c.join_links.replace_link(group["id"], signup_id, organizer_id=ctx.who.org_id)
    return ctx.done(f"/groups/{group['id']}/members/{signup_id}", "new_link")
