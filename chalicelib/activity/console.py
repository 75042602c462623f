"""Console pages of the activity log: a group's, and the organization's (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.activity.records import ORGANIZATION
from chalicelib.console.shell import Ctx, local_words
from chalicelib.errors import Forbidden
from chalicelib.web.request import query_params


def _activity_page(ctx: Ctx, scope: str, path: str, **page: Any) -> Response:
    entries, following = ctx.c.activity.page(scope, query_params(ctx.request).get("cursor"))
    shown = [{**e, "when": local_words(datetime.fromisoformat(e["at"]), "America/Denver")} for e in entries]
    next_url = f"{ctx.base}{path}?{urlencode({'cursor': following})}" if following else None
    return ctx.page("activity.html", title="Activity", entries=shown, next_url=next_url, **page)


def activity(ctx: Ctx) -> Response:
    group = ctx.group()
    return _activity_page(ctx, group["id"], f"/groups/{group['id']}/activity", group=group, section="activity")


def org_activity(ctx: Ctx) -> Response:
    if not ctx.who.is_admin:
        raise Forbidden()
    return _activity_page(ctx, ORGANIZATION, "/activity", section="org_activity")
