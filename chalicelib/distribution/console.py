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


# Who was sent what, one member a row, a page at a time (issue 21 item 10a).
DELIVERY_PAGE = 50
SHOW = {
    "all": "Everyone",
    "not_sent": "Not sent yet",
    "failed": "Failed or bounced",
    "not_opened": "Not opened their link",
}


def _people(report: dict[str, Any], zone: str) -> list[dict[str, Any]]:
    """One entry per member: her messages about the meeting, an outcome, whether she opened her link."""
    people: dict[str, dict[str, Any]] = {}
    for d in report["deliveries"]:
        person = people.setdefault(
            d["signup_id"], {"id": d["signup_id"], "name": d["name"], "email": d["email"], "messages": []}
        )
        person["messages"].append(
            {
                "message": _message_words(d) if d["status"] != "suppressed" else "Nothing (her address bounced)",
                "status": d["status"],
                "status_text": DELIVERY_STATUS[d["status"]],
                "reason": d.get("reason"),
                "when": local_words(datetime.fromisoformat(d["sent_at"]), zone) if d.get("sent_at") else "",
            }
        )
    for m in report["members"]:
        person = people.setdefault(
            m["signup_id"], {"id": m["signup_id"], "name": m["name"], "email": m["email"], "messages": []}
        )
        person["active"] = True
        person["opened"] = local_words(datetime.fromisoformat(m["opened_at"]), zone) if m.get("opened_at") else ""
    for person in people.values():
        statuses = {msg["status"] for msg in person["messages"]}
        person["outcome"] = (
            "failed" if statuses & {"failed", "suppressed"} else "sent" if "sent" in statuses else "pending"
        )
    return sorted(people.values(), key=lambda p: (p["name"].casefold(), p["id"]))


def _shown(person: dict[str, Any], show: str) -> bool:
    if show == "not_sent":
        return bool(person["outcome"] == "pending")
    if show == "failed":
        return bool(person["outcome"] == "failed")
    if show == "not_opened":
        return bool(person.get("active")) and not person.get("opened")
    return True


def deliveries(ctx: Ctx) -> Response:
    from chalicelib.distribution.report import ReportFilter
    from chalicelib.signing import read_cursor, sign_cursor
    from chalicelib.web.request import query_params

    group = ctx.group()
    c = ctx.c
    day = ctx.params.get("date", "")
    params = query_params(ctx.request)
    show = params.get("show", "all") if params.get("show") in SHOW else "all"
    scope = f"deliveries:{group['id']}:{day}:{show}"
    offset = 0
    if params.get("cursor"):
        data = read_cursor(params["cursor"], "console", c.settings)
        if data.get("s") != scope or not isinstance(data.get("o"), int):
            from chalicelib.errors import InvalidCursor

            raise InvalidCursor()
        offset = max(0, data["o"])
    report = c.deliveries_report.build(
        group["id"], day, only=ReportFilter(), now=c.clock.now(), lease_now=c.lease_clock()
    )
    zone = group["schedule"]["timezone"]
    everyone = _people(report, zone)
    summary = {key: sum(1 for p in everyone if _shown(p, key)) for key in SHOW}
    summary["opened"] = report["opened"]
    chosen_people = [p for p in everyone if _shown(p, show)]
    page = chosen_people[offset : offset + DELIVERY_PAGE]
    more = offset + DELIVERY_PAGE < len(chosen_people)
    next_cursor = sign_cursor({"s": scope, "o": offset + DELIVERY_PAGE}, "console", c.settings) if more else None
    meeting = c.meetings.meeting_on(group, day)
    over = c.clock.now() >= meeting.ends_at
    return ctx.page(
        "deliveries.html",
        title="Who was sent what",
        group=group,
        section="meetings",
        people=page,
        counts=report["counts"],
        summary=summary,
        show=show,
        show_options=list(SHOW.items()),
        shown_count=len(chosen_people),
        first=offset + 1,
        next_cursor=next_cursor,
        first_page=offset == 0,
        may_resend=not over,
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
