"""Console pages of the announcements: write a draft (previewed by email and on the page),
edit, send to every active member, or discard it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Response

from chalicelib.console import web
from chalicelib.console.shell import Ctx, day_words, local_words
from chalicelib.errors import Conflict, Invalid
from chalicelib.groups.records import (
    GroupRecord,
)

ANNOUNCEMENT_LABELS = {"subject": "Subject", "body": "Message", "version": "Version"}
ANNOUNCEMENT_STATUS = {"draft": "Draft (not sent)", "sending": "Sending now", "sent": "Sent"}


def _announcement_preview(ctx: Ctx, group: GroupRecord, record: dict[str, Any]) -> dict[str, str]:
    from chalicelib.announcements.mail import preview_email

    c = ctx.c
    now = c.clock.now()
    mail = preview_email(
        record,  # type: ignore[arg-type]
        group=group,
        to="preview@example.org",
        organizer_name="Sam Sample",
        audience=int(record.get("audience") or 0),
        settings=c.settings,
        series=c.meetings.upcoming(group, count=12, now=now) if record.get("attach_invite") else [],
        now=now,
        banner=False,  # the page says itself whether it was sent
    )
    return {"subject": str(record["subject"]), "text": mail.text}


def announcements(ctx: Ctx) -> Response:
    group = ctx.group()
    c = ctx.c
    values = {"subject": "", "body": "", "attach_invite": False}
    errors: dict[str, str] = {}
    status = 200
    if ctx.request.method == "POST":
        values = {
            "subject": ctx.form("subject"),
            "body": web.first(ctx.fields, "body"),
            "attach_invite": ctx.form("attach_invite") == "yes",
        }
        entry = c.activity.entry(group["id"], ctx.who, "announcement", f"Wrote an announcement: {values['subject']}")
        try:
            made = c.announcements.draft(group["id"], values, organizer_id=ctx.who.org_id, also=[("activity", entry)])
            return ctx.done(f"/groups/{group['id']}/announcements/{made['id']}", "drafted")
        except Invalid as exc:
            errors, status = exc.fields, 400
    listed = [
        {
            **a,
            "status_text": ANNOUNCEMENT_STATUS[a["status"]],
            "when": day_words(a.get("sending_at") or a["created_at"]),
        }
        for a in c.announcements.list_page(group["id"], {"limit": "50"})["announcements"]
    ]
    return ctx.page(
        "announcements.html",
        title="Announcements",
        status=status,
        group=group,
        section="announcements",
        listed=listed,
        v=values,
        errors=errors,
        labels=ANNOUNCEMENT_LABELS,
        audience=c.signups.count(group["id"], "active"),
    )


def announcement(ctx: Ctx) -> Response:
    group = ctx.group()
    c = ctx.c
    announcement_id = ctx.params.get("announcement_id", "")
    record = c.announcements.get(group["id"], announcement_id)
    errors: dict[str, str] = {}
    status = 200
    values = {"subject": record["subject"], "body": record["body"], "attach_invite": record["attach_invite"]}
    if ctx.request.method == "POST":
        action = ctx.form("action")
        version = ctx.form("version")
        if not version.isdigit():
            raise Invalid(fields={"version": "Reload the page and try again."})
        path = f"/groups/{group['id']}/announcements/{announcement_id}"
        try:
            if action == "send":
                entry = c.activity.entry(
                    group["id"], ctx.who, "announcement", f"Sent the announcement: {record['subject']}"
                )
                c.announcements.send(
                    group["id"],
                    announcement_id,
                    {"version": int(version)},
                    organizer_id=ctx.who.org_id,
                    also=[("activity", entry)],
                )
                return ctx.done(path, "announcement_sending")
            if action == "discard":
                c.announcements.discard(group["id"], announcement_id, {"version": version})
                c.activity.record(group["id"], ctx.who, "announcement", f"Discarded a draft: {record['subject']}")
                return ctx.done(f"/groups/{group['id']}/announcements", "announcement_discarded")
            values = {
                "subject": ctx.form("subject"),
                "body": web.first(ctx.fields, "body"),
                "attach_invite": ctx.form("attach_invite") == "yes",
            }
            c.announcements.edit(
                group["id"], announcement_id, {"version": int(version), **values}, organizer_id=ctx.who.org_id
            )
            return ctx.done(path, "drafted")
        except Invalid as exc:
            errors, status = exc.fields, 400
        except Conflict as exc:
            errors, status = {"version": exc.message}, 409
            record = c.announcements.get(group["id"], announcement_id)
    shown = {**record, **values} if errors else record
    return ctx.page(
        "announcement.html",
        title="Announcement" if record["status"] != "draft" else "Check and send the announcement",
        status=status,
        group=group,
        section="announcements",
        a=record,
        v=values,
        errors=errors,
        labels=ANNOUNCEMENT_LABELS,
        status_text=ANNOUNCEMENT_STATUS[record["status"]],
        preview=_announcement_preview(ctx, group, shown),
        audience=record.get("audience", 0),
        sent_when=local_words(datetime.fromisoformat(record["sending_at"]), group["schedule"]["timezone"])
        if record.get("sending_at")
        else "",
    )
