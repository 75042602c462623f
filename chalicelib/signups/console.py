"""Console pages of the signups: people waiting for approval (approve, decline with a kind
message) and the members (list, CSV, add by hand, import a list, remove with their data, the time
each lives on)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Response

from chalicelib.console.shell import Ctx, chosen, day_words
from chalicelib.constants import STATE_NAMES
from chalicelib.errors import Conflict, Invalid, NotFound, StaleVersion
from chalicelib.groups.records import (
    DEFAULT_DECLINE_MESSAGE,
    GroupRecord,
)
from chalicelib.signups.records import STATUS_WORDS
from chalicelib.web.request import query_params

# ---------------------------------------------------------------- waiting for approval


def _person(record: dict[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "how_heard": record.get("how_heard"),
        "when": day_words(record.get("confirmed_at") or record.get("created_at")),
    }


def waiting(ctx: Ctx) -> Response:
    group = ctx.group()
    cursor = query_params(ctx.request).get("cursor") or None
    records, next_cursor = ctx.c.signups.find(group["id"], show="pending_approval", q="", cursor=cursor)
    people = [_person(dict(r)) for r in records]
    return ctx.page(
        "waiting.html",
        title="Waiting for approval",
        group=group,
        section="waiting",
        people=people,
        states=STATE_NAMES,
        waiting_count=ctx.c.signups.count(group["id"], "pending_approval"),
        next_cursor=next_cursor,
        first_page=cursor is None,
    )


# At most this many approvals in one request ("Approve everyone waiting"): each is a transaction
# and an email; the page says how many are left, and the button does the next ones.
APPROVE_ALL_AT_ONCE = 100


def waiting_post(ctx: Ctx) -> Response:
    group = ctx.group()
    action = ctx.form("action")
    if action == "approve_all":
        people = [dict(r) for r in ctx.c.signups.members_now(group["id"], status="pending_approval")]
        people = people[:APPROVE_ALL_AT_ONCE]
    else:
        if action == "approve_page":
            ctx.fields["person"] = ctx.fields.get("on_page", [])
        people = chosen(ctx, group, "pending_approval")
    if not people:
        raise Invalid("Choose at least one person first (tick the box next to their name).")
    if action == "decline":
        return _decline_page(ctx, group, people, note="")
    approved = 0
    for person in people:
        entry = ctx.c.activity.entry(group["id"], ctx.who, "approve", "Approved {member}", member_id=person["id"])
        try:
            ctx.c.signups.approve(group["id"], person["id"], organizer_id=ctx.who.org_id, also=[("activity", entry)])
            approved += 1
        except Conflict:
            continue  # changed meanwhile (approved or declined by someone else)
    return ctx.done(f"/groups/{group['id']}/waiting", "approved", approved)


def _decline_message(group: GroupRecord) -> str:
    return (group.get("decline_message") or DEFAULT_DECLINE_MESSAGE).replace("{group}", group["name"])


def _decline_page(ctx: Ctx, group: GroupRecord, people: list[dict[str, Any]], *, note: str, **extra: Any) -> Response:
    return ctx.page(
        "decline.html",
        title="Decline with a kind message",
        group=group,
        section="waiting",
        people=people,
        message=_decline_message(group).replace("{name}", people[0]["name"] if len(people) == 1 else "(their name)"),
        note=note,
        labels={"note": "Personal note"},
        **extra,
    )


def decline_post(ctx: Ctx) -> Response:
    group = ctx.group()
    people = chosen(ctx, group, "pending_approval", "active")
    if not people:
        raise Invalid("Choose at least one person first.")
    from chalicelib.validation import normalize_line_breaks, refused_character

    note = normalize_line_breaks(ctx.form("note"))  # U+2028/2029 pasted from a phone: line breaks

    problem = refused_character(note, multi_line=True) or ("At most 1,000 characters." if len(note) > 1000 else None)
    if problem:
        return _decline_page(ctx, group, people, note=note, status=400, errors={"note": problem})
    declined = 0
    for person in people:
        entry = ctx.c.activity.entry(group["id"], ctx.who, "decline", "Declined {member}", member_id=person["id"])
        try:
            ctx.c.signups.reject(
                group["id"], person["id"], organizer_id=ctx.who.org_id, message=note or None, also=[("activity", entry)]
            )
            declined += 1
        except Conflict:
            continue
    return ctx.done(f"/groups/{group['id']}/waiting", "declined", declined)


# ---------------------------------------------------------------- members


SHOW_OPTIONS = [
    ("current", "Current members and people waiting"),
    ("all", "Everyone, including people who left"),
    *STATUS_WORDS.items(),
]


def _filter(ctx: Ctx) -> tuple[str, str]:
    params = query_params(ctx.request)
    show = params.get("status", "current")
    return (show if show in dict(SHOW_OPTIONS) else "current"), params.get("q", "").strip()[:100]


def members(ctx: Ctx) -> Response:
    """A page of the group's people (50 at a time, a signed cursor for the next), filtered by
    status and found by name in any order, accents or not, or by part of the address."""
    group = ctx.group()
    show, q = _filter(ctx)
    cursor = query_params(ctx.request).get("cursor") or None
    records, next_cursor = ctx.c.signups.find(group["id"], show=show, q=q, cursor=cursor)
    shown = [
        {
            **record,
            "joined": day_words(record.get("approved_at") or record.get("confirmed_at") or record["created_at"]),
            "zone": zone_words(record),
        }
        for record in records
    ]
    from urllib.parse import urlencode

    filter_query = urlencode({k: v for k, v in (("status", show), ("q", q)) if v})
    return ctx.page(
        "members.html",
        title="Members",
        group=group,
        section="members",
        people=shown,
        q=q,
        status_filter=show,
        status_options=SHOW_OPTIONS,
        status_words=STATUS_WORDS,
        filter_query=filter_query,
        next_cursor=next_cursor,
        first_page=cursor is None,
    )


def members_csv(ctx: Ctx) -> Response:
    """The people the Members page shows with the same filter, for Excel (UTF-8 with a BOM)."""
    group = ctx.group()
    show, q = _filter(ctx)
    body, more = ctx.c.signups.find_csv(group["id"], show=show, q=q)
    return Response(
        body="\ufeff" + body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{group["id"]}-members.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            **({"X-Rows-Left-Out": "yes"} if more else {}),
        },
    )


MEMBER_LABELS = {
    "name": "Their name",
    "email": "Their email address",
    "state": "State",
    "timezone": "The time they live on",
    "consent": "Consent",
}


def member_add(ctx: Ctx) -> Response:
    """Add one person by hand, with the time she lives on when she said (north Idaho is Pacific),
    checked as the signup form checks ``timezone``; not said, it follows her state."""
    from chalicelib.meetings.zones import SIGNUP_CHOICES

    group = ctx.group()
    values: dict[str, Any] = {"name": "", "email": "", "state": "", "timezone": "", "consent": False}
    page: dict[str, Any] = {"group": group, "section": "members", "zone_options": SIGNUP_CHOICES}
    if ctx.request.method == "POST":
        from chalicelib.signups.admin import check_person
        from chalicelib.signups.zone import read_zone

        values = {k: ctx.form(k) for k in ("name", "email", "state", "timezone")} | {
            "consent": ctx.form("consent") == "yes"
        }
        person, errors = check_person(str(values["name"]), str(values["email"]), str(values["state"]))
        try:
            zone = read_zone(values["timezone"])
        except Invalid as exc:
            errors.update(exc.fields)
            zone = None
        if not values["consent"]:
            errors["consent"] = "Add only people who asked to join."
        if person is not None and not errors:
            from chalicelib.signups.addresses import signup_id_for

            person.timezone = zone
            added_id = signup_id_for(group["id"], person.email)
            entry = ctx.c.activity.entry(
                group["id"], ctx.who, "add_member", "Added {member} by hand", member_id=added_id
            )
            try:
                ctx.c.signup_admin.add(group["id"], person, added_by=ctx.who.org_id, also=[("activity", entry)])
                return ctx.done(f"/groups/{group['id']}/members", "added")
            except Conflict as exc:
                errors = exc.fields or {"email": exc.message}
        return ctx.page(
            "member_add.html",
            title="Add a member",
            status=400,
            values=values,
            errors=errors,
            labels=MEMBER_LABELS,
            **page,
        )
    return ctx.page("member_add.html", title="Add a member", values=values, **page)


# How many of the people to add the checked list shows (all of them are added).
SHOWN_READY = 100
SHOWN_SKIPPED = 1000
IMPORT_NOTICES = {
    "import_started": "Adding them now, a few at a time. Each gets their email within minutes of being added.",
    "import_forgotten": "The list is forgotten: the rows we kept from it are deleted.",
}
STATE_CHOICES = [("", "Refuse the row"), ("ID", "Idaho"), ("MT", "Montana")]


def _notice(ctx: Ctx) -> str | None:
    return IMPORT_NOTICES.get(query_params(ctx.request).get("done", ""))


def member_import(ctx: Ctx) -> Response:
    """Import a list (docs/console.md). GET: the form and the group's latest imports. POST: check
    the list and keep it as a draft (nobody is added, nothing is sent), then show it (its page)."""
    from chalicelib.signups.importing import MAX_IMPORT_ROWS

    group = ctx.group()
    page: dict[str, Any] = {
        "group": group,
        "section": "members",
        "max_rows": MAX_IMPORT_ROWS,
        "state_choices": STATE_CHOICES,
        "jobs": ctx.c.imports.jobs(group["id"]),
        "default_state": "",
        "csv_text": "",
    }
    if ctx.request.method != "POST":
        return ctx.page("member_import.html", title="Import a list", notice=_notice(ctx), **page)
    from chalicelib.signups.importing import parse_text, parse_upload

    default_state = ctx.form("default_state") if ctx.form("default_state") in ("ID", "MT") else ""
    upload = getattr(ctx.fields, "files", {}).get("file") or b""
    text = ctx.form("csv")
    page.update(default_state=default_state, csv_text=text)
    try:
        if upload.strip():
            parsed = parse_upload(upload, default_state=default_state)
        else:
            parsed = parse_text(text, default_state=default_state)
    except Invalid as exc:
        return ctx.page(
            "member_import.html",
            title="Import a list",
            status=400,
            errors=exc.fields,
            labels={"csv": "The list"},
            **page,
        )
    job = ctx.c.imports.draft(group["id"], parsed, by=ctx.who.org_id)
    return ctx.done(f"/groups/{group['id']}/members/import/{job['id']}", "checked")


def member_import_job(ctx: Ctx) -> Response:
    """One import: the checked list and the choices (a draft), its progress, or its result."""
    from chalicelib.signups.imports import BASES

    group = ctx.group()
    imports = ctx.c.imports
    job = imports.job(group["id"], ctx.params.get("job_id", ""))
    path = f"/groups/{group['id']}/members/import/{job['id']}"
    errors: dict[str, str] = {}
    choices = {"mode": "members", "basis": "asked_coordinator", "basis_on": "", "consent": False}
    if ctx.request.method == "POST":
        if ctx.form("action") == "forget":
            imports.discard(group["id"], job["id"])
            return ctx.done(f"/groups/{group['id']}/members/import", "import_forgotten")
        choices = {k: ctx.form(k) for k in ("mode", "basis", "basis_on")} | {"consent": ctx.form("consent") == "yes"}
        try:
            mode, basis, basis_on = imports.check_choices(
                str(choices["mode"]), str(choices["basis"]), str(choices["basis_on"])
            )
        except Invalid as exc:
            errors = dict(exc.fields)
        if not choices["consent"]:
            errors["consent"] = "Add only people who asked to join, or who would expect to hear from the group."
        if not errors:
            version = int(ctx.form("version")) if ctx.form("version").isdigit() else 0
            entry = ctx.c.activity.entry(group["id"], ctx.who, "import", _summary(job["ready"], mode, basis, basis_on))
            try:
                imports.commit(
                    group["id"],
                    job["id"],
                    version=version,
                    mode=mode,
                    basis=basis,
                    basis_on=basis_on,
                    by=ctx.who.org_id,
                    also=[("activity", entry)],
                )
                return ctx.done(path, "import_started")
            except Conflict as exc:
                errors = {"version": exc.message}
        job = imports.job(group["id"], job["id"])
    people, skipped = imports.rows(group["id"], job["id"])
    done = int(job.get("added", 0)) + int(job.get("skipped", 0))
    return ctx.page(
        "member_import_job.html",
        title={"draft": "Check the list", "adding": "Adding the list", "done": "The list is added"}[job["status"]],
        status=400 if errors else 200,
        group=group,
        section="members",
        notice=None if job["status"] == "done" else _notice(ctx),  # a reload after it finished: no "Adding them now"
        errors=errors,
        labels={
            "mode": "How they joined",
            "basis": "How they asked",
            "basis_on": "Since when",
            "consent": "Consent",
            "version": "The list",
        },
        job=job,
        people=people[:SHOWN_READY],
        more_people=max(0, len(people) - SHOWN_READY),
        skipped=skipped[:SHOWN_SKIPPED],
        more_skipped=max(0, len(skipped) - SHOWN_SKIPPED),
        done_count=done,
        left_count=max(0, int(job["ready"]) - done),
        minutes_left=_minutes_left(ctx, job, max(0, int(job["ready"]) - done)),
        choices=choices,
        bases=[(k, v[0]) for k, v in BASES.items()],
        basis_words={k: v[0] for k, v in BASES.items()},
    )


def _summary(count: int, mode: str, basis: str | None, basis_on: str | None) -> str:
    from chalicelib.signups.imports import BASES

    if mode == "members" and basis is not None:
        return f"Started adding {count} people from a list as members ({BASES[basis][0].lower()}, since {basis_on})"
    return f"Started inviting {count} people from a list to confirm their address"


def _minutes_left(ctx: Ctx, job: Any, left: int) -> int:
    done = int(job.get("added", 0)) + int(job.get("skipped", 0))
    elapsed = 0.0
    if job.get("committed_at"):
        elapsed = (ctx.c.clock.now() - datetime.fromisoformat(str(job["committed_at"]))).total_seconds()
    return minutes_left(left, send_rate=float(ctx.c.settings.max_send_rate), done=done, elapsed_seconds=elapsed)


def minutes_left(left: int, *, send_rate: float, done: int = 0, elapsed_seconds: float = 0.0) -> int:
    """About how many minutes the rest of a list takes: at half the sending rate (the background's
    pace), or at the pace seen so far when that is slower (a busy table, a slow machine)."""
    if not left:
        return 0
    rate = max(1.0, send_rate / 2)
    if done > 0 and elapsed_seconds > 0:
        rate = min(rate, done / elapsed_seconds)
    return max(1, round(left / rate / 60 + 0.5))


def member_remove(ctx: Ctx) -> Response:
    group = ctx.group()
    signup_id = ctx.params.get("signup_id", "")
    record = ctx.c.signups.get(group["id"], signup_id) if 1 <= len(signup_id) <= 64 else None
    if record is None:
        raise NotFound("member")
    if ctx.request.method == "POST":
        ctx.c.signups.erase_for_organizer(group["id"], signup_id)
        ctx.c.activity.record(group["id"], ctx.who, "remove", "Removed a member and erased their data")
        return ctx.done(f"/groups/{group['id']}/members", "removed")
    return ctx.page("member_remove.html", title="Remove a member", group=group, section="members", person=record)


# ---------------------------------------------------------------- the time a member lives on


def zone_words(record: Any) -> str:
    """'Pacific', 'Mountain', or 'Both (not said)' / 'Mountain (Montana)' when she has not said."""
    from chalicelib.meetings.zones import member_zone, member_zones, zone_name

    zones = member_zones(record)
    if member_zone(record.get("timezone")):
        return zone_name(zones[0])
    return "Both (not said)" if len(zones) > 1 else f"{zone_name(zones[0])} (from the state)"


def member_zone(ctx: Ctx) -> Response:
    """Change the time a member lives on (she told the organizer by phone, say): her emails, join
    page and calendar speak it from the next email on. Her links and what she was sent stay."""
    from chalicelib.meetings.zones import member_zones, zone_choices, zones_words
    from chalicelib.signups.zone import read_zone

    group = ctx.group()
    signup_id = ctx.params.get("signup_id", "")
    record = ctx.c.signups.get(group["id"], signup_id) if 1 <= len(signup_id) <= 64 else None
    if record is None or record["status"] not in ("active", "pending_approval", "pending_confirmation"):
        raise NotFound("member")
    page: dict[str, Any] = {
        "group": group,
        "section": "members",
        "person": record,
        "states": STATE_NAMES,
        "zone_options": zone_choices(record.get("state")),
        "shown": zones_words(member_zones(record)),
    }
    value, version = record.get("timezone") or "", str(record["version"])
    if ctx.request.method == "POST":
        value, version = ctx.form("timezone"), ctx.form("version")
        try:
            zone = read_zone(value)
            if not version.isdigit():
                raise Invalid(fields={"version": "Reload the page and try again."})
            entry = ctx.c.activity.entry(
                group["id"], ctx.who, "member_zone", "Changed the time {member} lives on", member_id=signup_id
            )
            ctx.c.member_zones.set_zone(group["id"], signup_id, zone, version=int(version), also=[("activity", entry)])
        except Invalid as exc:
            return ctx.page(
                "member_zone.html", title="Time zone", status=400, v=value, version=version, errors=exc.fields, **page
            )
        except StaleVersion as exc:
            return ctx.page(
                "member_zone.html",
                title="Time zone",
                status=409,
                v=value,
                version=version,
                errors={"timezone": exc.message},
                **page,
            )
        return ctx.done(f"/groups/{group['id']}/members", "saved")
    return ctx.page("member_zone.html", title="Time zone", v=value, version=version, **page)
