"""Console pages of the meetings: the next six months or any month ahead, and one meeting (cancel,
move, change the note, put it back; tell members now or closer to the date) with who will be told,
and on which date, before saving."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from chalice.app import Response

from chalicelib.console import web
from chalicelib.console.shell import Ctx, local_instant, local_words
from chalicelib.errors import Invalid
from chalicelib.groups.records import DEFAULT_ANNOUNCE_DAYS
from chalicelib.meetings.activity_words import Change, meeting_change_summary
from chalicelib.meetings.meeting import move_problem
from chalicelib.meetings.zones import zone_name
from chalicelib.web.request import query_params

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
    ("note", "Only add or change the message"),
    ("restore", "Put it back as scheduled"),
]


# How far ahead the month navigation goes (the schedule generates meetings for ever).
MONTHS_AHEAD = 36


def _month(text: str, today: date) -> tuple[int, int] | None:
    """A YYYY-MM month from today's to MONTHS_AHEAD months on, or None."""
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    offset = (year - today.year) * 12 + month - today.month
    return (year, month) if 1 <= month <= 12 and 0 <= offset <= MONTHS_AHEAD else None


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def _month_words(year: int, month: int) -> str:
    return f"{date(year, month, 1):%B} {year}"


def meetings(ctx: Ctx) -> Response:
    """The meetings of one month (``?month=YYYY-MM``, default: the next six months from today):
    every meeting the schedule generates, however far ahead, to cancel, move or annotate."""
    group = ctx.group()
    zone = group["schedule"]["timezone"]
    now = ctx.c.clock.now()
    today = now.astimezone(ZoneInfo(zone)).date()
    asked = query_params(ctx.request).get("month", "")
    picked = _month(asked, today)
    errors: dict[str, str] = {}
    if asked and picked is None:
        errors["month"] = f"Choose a month from {_month_words(today.year, today.month)} to " + (
            _month_words(*_shift(today.year, today.month, MONTHS_AHEAD)) + "."
        )
    if picked is None:
        found = [
            m
            for m in ctx.c.meetings.upcoming(group, count=27)
            if m.scheduled_starts_at <= now + timedelta(days=183)  # the next six months
        ]
        heading, first = "The next six months", (today.year, today.month)
    else:
        found = [m for m in ctx.c.meetings.in_month(group, *picked) if m.ends_at > now]
        heading, first = _month_words(*picked), picked
    listed = [
        {
            "date": m.date,
            "when": local_words(m.starts_at, zone),
            "status": m.status,
            "status_text": MEETING_STATUS[m.status],
            "note": m.note,
        }
        for m in found
    ]
    months = [_shift(today.year, today.month, i) for i in range(MONTHS_AHEAD + 1)]
    prev = _shift(*first, -1) if picked is not None and first != (today.year, today.month) else None
    after = _shift(*first, 1 if picked is not None else 6)  # the six months shown: the month after them
    nxt = after if _month(f"{after[0]:04d}-{after[1]:02d}", today) else None
    return ctx.page(
        "meetings.html",
        title="Meetings",
        status=400 if errors else 200,
        group=group,
        section="meetings",
        meetings=listed,
        heading=heading,
        errors=errors,
        labels={"month": "Month"},
        month_value=f"{first[0]:04d}-{first[1]:02d}",
        month_options=[(f"{y:04d}-{m:02d}", _month_words(y, m)) for y, m in months],
        prev_month=None if prev is None else (f"{prev[0]:04d}-{prev[1]:02d}", _month_words(*prev)),
        next_month=None if nxt is None else (f"{nxt[0]:04d}-{nxt[1]:02d}", _month_words(*nxt)),
    )


def day_words(moment: datetime, zone: str) -> str:
    """'Sunday, June 6, 2027' (the local date in the group's zone)."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A}, {local:%B} {local.day}, {local.year}"


def _told_lines(preview: Any, zone: str) -> list[str]:
    lines = []
    for kind, count in preview.now.items():
        never = preview.never_told.get(kind, 0)
        line = f"{count} member{'s' if count != 1 else ''} will get a {KIND_WORDS.get(kind, kind)} now"
        if never:
            were = "was" if never == 1 else "were"
            line += f" ({never} of them {were} never told about this meeting and will get the announcement)"
        lines.append(line + ", within 15 minutes of saving.")
    for (moment, kind), count in sorted(preview.later.items()):
        lines.append(
            f"{count} member{'s' if count != 1 else ''} will get a {KIND_WORDS.get(kind, kind)} on "
            f"{day_words(moment, zone)} (not before)."
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
    v: dict[str, Any] = {
        "change": "",
        "new_date": local_start.date().isoformat(),
        "new_time": f"{local_start:%H:%M}",
        "note": current.note or "",
        "tell_now": True,
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
        "announce_days": group.get("announce_days", DEFAULT_ANNOUNCE_DAYS),
        "zone_words": f"{zone_name(zone)} time",
        "kind_words": KIND_WORDS,
        "told": None,
        "labels": {
            "change": "What to do",
            "new_date": "New date",
            "new_time": "New start time",
            "note": "Your message to members",
            "tell_now": "When to tell members",
        },
    }
    title = f"Meeting of {local_words(current.scheduled_starts_at, zone)}"
    if ctx.request.method != "POST":
        return ctx.page("meeting.html", title=title, v=v, **page)
    v = {k: ctx.form(k) for k in ("change", "new_date", "new_time")} | {
        "note": web.first(ctx.fields, "note").strip(),
        "tell_now": ctx.form("tell_now") == "yes",
    }
    tell_now = v["tell_now"] and v["change"] in ("cancel", "move")
    body: dict[str, Any] = {"note": v["note"] or None, "tell_now": tell_now}
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
        else:
            problem = move_problem(current.scheduled_starts_at, starts, now=c.clock.now())  # the check Save makes
            if problem:
                errors["new_date"] = problem
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
    proposed = hypothetical(
        current,
        status=status,
        starts_at=starts,
        note=v["note"] or None,
        announce_from=c.clock.now() if tell_now else current.announce_from,
    )
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
    # The log names the meeting by its scheduled date and, once moved, by its date now (issue 21).
    summary = meeting_change_summary(
        cast(Change, v["change"]),  # one of the four: any other was refused above
        scheduled=current.scheduled_starts_at,
        current=current.starts_at,
        moved=current.status == "moved",
        new_start=starts,
        words=lambda moment: local_words(moment, zone),
    )
    c.activity.record(group["id"], ctx.who, f"meeting_{v['change']}", summary)
    # The same words as the preview the organizer just read: now, on a date, or nobody.
    back = f"/groups/{group['id']}/meetings"
    if preview.now:
        return ctx.done(back, "meeting")
    if preview.later:
        return ctx.done(back, "meeting_later", day_words(min(preview.later)[0], zone))
    return ctx.done(back, "meeting_quiet")
