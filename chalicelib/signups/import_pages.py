"""The console's "Import a list" pages (docs/console.md): the form, the checked list (a draft)
with the organizer's choices, and the import's progress and result. Imported by the console's
views on the first import request only. Each page takes the console's request context (``Ctx``:
the group after its scope check, the form, ``page``, ``done``)."""

from __future__ import annotations

from typing import Any, Protocol

from chalice.app import Response

from chalicelib.errors import Conflict, Invalid
from chalicelib.signups.importing import MAX_IMPORT_ROWS, parse_text, parse_upload
from chalicelib.signups.imports import BASES
from chalicelib.web.request import query_params


class Page(Protocol):
    """What these pages use of the console's request context (``console`` ``Ctx``)."""

    request: Any
    params: dict[str, str]
    fields: dict[str, list[str]]

    @property
    def c(self) -> Any: ...

    @property
    def who(self) -> Any: ...

    def group(self) -> Any: ...

    def form(self, name: str) -> str: ...

    def page(self, template: str, *, title: str, status: int = 200, **context: Any) -> Response: ...

    def done(self, path: str, code: str, n: int | None = None) -> Response: ...


# How many of the people to add the checked list shows (all of them are added).
SHOWN_READY = 100
SHOWN_SKIPPED = 1000
IMPORT_NOTICES = {
    "import_started": "Adding them now, a few at a time. Each gets their email within minutes of being added.",
    "import_forgotten": "The list is forgotten: the rows we kept from it are deleted.",
}
STATE_CHOICES = [("", "Refuse the row"), ("ID", "Idaho"), ("MT", "Montana")]


def _notice(ctx: Page) -> str | None:
    return IMPORT_NOTICES.get(query_params(ctx.request).get("done", ""))


def member_import(ctx: Page) -> Response:
    """GET: the form and the group's latest imports. POST: check the list and keep it as a draft
    (nobody is added, nothing is sent), then show it (303 to its page)."""
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


def member_import_job(ctx: Page) -> Response:
    """One import: the checked list and the choices (a draft), its progress, or its result."""
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
        notice=_notice(ctx),
        errors=errors,
        labels={"mode": "How they joined", "basis": "How they asked", "basis_on": "Since when", "consent": "Consent"},
        job=job,
        people=people[:SHOWN_READY],
        more_people=max(0, len(people) - SHOWN_READY),
        skipped=skipped[:SHOWN_SKIPPED],
        more_skipped=max(0, len(skipped) - SHOWN_SKIPPED),
        problems=[s for s in skipped if s["kind"] == "problem"],
        done_count=done,
        left_count=max(0, int(job["ready"]) - done),
        minutes_left=_minutes_left(ctx, max(0, int(job["ready"]) - done)),
        choices=choices,
        bases=[(k, v[0]) for k, v in BASES.items()],
        basis_words={k: v[0] for k, v in BASES.items()},
    )


def _summary(count: int, mode: str, basis: str | None, basis_on: str | None) -> str:
    if mode == "members" and basis is not None:
        return f"Started adding {count} people from a list as members ({BASES[basis][0].lower()}, since {basis_on})"
    return f"Started inviting {count} people from a list to confirm their address"


def _minutes_left(ctx: Page, left: int) -> int:
    rate = max(1.0, float(ctx.c.settings.max_send_rate) / 2)
    return max(1, round(left / rate / 60 + 0.5)) if left else 0
