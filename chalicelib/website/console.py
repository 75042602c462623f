"""Console page of the website (admins): the allowed website origins (deploy-time ones
read-only, stored ones added and removed here) and the snippets the web volunteer pastes."""

from __future__ import annotations

from datetime import datetime

from chalice.app import Response

from chalicelib.activity.records import ORGANIZATION
from chalicelib.console.shell import Ctx, local_words
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound

SITE_LABELS = {"origin": "Website address"}
SITE_CONFLICT = (
    "Someone else changed the list at the same moment, so nothing was saved. "
    "The list below is the current one: please try again."
)


def _site_admin(ctx: Ctx) -> None:
    if not ctx.who.is_admin:
        raise Forbidden("Only an admin may change the website settings.")


def embed_snippets(api: str, group_id: str) -> dict[str, str]:
    """What the web volunteer pastes (web/README.md): the one script tag, or the frame."""
    return {
        "script": f'<script src="{api}/widgets/mbc-connect.js" data-group="{group_id}" defer></script>',
        "iframe": (
            f'<iframe src="{api}/embed/{group_id}" title="Sign up and upcoming events" '
            'style="width:100%;height:1900px;border:0"></iframe>'
        ),
    }


def _changed_by(ctx: Ctx, org_id: str | None) -> str:
    if not org_id:
        return ""
    if org_id == "cli":
        return "an admin, with the command line"
    record = ctx.c.organizers.get(org_id)
    return record["name"] if record else "an organizer who is no longer listed"


def _website_page(ctx: Ctx, *, status: int = 200, value: str = "", errors: dict[str, str] | None = None) -> Response:
    c = ctx.c
    view = c.site.origins()
    api = c.settings.public_api_url.rstrip("/")
    snippets = [
        {"id": g["id"], "name": g["name"], **embed_snippets(api, g["id"])}
        for g in sorted(c.groups.all(), key=lambda g: g["name"])
    ]
    changed = None
    if view["updated_at"]:
        changed = {
            "when": local_words(datetime.fromisoformat(view["updated_at"]), "America/Denver"),
            "by": _changed_by(ctx, view["updated_by"]),
        }
    return ctx.page(
        "website.html",
        title="Website",
        status=status,
        section="website",
        stored=view["origins"],
        deploy=view["deploy_origins"],
        changed=changed,
        value=value,
        errors=errors or {},
        labels=SITE_LABELS,
        snippets=snippets,
        api=api,
    )


def website(ctx: Ctx) -> Response:
    """The allowed website origins: the deploy-time ones (read-only) and the stored ones (add here)."""
    _site_admin(ctx)
    if ctx.request.method != "POST":
        return _website_page(ctx)
    from chalicelib.website.origins import trim_to_origin

    c = ctx.c
    raw = ctx.form("origin")
    try:
        # A pasted page address (https://site.org/join) is trimmed to its website, with a note.
        origin, trimmed = trim_to_origin(raw)
    except ValueError as exc:
        return _website_page(ctx, status=400, value=raw, errors={"origin": str(exc)})
    try:
        before = c.site.origins()
        c.site.add_origin(origin, by=ctx.who.org_id)
    except Invalid as exc:
        # The API's own words: "Must start with https:// ...", or the list is full ("origins").
        why = exc.fields.get("origin") or next(iter(exc.fields.values()), exc.message)
        return _website_page(ctx, status=400, value=raw, errors={"origin": why})
    except Conflict:
        return _website_page(ctx, status=409, value=raw, errors={"origin": SITE_CONFLICT})
    if origin in before["origins"]:
        return ctx.done("/site", "site_already")
    c.activity.record(ORGANIZATION, ctx.who, "site_origin_added", f"Allowed the website {origin}")
    return ctx.done("/site", "site_added_trimmed" if trimmed else "site_added")


def website_remove(ctx: Ctx) -> Response:
    _site_admin(ctx)
    from chalicelib.website.origins import normalize_origin

    c = ctx.c
    raw = ctx.form("origin")
    try:
        c.site.remove_origin(raw, by=ctx.who.org_id)
    except Invalid as exc:
        return _website_page(ctx, status=400, errors={"remove": exc.fields.get("origin", exc.message)})
    except NotFound as exc:
        return _website_page(ctx, status=404, errors={"remove": exc.message})
    except Conflict:
        return _website_page(ctx, status=409, errors={"remove": SITE_CONFLICT})
    origin = normalize_origin(raw)
    c.activity.record(ORGANIZATION, ctx.who, "site_origin_removed", f"Stopped allowing the website {origin}")
    return ctx.done("/site", "site_removed")
