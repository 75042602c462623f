"""The console's pages: each takes the request's context and returns a response. Imported lazily
by ``routes.py`` (never at cold start). Every page that names a group checks the organizer's
scope first (``Ctx.group``), so another group's pages answer 403 whether or not it exists."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from chalice.app import Response

from chalicelib import container
from chalicelib.activity.records import ORGANIZATION
from chalicelib.console import web
from chalicelib.console.service import Signed
from chalicelib.console.static import asset, asset_url
from chalicelib.db import is_unavailable
from chalicelib.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, RateLimited, Unavailable
from chalicelib.groups.records import (
    DEFAULT_DECLINE_MESSAGE,
    DEFAULT_JOIN_DETAILS,
    DEFAULT_JOIN_WINDOW_MINUTES,
    GroupRecord,
)
from chalicelib.templating import render
from chalicelib.web.errors import HttpError, status_and_code
from chalicelib.web.request import query_params, source_ip
from chalicelib.web.routing import UNAVAILABLE_RETRY_SECONDS

log = logging.getLogger("mbc.console")

STATE_NAMES = {"ID": "Idaho", "MT": "Montana"}
STATUS_WORDS = {
    "pending_confirmation": "Waiting for them to confirm",
    "pending_approval": "Waiting for approval",
    "active": "Active member",
    "unsubscribed": "Left",
    "rejected": "Declined",
    "bounced": "Email bounced",
}
ZONES = [
    ("America/Denver", "Mountain Time (Montana, south Idaho)"),
    ("America/Boise", "Mountain Time (Boise)"),
    ("America/Los_Angeles", "Pacific Time (north Idaho)"),
]
ZONE_WORDS = {
    "America/Denver": "Mountain Time",
    "America/Boise": "Mountain Time",
    "America/Los_Angeles": "Pacific Time",
}
WEEKDAYS = [
    ("MO", "Monday"),
    ("TU", "Tuesday"),
    ("WE", "Wednesday"),
    ("TH", "Thursday"),
    ("FR", "Friday"),
    ("SA", "Saturday"),
    ("SU", "Sunday"),
]
WEEKS = [("1", "First"), ("2", "Second"), ("3", "Third"), ("4", "Fourth"), ("-1", "Last")]
LEADS = [
    ("10080", "1 week before"),
    ("2880", "2 days before"),
    ("1440", "1 day before"),
    ("180", "3 hours before"),
    ("60", "1 hour before"),
    ("15", "15 minutes before"),
]
KIND_WORDS = {
    "cancelled": "cancellation notice",
    "changed": "change notice",
    "back_on": "'back on' notice",
    "reminder": "reminder",
}
NOTICES = {
    "approved": "{n} approved. They get a welcome email now with their own link to the meetings.",
    "declined": "{n} declined. They get the group's message.",
    "added": "Added. They get an email to confirm their address.",
    "imported": "{n} added. Each gets an email to confirm their address.",
    "removed": "Removed, with everything we held about them in this group.",
    "saved": "Saved.",
    "meeting": "Saved. Members are told within 15 minutes.",
    "meeting_later": (
        "Saved. Members are told once this is the next meeting (it says when on the meeting's page); "
        "the reminders carry the change too."
    ),
    "meeting_quiet": "Saved. Nobody needed to be told.",
    "resent": "Sent again. It arrives within a minute.",
    "event_saved": "The event is saved.",
    "event_cancelled": "The event is cancelled; the website shows it as cancelled.",
    "invited": "Added. They get an email telling them how to sign in.",
    "org_removed": "Removed. They can no longer sign in, and their key no longer works.",
    "drafted": "Saved as a draft. A preview is on its way to your email; it is also shown below.",
    "announcement_sending": "Sending now. Each member gets it once; the counts below fill in within a minute.",
    "announcement_discarded": "The draft is deleted.",
    "site_added": "Allowed. Within a minute, its pages can show the signup form and the events.",
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
        body = render(
            f"console/pages/{template}",
            title=title,
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

    def done(self, path: str, code: str, n: int | None = None) -> Response:
        query = {"done": code, **({"n": str(n)} if n is not None else {})}
        return web.see_other(f"{self.base}{path}?{urlencode(query)}")


def local_words(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    clock = f"{local:%I:%M %p}".lstrip("0")
    return f"{local:%a}, {local:%b} {local.day}, {local.year}, {clock} {local.tzname()}"


def day_words(stamp: str | None) -> str:
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp).astimezone(ZoneInfo("America/Denver"))
    return f"{moment:%b} {moment.day}, {moment.year}"


# ---------------------------------------------------------------- dispatch


PUBLIC = {"sign_in_form", "sign_in_request", "sign_in_link", "sign_in_complete", "static"}


def handle(name: str, request: Any, params: dict[str, str]) -> Response:
    c = container.current()
    ctx = Ctx(request, params, web.base_path(c.settings.public_api_url))
    try:
        if name in PUBLIC:
            return PAGES[name](ctx)
        ctx.signed = c.console.session(web.cookie_value(request.headers))
        if ctx.signed is None:
            return web.see_other(f"{ctx.base}/sign-in", cookie=web.expired_cookie(path=ctx.base))
        if request.method == "POST":
            if not web.same_origin(request.headers, c.settings.public_api_url):
                raise Forbidden("This form came from another site.")
            ctx.fields = web.form_fields(request)
            if not c.console.csrf_ok(ctx.signed, web.first(ctx.fields, "csrf")):
                return ctx.page(
                    "message.html",
                    title="Please try again",
                    status=403,
                    message="This form is out of date (or did not come from this console). Nothing was changed.",
                    link=ctx.base,
                    link_text="Back to the console",
                )
        return PAGES[name](ctx)
    except DomainError as exc:
        status, _ = status_and_code(exc)
        if isinstance(exc, Forbidden):
            message = "You do not have access to this page. Ask an admin if you need it."
        elif isinstance(exc, NotFound):
            message = "We could not find this page. It may have been removed."
        else:
            message = web.failure_message(status, exc.message)
        log.info("console refusal page=%s status=%s", name, status)
        retry = exc.retry_after if isinstance(exc, (RateLimited, Unavailable)) else None
        return web.error_page(status, message, base=ctx.base, retry_after=retry, signed=ctx.signed)
    except HttpError as exc:  # a form the console cannot read (not UTF-8, too large, malformed)
        log.info("console refusal page=%s status=%s code=%s", name, exc.status, exc.code)
        return web.error_page(exc.status, exc.message, base=ctx.base, signed=ctx.signed)
    except Exception as exc:
        # An outage (503) or a bug (500): still the console's page and headers, never the API's JSON.
        # Logged by type and place only (an exception's message may quote what someone typed).
        if is_unavailable(exc):
            log.warning("console unavailable page=%s error=%s", name, type(exc).__name__)
            return web.error_page(503, web.failure_message(503), base=ctx.base, retry_after=UNAVAILABLE_RETRY_SECONDS)
        log.error("console failure page=%s error=%s at=%s", name, type(exc).__name__, where(exc))
        return web.error_page(500, web.failure_message(500), base=ctx.base)


def where(exc: BaseException) -> str:
    """file:line where an exception was raised (its innermost frame), for the log."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"


# ---------------------------------------------------------------- sign-in and out


def sign_in_form(ctx: Ctx) -> Response:
    return ctx.page("sign_in.html", title="Sign in", sent=False, email="")


def sign_in_request(ctx: Ctx) -> Response:
    if not web.same_origin(ctx.request.headers, ctx.c.settings.public_api_url):
        raise Forbidden("This form came from another site.")
    ctx.fields = web.form_fields(ctx.request)
    email = ctx.form("email")
    try:
        ctx.c.console.request_sign_in(email, source_ip=source_ip(ctx.request))
    except Invalid as exc:
        return ctx.page(
            "sign_in.html",
            title="Sign in",
            status=400,
            sent=False,
            email=email,
            errors=exc.fields,
            labels={"email": "Your email address"},
        )
    except RateLimited as exc:
        return ctx.page("message.html", title="Please wait", status=429, message=exc.message, link=None, link_text="")
    return ctx.page("sign_in.html", title="Check your email", sent=True, email=email)


def _token(ctx: Ctx) -> str:
    return query_params(ctx.request).get("token", "")


def sign_in_link(ctx: Ctx) -> Response:
    token = _token(ctx)
    live = ctx.c.console.link_is_live(token)
    action = f"{ctx.base}/sign-in/link?{urlencode({'token': token})}"
    return ctx.page("sign_in_link.html", title="Sign in", status=200 if live else 400, live=live, action=action)


def sign_in_complete(ctx: Ctx) -> Response:
    if not web.same_origin(ctx.request.headers, ctx.c.settings.public_api_url):
        raise Forbidden("This form came from another site.")
    started = ctx.c.console.start_session(_token(ctx), replacing=web.cookie_value(ctx.request.headers))
    if started is None:
        return ctx.page("sign_in_link.html", title="Sign in", status=400, live=False, action="")
    session_id, _ = started
    return web.see_other(ctx.base, cookie=web.session_cookie(session_id, path=ctx.base))


def sign_out(ctx: Ctx) -> Response:
    assert ctx.signed is not None
    ctx.c.console.sign_out(ctx.signed)
    return web.see_other(f"{ctx.base}/sign-in", cookie=web.expired_cookie(path=ctx.base))


def sign_out_everywhere(ctx: Ctx) -> Response:
    assert ctx.signed is not None
    ctx.c.console.sign_out_everywhere(ctx.signed)
    return web.see_other(f"{ctx.base}/sign-in", cookie=web.expired_cookie(path=ctx.base))


def static(ctx: Ctx) -> Response:
    found = asset(ctx.params.get("name", ""))
    if found is None or found[0] != ctx.params.get("version"):
        return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain"})
    _, content, ctype = found
    return Response(
        body=content.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": ctype,
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


# ---------------------------------------------------------------- home


def home(ctx: Ctx) -> Response:
    c = ctx.c
    items = []
    for group in sorted(c.groups.all(), key=lambda g: g["name"]):
        if not ctx.who.may_manage(group["id"]):
            continue
        meeting = c.meetings.next_meeting(group)
        items.append(
            {
                "group": group,
                "waiting": c.signups.repo.count(group["id"], "pending_approval"),
                "active": c.signups.repo.count(group["id"], "active"),
                "next": local_words(meeting.starts_at, group["schedule"]["timezone"]) if meeting else None,
            }
        )
    return ctx.page("home.html", title="Your groups", section="home", groups=items)


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


def _chosen(ctx: Ctx, group: GroupRecord, *statuses: str) -> list[dict[str, Any]]:
    chosen = []
    for signup_id in dict.fromkeys(ctx.fields.get("person", [])):
        record = ctx.c.signups.get(group["id"], signup_id) if 1 <= len(signup_id) <= 64 else None
        if record is not None and record["status"] in statuses:
            chosen.append(dict(record))
    return chosen


def waiting_post(ctx: Ctx) -> Response:
    group = ctx.group()
    people = _chosen(ctx, group, "pending_approval")
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
    people = _chosen(ctx, group, "pending_approval", "active")
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
    from chalicelib.signups import import_pages

    return import_pages.member_import(ctx)


def member_import_job(ctx: Ctx) -> Response:
    from chalicelib.signups import import_pages

    return import_pages.member_import_job(ctx)


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


# ---------------------------------------------------------------- announcements


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
        audience=c.signups.repo.count(group["id"], "active"),
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


# ---------------------------------------------------------------- group settings


SETTING_LABELS = {
    "name": "Group name",
    "description": "Description",
    "eligibility": "Who can join",
    "weeks": "Which weeks",
    "weekday": "Day of the week",
    "start_time": "Start time",
    "timezone": "Time zone",
    "duration_minutes": "Length in minutes",
    "zoom_url": "Zoom link",
    "zoom_passcode": "Passcode",
    "zoom_meeting_id": "Meeting ID",
    "zoom_dial_in": "Dial-in phone numbers",
    "leads": "Reminders",
    "decline_message": "Message to people you decline",
    "join_window_minutes": "Minutes before the start that links open the room",
    "join_details": "What emails show besides the personal link",
    "contact_name": "Contact name",
    "contact_email": "Contact email address",
    "schedule.rrule": "Schedule",
    "schedule.start_time": "Start time",
    "schedule.duration_minutes": "Length in minutes",
    "reminder_leads_minutes": "Reminders",
}


def _schedule_values(group: GroupRecord) -> dict[str, Any]:
    parts = dict(p.split("=", 1) for p in group["schedule"]["rrule"].split(";") if "=" in p)
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    weekday, weeks, custom = "TU", [], None
    simple = set(parts) <= {"FREQ", "BYDAY", "INTERVAL", "WKST"} and parts.get("INTERVAL", "1") == "1" and days
    if simple and parts.get("FREQ") == "WEEKLY" and len(days) == 1 and days[0].isalpha():
        return {"repeat": "weekly", "weeks": [], "weekday": days[0], "custom_rule": None}
    if simple and parts.get("FREQ") == "MONTHLY" and len({d[-2:] for d in days}) == 1:
        weekday, weeks = days[0][-2:], [d[:-2].lstrip("+") for d in days]
        if all(w in {k for k, _ in WEEKS} for w in weeks):
            return {"repeat": "monthly", "weeks": weeks, "weekday": weekday, "custom_rule": None}
    custom = group["schedule"]["rrule"]
    return {"repeat": "monthly", "weeks": ["1"], "weekday": weekday, "custom_rule": custom}


def _settings_values(group: GroupRecord) -> dict[str, Any]:
    policy = group.get("join_details") or DEFAULT_JOIN_DETAILS
    return {
        "name": group["name"],
        "description": group["description"],
        "eligibility": group["eligibility"],
        **_schedule_values(group),
        "start_time": group["schedule"]["start_time"],
        "timezone": group["schedule"]["timezone"],
        "duration_minutes": str(group["schedule"]["duration_minutes"]),
        "zoom_url": group["zoom_url"],
        "zoom_passcode": group.get("zoom_passcode") or "",
        "zoom_meeting_id": group.get("zoom_meeting_id") or "",
        "zoom_dial_in": "\n".join(group.get("zoom_dial_in") or []),
        "leads": [str(x) for x in group["reminder_leads_minutes"]],
        "requires_approval": group["requires_approval"],
        "paused": group["status"] == "paused",
        "decline_message": group.get("decline_message") or DEFAULT_DECLINE_MESSAGE,
        "join_window_minutes": str(group.get("join_window_minutes", DEFAULT_JOIN_WINDOW_MINUTES)),
        "show_meeting_id": policy["meeting_id"],
        "show_dial_in": policy["dial_in"],
        "show_passcode": policy["passcode"],
        "contact_name": group.get("contact_name") or "",
        "contact_email": group.get("contact_email") or "",
    }


def _settings_from_form(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(the form's values to show again, the settings patch, errors found before the model's checks)."""
    f = ctx.fields
    v: dict[str, Any] = {
        k: ctx.form(k)
        for k in (
            "name",
            "description",
            "eligibility",
            "repeat",
            "weekday",
            "start_time",
            "timezone",
            "duration_minutes",
            "zoom_url",
            "zoom_passcode",
            "zoom_meeting_id",
            "decline_message",
            "join_window_minutes",
            "contact_name",
            "contact_email",
        )
    }
    for shown in ("show_meeting_id", "show_dial_in", "show_passcode"):
        v[shown] = ctx.form(shown) == "yes"
    v["description"], v["eligibility"] = web.first(f, "description").strip(), web.first(f, "eligibility").strip()
    v["decline_message"] = web.first(f, "decline_message").strip()
    v["zoom_dial_in"] = web.first(f, "zoom_dial_in")
    v["weeks"] = [w for w in f.get("weeks", []) if w in {k for k, _ in WEEKS}]
    v["leads"] = [x for x in f.get("leads", []) if x in {k for k, _ in LEADS}]
    v["requires_approval"] = ctx.form("requires_approval") == "yes"
    v["paused"] = ctx.form("paused") == "yes"
    v["custom_rule"] = None
    errors: dict[str, str] = {}
    weekday = v["weekday"] if v["weekday"] in {k for k, _ in WEEKDAYS} else "TU"
    if v["repeat"] == "weekly":
        rrule = f"FREQ=WEEKLY;BYDAY={weekday}"
    else:
        if not v["weeks"]:
            errors["weeks"] = "Choose at least one week of the month."
        rrule = "FREQ=MONTHLY;BYDAY=" + ",".join(f"{w}{weekday}" for w in (v["weeks"] or ["1"]))
    duration: Any = v["duration_minutes"]
    if str(duration).isdigit():
        duration = int(duration)
    else:
        errors["duration_minutes"] = "Give a whole number of minutes, e.g. 90."
        duration = 90
    window: Any = v["join_window_minutes"]
    if str(window).isdigit():
        window = int(window)
    else:
        errors["join_window_minutes"] = "Give a whole number of minutes, e.g. 30."
        window = DEFAULT_JOIN_WINDOW_MINUTES
    decline = v["decline_message"]
    patch: dict[str, Any] = {
        "name": v["name"],
        "description": v["description"],
        "eligibility": v["eligibility"],
        "schedule": {
            "rrule": rrule,
            "start_time": v["start_time"],
            "timezone": v["timezone"],
            "duration_minutes": duration,
        },
        "zoom_url": v["zoom_url"],
        "zoom_passcode": v["zoom_passcode"] or None,
        "zoom_meeting_id": v["zoom_meeting_id"] or None,
        "zoom_dial_in": [line.strip() for line in v["zoom_dial_in"].splitlines() if line.strip()],
        "reminder_leads_minutes": sorted({int(x) for x in v["leads"]}, reverse=True),
        "requires_approval": v["requires_approval"],
        "status": "paused" if v["paused"] else "active",
        "decline_message": None if decline in ("", DEFAULT_DECLINE_MESSAGE) else decline,
        "join_window_minutes": window,
        "join_details": {
            "meeting_id": v["show_meeting_id"],
            "dial_in": v["show_dial_in"],
            "passcode": v["show_passcode"],
        },
        "contact_name": v["contact_name"] or None,
        "contact_email": v["contact_email"] or None,
    }
    if not v["leads"]:
        errors["leads"] = "Choose at least one reminder."
    return v, patch, errors


def _previews(ctx: Ctx, group: GroupRecord) -> list[dict[str, str]]:
    from chalicelib.meetings.mail import meeting_email
    from chalicelib.signups.member_mail import sample_links

    c = ctx.c
    meeting = c.meetings.next_meeting(group)
    if meeting is None:
        return []
    out = []
    for who, state in (("A member in Montana", "MT"), ("A member in north Idaho", "ID")):
        mail = meeting_email(
            "reminder",
            group=group,
            meeting=meeting,
            recipient="member@example.org",
            name="Sam Sample",
            state=state,
            links=sample_links(group, c.settings),
            now=meeting.starts_at - timedelta(days=1),
            series=[meeting],
        )
        out.append({"who": who, "subject": mail.subject, "text": mail.text, "room": group["zoom_url"]})
    return out


def settings(ctx: Ctx) -> Response:
    group = ctx.group()
    page: dict[str, Any] = {
        "group": group,
        "section": "settings",
        "week_options": WEEKS,
        "weekday_options": WEEKDAYS,
        "zone_options": ZONES,
        "lead_options": LEADS,
        "labels": SETTING_LABELS,
    }
    if ctx.request.method != "POST":
        return ctx.page(
            "settings.html",
            title="Group settings",
            v=_settings_values(group),
            version=group["version"],
            previews=_previews(ctx, group),
            previewing=False,
            **page,
        )
    values, patch, errors = _settings_from_form(ctx)
    version = ctx.form("version")
    from chalicelib.groups.models import GroupInput

    merged = {k: v for k, v in group.items() if k in GroupInput.model_fields} | patch
    proposed: GroupRecord | None = None
    try:
        from chalicelib.errors import validate_model

        proposed = {**group, **validate_model(GroupInput, merged).model_dump(mode="json")}  # type: ignore[typeddict-item]
    except Invalid as exc:
        errors = {**exc.fields, **errors}
    if errors or proposed is None:
        return ctx.page(
            "settings.html",
            title="Group settings",
            status=400,
            v=values,
            version=version,
            errors=errors,
            previews=[],
            previewing=False,
            **page,
        )
    if ctx.form("action") != "save":
        return ctx.page(
            "settings.html",
            title="Group settings",
            v=values,
            version=version,
            previews=_previews(ctx, proposed),
            previewing=True,
            notice="Not saved yet. The next reminder with your changes is shown below the form; "
            "press Save the settings to keep them.",
            **page,
        )
    changed = [SETTING_LABELS.get(k, k).lower() for k in patch if (proposed.get(k) or None) != (group.get(k) or None)]
    if not version.isdigit():
        raise Invalid(fields={"version": "Reload the page and try again."})
    try:
        saved = ctx.c.groups.update(group["id"], {**patch, "version": int(version)}, if_match=None)
    except Conflict as exc:
        return ctx.page(
            "settings.html",
            title="Group settings",
            status=409,
            v=values,
            version=version,
            errors={"version": exc.message + " Reload the page to see the current settings."},
            previews=[],
            previewing=False,
            **page,
        )
    if changed:
        ctx.c.activity.record(saved["id"], ctx.who, "settings", "Changed the settings: " + ", ".join(changed))
    return ctx.done(f"/groups/{group['id']}/settings", "saved")


# ---------------------------------------------------------------- meetings


MEETING_STATUS = {"scheduled": "On", "moved": "Moved", "cancelled": "Cancelled"}
CHANGE_OPTIONS = [
    ("cancel", "Cancel this meeting"),
    ("move", "Move it to another time"),
    ("note", "Only add or change the note"),
    ("restore", "Put it back as scheduled"),
]


def meetings(ctx: Ctx) -> Response:
    group = ctx.group()
    zone = group["schedule"]["timezone"]
    listed = [
        {
            "date": m.date,
            "when": local_words(m.starts_at, zone),
            "status": m.status,
            "status_text": MEETING_STATUS[m.status],
            "note": m.note,
        }
        for m in ctx.c.meetings.upcoming(group, count=27)
        if m.scheduled_starts_at <= ctx.c.clock.now() + timedelta(days=183)  # the next six months
    ]
    return ctx.page("meetings.html", title="Meetings", group=group, section="meetings", meetings=listed)


def _told_lines(preview: Any, zone: str) -> list[str]:
    lines = []
    for kind, count in preview.now.items():
        never = preview.never_told.get(kind, 0)
        line = f"{count} member{'s' if count != 1 else ''} will get a {KIND_WORDS.get(kind, kind)} now"
        if never:
            line += f" ({never} of them were never told about this meeting and will get the announcement)"
        lines.append(line + ".")
    if preview.later:
        on = local_words(preview.announce_on, zone) if preview.announce_on else "later"
        lines.append(
            f"{preview.later} member{'s' if preview.later != 1 else ''} will be told closer to the date ({on})."
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
    v = {
        "change": "",
        "new_date": local_start.date().isoformat(),
        "new_time": f"{local_start:%H:%M}",
        "note": current.note or "",
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
        "zone_words": ZONE_WORDS.get(zone, zone),
        "kind_words": KIND_WORDS,
        "told": None,
        "labels": {"change": "What to do", "new_date": "New date", "new_time": "New start time", "note": "Note"},
    }
    title = f"Meeting of {local_words(current.scheduled_starts_at, zone)}"
    if ctx.request.method != "POST":
        return ctx.page("meeting.html", title=title, v=v, **page)
    v = {k: ctx.form(k) for k in ("change", "new_date", "new_time")} | {"note": web.first(ctx.fields, "note").strip()}
    body: dict[str, Any] = {"note": v["note"] or None}
    starts: datetime | None = None
    errors: dict[str, str] = {}
    if v["change"] == "cancel":
        status = "cancelled"
        body["status"] = "cancelled"
    elif v["change"] == "move":
        status = "moved"
        try:
            starts = _local_instant(v["new_date"], v["new_time"], zone)
            body["starts_at"] = starts.isoformat()
        except Invalid as exc:
            errors.update(exc.fields)
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
    proposed = hypothetical(current, status=status, starts_at=starts, note=v["note"] or None)
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
    what = {"cancel": "Cancelled", "move": "Moved", "restore": "Put back as scheduled", "note": "Changed the note of"}
    summary = f"{what[v['change']]} the meeting of {local_words(current.scheduled_starts_at, zone)}"
    if starts is not None and v["change"] == "move":
        summary += f" (now {local_words(starts, zone)})"
    c.activity.record(group["id"], ctx.who, f"meeting_{v['change']}", summary)
    # The same words as the preview the organizer just read: now, closer to the date, or nobody.
    told = "meeting" if preview.now else ("meeting_later" if preview.later else "meeting_quiet")
    return ctx.done(f"/groups/{group['id']}/meetings", told)


def _local_instant(
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


# ---------------------------------------------------------------- deliveries


MESSAGE_WORDS = {
    "reminder": "Reminder with the link",
    "changed": "Change notice",
    "cancelled": "Cancellation",
    "back_on": "'Back on' notice",
}
DELIVERY_STATUS = {"sent": "Sent", "failed": "Failed", "pending": "Not sent yet", "suppressed": "Address bounced"}


def _lead_words(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day{'s' if days != 1 else ''} before"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''} before"
    return f"{minutes} minutes before"


def _message_words(row: dict[str, Any]) -> str:
    """ "Reminder with the link (1 day before)": which reminder, from its ledger key r<lead minutes>."""
    words = MESSAGE_WORDS.get(row.get("type") or "", "Reminder")
    from chalicelib.distribution.planner import lead_of

    lead = lead_of(str(row.get("reminder") or row.get("message") or ""))
    if row.get("type") in (None, "reminder") and lead is not None:
        words += f" ({_lead_words(lead)})"
    return words


def deliveries(ctx: Ctx) -> Response:
    from chalicelib.distribution.report import ReportFilter

    group = ctx.group()
    c = ctx.c
    day = ctx.params.get("date", "")
    report = c.deliveries_report.build(
        group["id"], day, only=ReportFilter(), now=c.clock.now(), lease_now=c.lease_clock()
    )
    zone = group["schedule"]["timezone"]
    rows = [
        {
            "name": d["name"],
            "email": d["email"],
            "message": _message_words(d),
            "status": d["status"],
            "status_text": DELIVERY_STATUS[d["status"]],
            "reason": d.get("reason"),
            "when": local_words(datetime.fromisoformat(d["sent_at"]), zone) if d.get("sent_at") else "",
        }
        for d in report["deliveries"]
    ]
    meeting = c.meetings.meeting_on(group, day)
    members = [{"id": m["signup_id"], "name": m["name"], "email": m["email"]} for m in report["members"]]
    over = c.clock.now() >= meeting.ends_at
    return ctx.page(
        "deliveries.html",
        title="Who was sent what",
        group=group,
        section="meetings",
        rows=rows,
        counts=report["counts"],
        members=[] if over else members,
        date=day,
        meeting_when=local_words(meeting.starts_at, zone),
        resend_what="the cancellation" if meeting.status == "cancelled" else "the reminder with the Zoom link",
    )


def resend(ctx: Ctx) -> Response:
    group = ctx.group()
    c = ctx.c
    day = ctx.params.get("date", "")
    meeting = c.meetings.meeting_on(group, day)
    chosen = _chosen(ctx, group, "active")
    person = chosen[0] if chosen else None
    if person is None:
        raise Conflict("Only an active member can be sent the meeting's message.")
    if c.clock.now() >= meeting.ends_at:
        raise Conflict("This meeting is over.")
    now = c.clock.now()
    item = c.console.mail_item("meeting_resend", now, organizer_id=ctx.who.org_id, ref=day)
    put = item["Put"]["Item"]
    from chalicelib.db import to_attr

    put["group_id"], put["signup_id"], put["gen"] = to_attr(group["id"]), to_attr(person["id"]), to_attr(person["gen"])
    from chalicelib.db import Transaction, TransactionCancelled
    from chalicelib.distribution.runner import LEDGER_RETENTION, RESEND_COOLDOWN

    tx = Transaction().add("mail", item)
    # Through the meeting's ledger (the next run knows what she was told), one per few minutes.
    guard = c.ledger.resend_guard_item(
        group["id"],
        day,
        person["id"],
        now_epoch=int(now.timestamp()),
        cooldown_seconds=int(RESEND_COOLDOWN.total_seconds()),
        expires_at=int((meeting.ends_at + LEDGER_RETENTION).timestamp()),
    )
    tx.add("guard", guard)
    when = local_words(meeting.scheduled_starts_at, group["schedule"]["timezone"])
    summary = f"Sent {{member}} the message about the meeting of {when} again"
    tx.add("activity", c.activity.entry(group["id"], ctx.who, "resend", summary, member_id=person["id"]))
    ref_expires = int((now + timedelta(days=45)).timestamp())
    ref = c.signups.repo.member_ref_item(group["id"], person["id"], put["id"]["S"], expires_at=ref_expires)
    tx.add("mail_ref", ref)
    try:
        tx.commit(c.dynamodb)
    except TransactionCancelled as exc:
        if exc.failed("guard"):
            minutes = int(RESEND_COOLDOWN.total_seconds() // 60)
            raise RateLimited(
                f"{person['name']} was sent this a moment ago; you can send it again after {minutes} minutes.",
                retry_after=int(RESEND_COOLDOWN.total_seconds()),
            ) from None
        raise
    return ctx.done(f"/groups/{group['id']}/meetings/{day}/deliveries", "resent")


# ---------------------------------------------------------------- activity


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


# ---------------------------------------------------------------- events


EVENT_STATUS = {"published": "On the website", "draft": "Draft", "cancelled": "Cancelled"}
EVENT_LABELS = {
    "title": "Title",
    "description": "Description",
    "date": "Date",
    "start_time": "Starts at",
    "end_time": "Ends at",
    "timezone": "Time zone",
    "states": "For people in",
    "format": "Where",
    "venue": "Place",
    "venue_name": "Place name",
    "venue_street": "Street address",
    "venue_city": "City",
    "venue_postal_code": "ZIP code",
    "online_url": "Online link",
    "registration_url": "Registration link",
    "accessibility": "Accessibility notes",
    "starts_at": "Starts at",
    "ends_at": "Ends at",
}


def events(ctx: Ctx) -> Response:
    from chalicelib.events.views import parse_listing

    c = ctx.c
    found: dict[str, Any] = {}
    for params in ({"limit": "100"}, {"status": "draft", "limit": "100"}):  # listed (published, cancelled); drafts
        listing = parse_listing(params, is_organizer=True, now=c.clock.now())
        for doc in c.events.list_events(listing, cursor=None)["events"]:
            found[doc["id"]] = doc
    shown = []
    for doc in sorted(found.values(), key=lambda d: d["starts_at"]):
        venue = doc.get("venue") or {}
        where = ", ".join(x for x in (venue.get("name"), venue.get("city")) if x) or "Online"
        shown.append(
            {
                "id": doc["id"],
                "title": doc["title"],
                "status": doc["status"],
                "status_text": EVENT_STATUS[doc["status"]],
                "where": where,
                "when": local_words(datetime.fromisoformat(doc["starts_at"]), doc["timezone"]),
            }
        )
    return ctx.page("events.html", title="Events", section="events", events=shown)


def _event_values(doc: dict[str, Any] | None) -> dict[str, Any]:
    if doc is None:
        return {
            "title": "",
            "description": "",
            "date": "",
            "start_time": "",
            "end_time": "",
            "timezone": "America/Denver",
            "states": [],
            "format": "in_person",
            "venue_name": "",
            "venue_street": "",
            "venue_city": "",
            "venue_postal_code": "",
            "online_url": "",
            "registration_url": "",
            "accessibility": "",
            "status": "published",
        }
    zone = ZoneInfo(doc["timezone"])
    start = datetime.fromisoformat(doc["starts_at"]).astimezone(zone)
    end = datetime.fromisoformat(doc["ends_at"]).astimezone(zone)
    venue = doc.get("venue") or {}
    return {
        "title": doc["title"],
        "description": doc["description"],
        "date": start.date().isoformat(),
        "start_time": f"{start:%H:%M}",
        "end_time": f"{end:%H:%M}",
        "timezone": doc["timezone"],
        "states": doc["states"],
        "format": doc["format"],
        "venue_name": venue.get("name", ""),
        "venue_street": venue.get("street", ""),
        "venue_city": venue.get("city", ""),
        "venue_postal_code": venue.get("postal_code", ""),
        "online_url": doc.get("online_url") or "",
        "registration_url": doc.get("registration_url") or "",
        "accessibility": doc.get("accessibility") or "",
        "status": doc["status"],
    }


def _event_body(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(values to show again, the event's fields with offsets the server computed, errors)."""
    names = (
        "title",
        "date",
        "start_time",
        "end_time",
        "timezone",
        "format",
        "venue_name",
        "venue_street",
        "venue_city",
        "venue_postal_code",
        "online_url",
        "registration_url",
        "status",
    )
    v: dict[str, Any] = {k: ctx.form(k) for k in names}
    v["description"] = web.first(ctx.fields, "description").strip()
    v["accessibility"] = web.first(ctx.fields, "accessibility").strip()
    v["states"] = [s for s in ctx.fields.get("states", []) if s in ("ID", "MT")]
    errors: dict[str, str] = {}
    if v["timezone"] not in {k for k, _ in ZONES}:
        errors["timezone"] = "Choose a time zone."
        v["timezone"] = "America/Denver"
    starts = ends = None
    try:
        starts = _local_instant(v["date"], v["start_time"], v["timezone"], day_field="date", time_field="start_time")
    except Invalid as exc:
        errors.update(exc.fields)
    try:
        ends = _local_instant(v["date"], v["end_time"], v["timezone"], day_field="date", time_field="end_time")
    except Invalid as exc:
        errors.update({k: why for k, why in exc.fields.items() if k != "date"})
    if starts and ends and ends <= starts:
        errors["end_time"] = "The end must be after the start (for an event past midnight, add it over two days)."
    if not v["states"]:
        errors["states"] = "Choose Idaho, Montana or both."
    venue = None
    if v["format"] in ("in_person", "hybrid"):
        venue = {
            "name": v["venue_name"],
            "street": v["venue_street"],
            "city": v["venue_city"],
            "postal_code": v["venue_postal_code"],
        }
    body = {
        "title": v["title"],
        "description": v["description"],
        "starts_at": starts.isoformat() if starts else None,
        "ends_at": ends.isoformat() if ends else None,
        "timezone": v["timezone"],
        "format": v["format"],
        "states": v["states"],
        "venue": venue,
        "online_url": v["online_url"] or None,
        "registration_url": v["registration_url"] or None,
        "accessibility": v["accessibility"] or None,
        "status": v["status"] if v["status"] in ("published", "draft") else "published",
    }
    return v, body, errors


def _event_errors(fields: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, why in fields.items():
        key = name.replace("venue.", "venue_")
        key = {"starts_at": "start_time", "ends_at": "end_time"}.get(key, key)
        out[key] = why
    return out


def event_new(ctx: Ctx) -> Response:
    page: dict[str, Any] = {
        "section": "events",
        "zone_options": ZONES,
        "labels": EVENT_LABELS,
        "action": f"{ctx.base}/events/new",
        "version": None,
    }
    if ctx.request.method != "POST":
        return ctx.page("event.html", title="Add an event", v=_event_values(None), **page)
    v, body, errors = _event_body(ctx)
    if not errors:
        try:
            doc = ctx.c.events.create(body)
            ctx.c.activity.record(ORGANIZATION, ctx.who, "event_created", f"Added the event {doc['title']}")
            return ctx.done("/events", "event_saved")
        except Invalid as exc:
            errors = _event_errors(exc.fields)
    return ctx.page("event.html", title="Add an event", status=400, v=v, errors=errors, **page)


def event_edit(ctx: Ctx) -> Response:
    event_id = ctx.params.get("event_id", "")
    doc = dict(ctx.c.events.get(event_id, include_drafts=True))
    page: dict[str, Any] = {
        "section": "events",
        "zone_options": ZONES,
        "labels": EVENT_LABELS,
        "action": f"{ctx.base}/events/{event_id}",
        "version": doc["version"],
    }
    if ctx.request.method != "POST":
        return ctx.page("event.html", title="Edit the event", v=_event_values(doc), **page)
    v, body, errors = _event_body(ctx)
    if doc["status"] == "cancelled":
        body["status"] = "cancelled"
    if not errors:
        version = ctx.form("version")
        try:
            saved = ctx.c.events.update(
                event_id, {**body, "version": int(version) if version.isdigit() else 0}, if_match=None
            )
            ctx.c.activity.record(ORGANIZATION, ctx.who, "event_changed", f"Changed the event {saved['title']}")
            return ctx.done("/events", "event_saved")
        except Invalid as exc:
            errors = _event_errors(exc.fields)
        except Conflict as exc:
            errors = {"title": exc.message + " Reload the page to see the current event."}
    return ctx.page("event.html", title="Edit the event", status=400, v=v, errors=errors, **page)


def event_cancel(ctx: Ctx) -> Response:
    event_id = ctx.params.get("event_id", "")
    version = ctx.form("version")
    saved = ctx.c.events.update(
        event_id, {"status": "cancelled", "version": int(version) if version.isdigit() else 0}, if_match=None
    )
    ctx.c.activity.record(ORGANIZATION, ctx.who, "event_cancelled", f"Cancelled the event {saved['title']}")
    return ctx.done("/events", "event_cancelled")


# ---------------------------------------------------------------- organizers (admins)


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
    from chalicelib.db import Transaction

    now = c.clock.now()
    tx = Transaction()
    for item in c.organizers.repo.new_items(record, None):
        tx.add("organizer", item)
    tx.add("mail", c.console.mail_item("console_invite", now, organizer_id=record["id"]))
    scope = "as an admin" if v["admin"] else "for " + ", ".join(g["name"] for g in all_groups if g["id"] in v["groups"])
    tx.add(
        "activity", c.activity.entry(ORGANIZATION, ctx.who, "organizer_added", f"Added {name} as an organizer {scope}")
    )
    tx.commit(c.dynamodb)
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
    items = c.organizers.repo.revoke_items(org_id, when=c.clock.now().isoformat())
    if items is None:
        raise NotFound("organizer")
    from chalicelib.db import Transaction

    tx = Transaction()
    for item in items:
        tx.add("organizer", item)
    tx.add(
        "activity",
        c.activity.entry(ORGANIZATION, ctx.who, "organizer_removed", f"Removed {target['name']} as an organizer"),
    )
    tx.commit(c.dynamodb)
    return ctx.done("/organizers", "org_removed")


# ---------------------------------------------------------------- the website (admins)


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
    from chalicelib.website.origins import normalize_origin

    c = ctx.c
    raw = ctx.form("origin")
    try:
        before = c.site.origins()
        c.site.add_origin(raw, by=ctx.who.org_id)
    except Invalid as exc:
        # The API's own words: "Must start with https:// ...", or the list is full ("origins").
        why = exc.fields.get("origin") or next(iter(exc.fields.values()), exc.message)
        return _website_page(ctx, status=400, value=raw, errors={"origin": why})
    except Conflict:
        return _website_page(ctx, status=409, value=raw, errors={"origin": SITE_CONFLICT})
    origin = normalize_origin(raw)
    if origin in before["origins"]:
        return ctx.done("/site", "site_already")
    c.activity.record(ORGANIZATION, ctx.who, "site_origin_added", f"Allowed the website {origin}")
    return ctx.done("/site", "site_added")


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


from chalicelib.console import outbox_views  # noqa: E402 (its pages take the Ctx defined above)

PAGES: dict[str, Callable[[Ctx], Response]] = {
    "announcements": announcements,
    "announcement": announcement,
    "sign_in_form": sign_in_form,
    "sign_in_request": sign_in_request,
    "sign_in_link": sign_in_link,
    "sign_in_complete": sign_in_complete,
    "sign_out": sign_out,
    "sign_out_everywhere": sign_out_everywhere,
    "static": static,
    "home": home,
    "waiting": waiting,
    "waiting_post": waiting_post,
    "decline_post": decline_post,
    "members": members,
    "members_csv": members_csv,
    "member_add": member_add,
    "member_import": member_import,
    "member_import_job": member_import_job,
    "member_remove": member_remove,
    "settings": settings,
    "meetings": meetings,
    "meeting": meeting,
    "deliveries": deliveries,
    "resend": resend,
    "activity": activity,
    "org_activity": org_activity,
    "events": events,
    "event_new": event_new,
    "event_edit": event_edit,
    "event_cancel": event_cancel,
    "organizers": organizers,
    "organizer_new": organizer_new,
    "organizer_remove": organizer_remove,
    "website": website,
    "website_remove": website_remove,
    "outbox": outbox_views.outbox,
    "outbox_item": outbox_views.outbox_item,
}
