"""The console's own pages: sign-in (the emailed link, never a password) and out, its
versioned static files, and the home page listing the organizer's groups."""

from __future__ import annotations

from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.console import web
from chalicelib.console.shell import Ctx, local_words
from chalicelib.console.static import asset
from chalicelib.errors import Invalid, RateLimited
from chalicelib.web.request import query_params, source_ip

# ---------------------------------------------------------------- sign-in and out


def sign_in_form(ctx: Ctx) -> Response:
    wanted = web.safe_next(query_params(ctx.request).get("next"))
    return ctx.page("sign_in.html", title="Sign in", sent=False, email="", next_path=wanted)


def sign_in_request(ctx: Ctx) -> Response:
    if not web.same_origin(ctx.request.headers, ctx.c.settings.public_api_url):
        raise web.CrossSite()
    ctx.fields = web.form_fields(ctx.request)
    email = ctx.form("email")
    wanted = web.safe_next(ctx.form("next"))
    try:
        ctx.c.console.request_sign_in(email, source_ip=source_ip(ctx.request), next_path=wanted)
    except Invalid as exc:
        return ctx.page(
            "sign_in.html",
            title="Sign in",
            status=400,
            sent=False,
            email=email,
            next_path=wanted,
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
        raise web.CrossSite()
    started = ctx.c.console.start_session(_token(ctx), replacing=web.cookie_value(ctx.request.headers))
    if started is None:
        return ctx.page("sign_in_link.html", title="Sign in", status=400, live=False, action="")
    session_id, signed = started
    wanted = web.safe_next(signed.next)  # checked again: only a console page, never another site
    return web.see_other(ctx.base + (wanted or ""), cookie=web.session_cookie(session_id, path=ctx.base))


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
                "waiting": c.signups.count(group["id"], "pending_approval"),
                "active": c.signups.count(group["id"], "active"),
                "next": local_words(meeting.starts_at, group["schedule"]["timezone"]) if meeting else None,
            }
        )
    return ctx.page("home.html", title="Your groups", section="home", groups=items)
