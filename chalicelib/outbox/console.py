"""The console's Outbox page (admins): emails the sender parked (out of attempts, or an unknown
outcome), with Retry and Discard, and whether sending is paused. Ids, kinds, groups, reasons,
attempts and dates only: never an address or a name (docs/deploy.md, "A parked email")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.activity.records import ORGANIZATION
from chalicelib.errors import Forbidden, Invalid

if TYPE_CHECKING:
    from chalicelib.console.shell import Ctx

DONE = {
    "outbox_retried": "Sent again: the email is pending and goes out within 15 minutes.",
    "outbox_discarded": "Discarded: that email will never be sent.",
}
# What a reason means, for the admin deciding.
REASONS = {
    "outcome_unknown": "SES may have sent it (its answer was lost, or the sender stopped before recording it)",
    "partly_sent": "some of its emails went out",
    "handler": "it could not be prepared (a bug, or a record this version cannot read)",
}


def _admin(ctx: Ctx) -> None:
    if not ctx.who.is_admin:
        raise Forbidden("Only an admin may manage the outbox.")


def _explain(reason: str) -> str:
    return REASONS.get(reason.split(":", 1)[0], "SES refused it each time it was tried")


def outbox(ctx: Ctx) -> Response:
    from chalicelib.web.request import query_params

    _admin(ctx)
    sender = ctx.c.outbox
    names = {g["id"]: g["name"] for g in ctx.c.groups.all()}
    items = [
        {**item, "group": names.get(item.get("group_id") or "", ""), "why": _explain(str(item.get("reason") or ""))}
        for item in sender.parked()
    ]
    done = query_params(ctx.request).get("done")
    return ctx.page(
        "outbox.html",
        title="Outbox",
        section="outbox",
        items=items,
        paused_until=sender.paused_until(),
        notice=DONE.get(done or ""),
    )


def outbox_item(ctx: Ctx) -> Response:
    _admin(ctx)
    outbox_id, action = ctx.params.get("outbox_id", ""), ctx.form("action")
    sender = ctx.c.outbox
    if action == "retry":
        sender.retry_parked(outbox_id)
        summary = f"Sent a parked email again (outbox {outbox_id})"
    elif action == "discard":
        sender.discard_parked(outbox_id)
        summary = f"Discarded a parked email (outbox {outbox_id})"
    else:
        raise Invalid("Choose Retry or Discard.", fields={"action": "Must be retry or discard."})
    ctx.c.activity.record(ORGANIZATION, ctx.who, f"outbox_{action}", summary)
    return ctx.done("/outbox", "outbox_retried" if action == "retry" else "outbox_discarded")
