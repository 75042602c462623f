"""Console pages of the distribution: who was sent what for one meeting, and sending a
member the meeting's message again (through the meeting's ledger, one per few minutes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from chalice.app import Response

from chalicelib.console.shell import Ctx, chosen, local_words
from chalicelib.errors import Conflict
from chalicelib.signups.records import SignupRecord

# ---------------------------------------------------------------- deliveries


MESSAGE_WORDS = {
    "reminder": "Reminder with the link",
    "changed": "Change notice",
    "cancelled": "Cancellation",
    "back_on": "'Back on' notice",
}
DELIVERY_STATUS = {"sent": "Sent", "failed": "Failed", "pending": "Not sent yet", "suppressed": "Address bounced"}


def _lead_words(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day{'s' if days != 1 else ''} before"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''} before"
    return f"{minutes} minutes before"


def _message_words(row: dict[str, Any]) -> str:
    """ "Reminder with the link (1 day before)": which reminder, from its ledger key r<lead minutes>."""
    words = MESSAGE_WORDS.get(row.get("type") or "", "Reminder")
    from chalicelib.distribution.planner import lead_of

    lead = lead_of(str(row.get("reminder") or row.get("message") or ""))
    if row.get("type") in (None, "reminder") and lead is not None:
        words += f" ({_lead_words(lead)})"
    return words


def deliveries(ctx: Ctx) -> Response:
    from chalicelib.distribution.report import ReportFilter

    group = ctx.group()
    c = ctx.c
    day = ctx.params.get("date", "")
    report = c.deliveries_report.build(
        group["id"], day, only=ReportFilter(), now=c.clock.now(), lease_now=c.lease_clock()
    )
    zone = group["schedule"]["timezone"]
    rows = [
        {
            "name": d["name"],
            "email": d["email"],
            "message": _message_words(d),
            "status": d["status"],
            "status_text": DELIVERY_STATUS[d["status"]],
            "reason": d.get("reason"),
            "when": local_words(datetime.fromisoformat(d["sent_at"]), zone) if d.get("sent_at") else "",
        }
        for d in report["deliveries"]
    ]
    meeting = c.meetings.meeting_on(group, day)
    members = [{"id": m["signup_id"], "name": m["name"], "email": m["email"]} for m in report["members"]]
    over = c.clock.now() >= meeting.ends_at
    return ctx.page(
        "deliveries.html",
        title="Who was sent what",
        group=group,
        section="meetings",
        rows=rows,
        counts=report["counts"],
        members=[] if over else members,
        date=day,
        meeting_when=local_words(meeting.starts_at, zone),
        resend_what="the cancellation" if meeting.status == "cancelled" else "the reminder with the Zoom link",
    )


def resend(ctx: Ctx) -> Response:
    group = ctx.group()
    c = ctx.c
    day = ctx.params.get("date", "")
    meeting = c.meetings.meeting_on(group, day)
    picked = chosen(ctx, group, "active")
    person = picked[0] if picked else None
    if person is None:
        raise Conflict("Only an active member can be sent the meeting's message.")
    if c.clock.now() >= meeting.ends_at:
        raise Conflict("This meeting is over.")
    when = local_words(meeting.scheduled_starts_at, group["schedule"]["timezone"])
    summary = f"Sent {{member}} the message about the meeting of {when} again"
    entry = c.activity.entry(group["id"], ctx.who, "resend", summary, member_id=person["id"])
    member = cast(SignupRecord, person)
    c.resends.request(group["id"], day, meeting, member, organizer_id=ctx.who.org_id, also=[("activity", entry)])
    return ctx.done(f"/groups/{group['id']}/meetings/{day}/deliveries", "resent")
