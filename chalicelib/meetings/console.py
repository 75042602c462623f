"""Console pages of the meetings: the next six months, and one meeting (cancel, move, change
the note, put it back) with who will be told before saving."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalice.app import Response

from chalicelib.console import web
from chalicelib.console.shell import Ctx, local_instant, local_words
from chalicelib.errors import Invalid
from chalicelib.meetings.zones import zone_name

KIND_WORDS = {
    "cancelled": "cancellation notice",
    "changed": "change notice",
    "back_on": "'back on' notice",
    "reminder": "reminder",
}

# ---------------------------------------------------------------- meetings


MEETING_STATUS = {"scheduled": "On", "moved": "Moved", "cancelled": "Cancelled"}
CHANGE_OPTIONS = [
    ("cancel", "Cancel this meeting"),
    ("move", "Move it to another time"),
    ("note", "Only add or change the note"),
    ("restore", "Put it back as scheduled"),
]


def meetings(ctx: Ctx) -> Response:
    group = ctx.group()
    zone = group["schedule"]["timezone"]
    listed = [
        {
            "date": m.date,
            "when": local_words(m.starts_at, zone),
            "status": m.status,
            "status_text": MEETING_STATUS[m.status],
            "note": m.note,
        }
        for m in ctx.c.meetings.upcoming(group, count=27)
        if m.scheduled_starts_at <= ctx.c.clock.now() + timedelta(days=183)  # the next six months
    ]
    return ctx.page("meetings.html", title="Meetings", group=group, section="meetings", meetings=listed)


def _told_lines(preview: Any, zone: str) -> list[str]:
    lines = []
    for kind, count in preview.now.items():
        never = preview.never_told.get(kind, 0)
        line = f"{count} member{'s' if count != 1 else ''} will get a {KIND_WORDS.get(kind, kind)} now"
        if never:
            line += f" ({never} of them were never told about this meeting and will get the announcement)"
        lines.append(line + ".")
    if preview.later:
        on = local_words(preview.announce_on, zone) if preview.announce_on else "later"
        lines.append(
            f"{preview.later} member{'s' if preview.later != 1 else ''} will be told closer to the date ({on})."
        )
    if not lines:
        lines.append(
            f"Nobody needs to be told: none of the {preview.active} active members heard anything that changes."
        )
    return lines


def meeting(ctx: Ctx) -> Response:
    from chalicelib.distribution.preview import hypothetical, preview_change

    group = ctx.group()
    c = ctx.c
    day = ctx.params.get("date", "")
    current = c.meetings.meeting_on(group, day)
    zone = group["schedule"]["timezone"]
    local_start = current.starts_at.astimezone(ZoneInfo(zone))
    v = {
        "change": "",
        "new_date": local_start.date().isoformat(),
        "new_time": f"{local_start:%H:%M}",
        "note": current.note or "",
    }
    info = {
        "date": day,
        "status": current.status,
        "scheduled_when": local_words(current.scheduled_starts_at, zone),
        "now_text": f"{MEETING_STATUS[current.status]}, {local_words(current.starts_at, zone)}",
    }
    page: dict[str, Any] = {
        "group": group,
        "section": "meetings",
        "meeting": info,
        "change_options": CHANGE_OPTIONS,
        "zone_words": f"{zone_name(zone)} time",
        "kind_words": KIND_WORDS,
        "told": None,
        "labels": {"change": "What to do", "new_date": "New date", "new_time": "New start time", "note": "Note"},
    }
    title = f"Meeting of {local_words(current.scheduled_starts_at, zone)}"
    if ctx.request.method != "POST":
        return ctx.page("meeting.html", title=title, v=v, **page)
    v = {k: ctx.form(k) for k in ("change", "new_date", "new_time")} | {"note": web.first(ctx.fields, "note").strip()}
    body: dict[str, Any] = {"note": v["note"] or None}
    starts: datetime | None = None
    errors: dict[str, str] = {}
    if v["change"] == "cancel":
        status = "cancelled"
        body["status"] = "cancelled"
    elif v["change"] == "move":
        status = "moved"
        try:
            starts = local_instant(v["new_date"], v["new_time"], zone)
            body["starts_at"] = starts.isoformat()
        except Invalid as exc:
            errors.update(exc.fields)
    elif v["change"] == "restore":
        status, body["status"] = "scheduled", "scheduled"
    elif v["change"] == "note":
        status = current.status
        starts = current.starts_at if current.status == "moved" else None
    else:
        errors["change"] = "Choose what to do."
        status = current.status
    if errors:
        return ctx.page("meeting.html", title=title, status=400, v=v, errors=errors, **page)
    proposed = hypothetical(current, status=status, starts_at=starts, note=v["note"] or None)
    preview = preview_change(c.planner, group, proposed, now=c.clock.now(), lease_now=c.lease_clock())
    page["told"] = {"lines": _told_lines(preview, zone), "subjects": preview.subjects}
    if ctx.form("action") != "save":
        return ctx.page("meeting.html", title=title, v=v, **page)
    try:
        if v["change"] == "restore" and current.status != "scheduled" and not v["note"]:
            c.meetings.delete_override(group["id"], day, organizer_id=ctx.who.org_id)
        else:
            c.meetings.put_override(group["id"], day, body, organizer_id=ctx.who.org_id)
    except Invalid as exc:
        fields = {("new_date" if k == "starts_at" else k): why for k, why in exc.fields.items()}
        return ctx.page("meeting.html", title=title, status=400, v=v, errors=fields, **page)
    what = {"cancel": "Cancelled", "move": "Moved", "restore": "Put back as scheduled", "note": "Changed the note of"}
    summary = f"{what[v['change']]} the meeting of {local_words(current.scheduled_starts_at, zone)}"
    if starts is not None and v["change"] == "move":
        summary += f" (now {local_words(starts, zone)})"
    c.activity.record(group["id"], ctx.who, f"meeting_{v['change']}", summary)
    # The same words as the preview the organizer just read: now, closer to the date, or nobody.
    told = "meeting" if preview.now else ("meeting_later" if preview.later else "meeting_quiet")
    return ctx.done(f"/groups/{group['id']}/meetings", told)
