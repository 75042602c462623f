"""The console's shell: the ``Ctx`` every page gets (the request, the signed-in organizer, its form,
the group after the scope check, rendering into the layout), the notices a page shows after a
redirect, and what pages share (the time zones offered, dates in words, a local time as an instant,
the people a form ticked). Feature pages (``chalicelib/<feature>/console.py``) build on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from chalice.app import Response

from chalicelib import container
from chalicelib.console import web
from chalicelib.console.service import Signed
from chalicelib.console.static import asset_url
from chalicelib.errors import Forbidden, Invalid
from chalicelib.groups.records import GroupRecord
from chalicelib.meetings.zones import ZONE_CHOICES, member_zone, zone_name
from chalicelib.meetings.zones import clock as clock_words
from chalicelib.templating import render
from chalicelib.web.request import query_params

# One label per real zone (chalicelib/meetings/zones.py): Mountain (Montana, Boise and south Idaho),
# Pacific (north Idaho). America/Boise is Mountain time and is shown as it.
ZONES: list[tuple[str, str]] = list(ZONE_CHOICES)


def zone_options(current: str | None) -> list[tuple[str, str]]:
    """The zones offered, plus a zone set some other way (the API) as it is, so that saving a form
    never changes it unasked."""
    if not current or member_zone(current):
        return ZONES
    return [*ZONES, (current, f"{zone_name(current)} time (as set)")]


def shown_zone(current: str) -> str:
    """The choice a stored zone is shown as (America/Boise is the Mountain choice)."""
    return member_zone(current) or current


NOTICES = {
    "approved": "{n} approved. They get a welcome email now with their own link to the meetings.",
    "declined": "{n} declined. They get the group's message.",
    "added": "Added. They get an email to confirm their address.",
    "removed": "Removed, with everything we held about them in this group.",
    "saved": "Saved.",
    "group_created": "The group is created. Its signup page and emails use the settings below.",
    "meeting": "Saved. Members are told within 15 minutes.",
    "meeting_later": "Saved. Members are told on {n}; the reminders carry the change too.",
    "meeting_quiet": "Saved. Nobody needed to be told.",
    "resent": "Sent again. It arrives within a minute.",
    "new_link": "A new link is made and on its way to her; the old one no longer opens the meetings.",
    "event_saved": "The event is saved.",
    "event_cancelled": "The event is cancelled; the website shows it as cancelled.",
    "invited": "Added. They get an email telling them how to sign in.",
    "org_removed": "Removed. They can no longer sign in, and their key no longer works.",
    "drafted": "Saved as a draft. A preview is on its way to your email; it is also shown below.",
    "announcement_sending": "Sending now. Each member gets it once; the counts below fill in within a minute.",
    "announcement_discarded": "The draft is deleted.",
    "site_added": "Allowed. Within a minute, its pages can show the signup form and the events.",
    "site_added_trimmed": "Allowed. You pasted the address of one page, so we kept only the website's address "
    "(shown below): every page of the site can now show the signup form and the events, within a minute.",
    "site_already": "That website was already allowed; nothing changed.",
    "site_removed": "Removed. Within a minute, its pages can no longer show the signup form or the events.",
}


# ---------------------------------------------------------------- the request's context


@dataclass
class Ctx:
    request: Any
    params: dict[str, str]
    base: str
    signed: Signed | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    group_record: GroupRecord | None = None

    @property
    def c(self) -> Any:
        return container.current()

    @property
    def who(self) -> Any:
        assert self.signed is not None
        return self.signed.principal

    def form(self, name: str) -> str:
        return web.first(self.fields, name).strip()

    def group(self) -> GroupRecord:
        """The group the page names, after the scope check (403 for another group, known or not)."""
        if self.group_record is None:
            group_id = self.params.get("group_id", "")
            if not self.who.may_manage(group_id):
                raise Forbidden("You are not an organizer of this group.")
            self.group_record = self.c.groups.get(group_id)
        return self.group_record

    def page(self, template: str, *, title: str, status: int = 200, **context: Any) -> Response:
        notice = None
        done = query_params(self.request).get("done")
        if done in NOTICES:
            notice = NOTICES[done].format(n=query_params(self.request).get("n", ""))
        from chalicelib.organization import organization

        body = render(
            f"console/pages/{template}",
            title=title,
            org=organization(self.c.settings),
            base=self.base,
            css_url=asset_url(self.base, "console.css"),
            signed=self.signed,
            group=context.pop("group", None),
            section=context.pop("section", ""),
            notice=context.pop("notice", notice),
            errors=context.pop("errors", {}),
            labels=context.pop("labels", {}),
            **context,
        )
        return web.html(body, status=status)

    def done(self, path: str, code: str, n: int | str | None = None) -> Response:
        query = {"done": code, **({"n": str(n)} if n is not None else {})}
        return web.see_other(f"{self.base}{path}?{urlencode(query)}")


def local_words(moment: datetime, zone: str) -> str:
    """'Tue, Dec 1, 2026, 4:00 PM Mountain': the zone in words (chalicelib/meetings/zones.py), never 'MST'."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a}, {local:%b} {local.day}, {local.year}, {clock_words(local)} {zone_name(zone)}"


def day_words(stamp: str | None) -> str:
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp).astimezone(ZoneInfo("America/Denver"))
    return f"{moment:%b} {moment.day}, {moment.year}"


def chosen(ctx: Ctx, group: GroupRecord, *statuses: str) -> list[dict[str, Any]]:
    """The people the form ticked (``person``) who are in this group with one of these statuses."""
    picked = []
    for signup_id in dict.fromkeys(ctx.fields.get("person", [])):
        record = ctx.c.signups.get(group["id"], signup_id) if 1 <= len(signup_id) <= 64 else None
        if record is not None and record["status"] in statuses:
            picked.append(dict(record))
    return picked


def local_instant(
    day_text: str, time_text: str, zone: str, *, day_field: str = "new_date", time_field: str = "new_time"
) -> datetime:
    """A local date and time in a zone as an instant; refuses a time the clocks skip."""
    errors: dict[str, str] = {}
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        errors[day_field] = "Give a date."
    else:
        if not 2000 <= day.year <= 2100:  # the calendar's edges overflow once given a zone
            errors[day_field] = "Give a date between the years 2000 and 2100."
    try:
        clock = time.fromisoformat(time_text)
    except ValueError:
        errors[time_field] = "Give a time, like 4:00 PM."
    if errors:
        raise Invalid(fields=errors)
    tz = ZoneInfo(zone)
    moment = datetime.combine(day, clock, tz)
    if moment.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise Invalid(fields={time_field: "The clocks skip this time that day (daylight saving): choose another."})
    return moment
