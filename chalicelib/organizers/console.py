"""Console pages of the organizers (admins): the list, inviting one (an email telling
them how to sign in), removing one (their sessions and key stop working)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.activity.records import ORGANIZATION
from chalicelib.console.shell import Ctx
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound


def _admin(ctx: Ctx) -> None:
    if not ctx.who.is_admin:
        raise Forbidden("Only an admin may manage organizers.")


def organizers(ctx: Ctx) -> Response:
    _admin(ctx)
    names = {g["id"]: g["name"] for g in ctx.c.groups.all()}
    shown = []
    for o in sorted(ctx.c.organizers.all(), key=lambda o: o["name"].lower()):
        if o["status"] != "active":
            continue
        role = o.get("role", "admin")
        scope = (
            "Admin: every group"
            if role == "admin"
            else "Organizer of " + ", ".join(names.get(g, g) for g in o.get("groups") or [])
        )
        shown.append({**o, "scope": scope, "removable": o["id"] != ctx.who.org_id})
    return ctx.page("organizers.html", title="Organizers", section="organizers", organizers=shown)


def organizer_new(ctx: Ctx) -> Response:
    _admin(ctx)
    c = ctx.c
    all_groups = sorted(c.groups.all(), key=lambda g: g["name"])
    page: dict[str, Any] = {
        "section": "organizers",
        "all_groups": all_groups,
        "labels": {"name": "Their name", "email": "Their email address", "groups": "What may they do"},
    }
    if ctx.request.method != "POST":
        blank = {"name": "", "email": "", "admin": False, "groups": []}
        return ctx.page("organizer_new.html", title="Add an organizer", v=blank, **page)
    known = {g["id"] for g in all_groups}
    v: dict[str, Any] = {
        "name": ctx.form("name"),
        "email": ctx.form("email"),
        "admin": ctx.form("admin") == "yes",
        "groups": [g for g in ctx.fields.get("groups", []) if g in known],
    }
    errors: dict[str, str] = {}
    name = " ".join(v["name"].split())
    if not 1 <= len(name) <= 100:
        errors["name"] = "Give a name of 1 to 100 characters."
    from chalicelib.emails import normalize_email

    try:
        email = normalize_email(v["email"])
    except ValueError as exc:
        errors["email"] = str(exc)
        email = ""
    if email and c.organizers.by_email(email) is not None:
        errors["email"] = "An organizer already has this address."
    if not errors:
        try:
            record = c.organizers.record(
                name=name,
                email=email,
                role="admin" if v["admin"] else "organizer",
                groups=v["groups"],
                invited_by=ctx.who.org_id,
            )
        except Invalid as exc:
            errors = exc.fields
    if errors:
        return ctx.page("organizer_new.html", title="Add an organizer", status=400, v=v, errors=errors, **page)
    mail = c.console.mail_item("console_invite", c.clock.now(), organizer_id=record["id"])
    scope = "as an admin" if v["admin"] else "for " + ", ".join(g["name"] for g in all_groups if g["id"] in v["groups"])
    entry = c.activity.entry(ORGANIZATION, ctx.who, "organizer_added", f"Added {name} as an organizer {scope}")
    c.organizers.invite(record, also=[("mail", mail), ("activity", entry)])
    return ctx.done("/organizers", "invited")


def organizer_remove(ctx: Ctx) -> Response:
    _admin(ctx)
    c = ctx.c
    org_id = ctx.params.get("org_id", "")
    if org_id == ctx.who.org_id:
        raise Conflict("You cannot remove yourself; ask another admin.")
    target = c.organizers.get(org_id)
    if target is None or target["status"] != "active":
        raise NotFound("organizer")
    entry = c.activity.entry(ORGANIZATION, ctx.who, "organizer_removed", f"Removed {target['name']} as an organizer")
    c.organizers.remove(org_id, also=[("activity", entry)])
    return ctx.done("/organizers", "org_removed")
