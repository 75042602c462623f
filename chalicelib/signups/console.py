"""Console pages of the signups: people waiting for approval (approve, decline with a kind
message) and the members (list, CSV, add by hand, import a list, remove with their data, the time
each lives on)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.console import web
from chalicelib.console.shell import Ctx, chosen, day_words
from chalicelib.errors import Conflict, Invalid, NotFound, StaleVersion
from chalicelib.groups.records import (
    DEFAULT_DECLINE_MESSAGE,
    GroupRecord,
)
from chalicelib.web.request import query_params

STATE_NAMES = {"ID": "Idaho", "MT": "Montana"}
STATUS_WORDS = {
    "pending_confirmation": "Waiting for them to confirm",
    "pending_approval": "Waiting for approval",
    "active": "Active member",
    "unsubscribed": "Left",
    "rejected": "Declined",
    "bounced": "Email bounced",
}

# ---------------------------------------------------------------- waiting for approval


def _person(record: dict[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "how_heard": record.get("how_heard"),
        "when": day_words(record.get("confirmed_at") or record.get("created_at")),
    }


def waiting(ctx: Ctx) -> Response:
    group = ctx.group()
    people = [_person(dict(r)) for r in ctx.c.signups.members(group["id"], status="pending_approval")]
    return ctx.page(
        "waiting.html", title="Waiting for approval", group=group, section="waiting", people=people, states=STATE_NAMES
    )


def waiting_post(ctx: Ctx) -> Response:
    group = ctx.group()
    people = chosen(ctx, group, "pending_approval")
    if not people:
        raise Invalid("Choose at least one person first (tick the box next to their name).")
    if ctx.form("action") == "decline":
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
    note = ctx.form("note")
    from chalicelib.validation import refused_character

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


def members(ctx: Ctx) -> Response:
    group = ctx.group()
    params = query_params(ctx.request)
    q, status = params.get("q", "").strip().lower()[:100], params.get("status", "current")
    shown = []
    for record in ctx.c.signups.members(group["id"]):
        if status == "current" and record["status"] not in ("active", "pending_approval", "pending_confirmation"):
            continue
        if status not in ("current", "all") and record["status"] != status:
            continue
        if q and q not in record["name"].lower() and q not in record["email"].lower():
            continue
        shown.append(
            {
                **record,
                "joined": day_words(record.get("approved_at") or record.get("confirmed_at") or record["created_at"]),
                "zone": _zone_words(record),
            }
        )
    shown.sort(key=lambda r: r["name"].lower())
    options = [
        ("current", "Current members and people waiting"),
        ("all", "Everyone, including people who left"),
        *STATUS_WORDS.items(),
    ]
    return ctx.page(
        "members.html",
        title="Members",
        group=group,
        section="members",
        people=shown,
        q=params.get("q", ""),
        status_filter=status,
        status_options=options,
        status_words=STATUS_WORDS,
    )


def members_csv(ctx: Ctx) -> Response:
    group = ctx.group()
    body = ctx.c.signups.csv_export(group["id"], {})
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{group["id"]}-members.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


MEMBER_LABELS = {"name": "Their name", "email": "Their email address", "state": "State", "consent": "Consent"}


def member_add(ctx: Ctx) -> Response:
    group = ctx.group()
    values = {"name": "", "email": "", "state": "", "consent": False}
    if ctx.request.method == "POST":
        from chalicelib.signups.admin import check_person

        values = {k: ctx.form(k) for k in ("name", "email", "state")} | {"consent": ctx.form("consent") == "yes"}
        person, errors = check_person(str(values["name"]), str(values["email"]), str(values["state"]))
        if not values["consent"]:
            errors["consent"] = "Add only people who asked to join."
        if person is not None and not errors:
            from chalicelib.signups.addresses import signup_id_for

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
            group=group,
            section="members",
            status=400,
            values=values,
            errors=errors,
            labels=MEMBER_LABELS,
        )
    return ctx.page("member_add.html", title="Add a member", group=group, section="members", values=values)


def member_import(ctx: Ctx) -> Response:
    from chalicelib.signups.admin import MAX_IMPORT_ROWS, parse_csv

    group = ctx.group()
    page: dict[str, Any] = {"group": group, "section": "members", "max_rows": MAX_IMPORT_ROWS, "rows": None}
    if ctx.request.method != "POST":
        return ctx.page("member_import.html", title="Import a list", csv_text="", **page)
    text = web.first(ctx.fields, "file").strip() or web.first(ctx.fields, "csv").strip()
    try:
        rows = parse_csv(text)
    except Invalid as exc:
        return ctx.page(
            "member_import.html",
            title="Import a list",
            status=400,
            csv_text=text,
            errors=exc.fields,
            labels={"csv": "The CSV"},
            **page,
        )
    good = [r for r in rows if r.person is not None]
    page.update(rows=rows, good=len(good), bad=len(rows) - len(good), csv_text=text)
    if ctx.form("action") != "commit":
        return ctx.page("member_import.html", title="Check the list", **page)
    if ctx.form("consent") != "yes":
        return ctx.page(
            "member_import.html",
            title="Check the list",
            status=400,
            errors={"consent": "Add only people who asked to join."},
            **page,
        )
    added, results = 0, []
    for row in good:
        assert row.person is not None
        try:
            ctx.c.signup_admin.add(group["id"], row.person, added_by=ctx.who.org_id)
            added += 1
        except Conflict as exc:
            results.append(f"Row {row.line} ({row.person.name}): {exc.message}")
    ctx.c.activity.record(group["id"], ctx.who, "import", f"Imported {added} of {len(rows)} people from a list")
    if results:
        page.update(rows=None, results=results)
        return ctx.page(
            "member_import.html",
            title="Import a list",
            csv_text="",
            notice=f"{added} added; {len(results)} could not be added.",
            **page,
        )
    return ctx.done(f"/groups/{group['id']}/members", "imported", added)


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


def _zone_words(record: Any) -> str:
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
