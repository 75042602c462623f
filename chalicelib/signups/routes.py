"""HTTP routes of signups: the public form post, member links from emails, organizer review."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from chalice.app import Response

from chalicelib import container
from chalicelib.errors import LinkProblem, NotFound
from chalicelib.groups.slugs import is_slug
from chalicelib.web.cors import cors_headers
from chalicelib.web.errors import HttpError
from chalicelib.web.pages import page, wants_html
from chalicelib.web.request import form_or_json_body, query_params, source_ip
from chalicelib.web.responses import NO_STORE, json_response, redirect
from chalicelib.web.routing import Routes

if TYPE_CHECKING:
    from chalicelib.signups.links import Purpose

routes = Routes(__name__)

# multipart/form-data and text/plain reach the view so that a misconfigured HTML form gets a page (415).
SIGNUP_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
MEMBER_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]


# ---------------------------------------------------------------- public form


@routes.route("/groups/{group_id}/signups", methods=["POST"], content_types=SIGNUP_CONTENT_TYPES)
def create_signup(group_id: str) -> Response:
    request = routes.request
    from chalicelib.website.pages import is_browser_form_post

    if is_browser_form_post(request.headers):  # no JavaScript: every outcome is a page (website feature)
        from chalicelib.website.forms import signup_form_post

        return signup_form_post(group_id, request)
    data, is_form = form_or_json_body(request)
    service = container.current().signups
    form = service.parse_form(data)
    service.submit(group_id, form, source_ip=source_ip(request))
    if is_form and form.redirect:
        return redirect(form.redirect)
    return json_response({"status": "check_your_email"}, 202, NO_STORE)


@routes.route("/groups/{group_id}/resend", methods=["GET"])
def resend_page(group_id: str) -> Response:
    """A small page with the "send me the link again" form (works without JavaScript)."""
    c = container.current()
    group = c.groups.get(group_id)
    return page(
        "signups/pages/resend.html",
        public=True,  # the group's public name and the form, nothing typed yet
        group={"name": group["name"]},  # all the page shows of it
        action_url=f"{c.settings.public_api_url}/groups/{group_id}/resend",
    )


@routes.route("/groups/{group_id}/resend", methods=["POST"], content_types=SIGNUP_CONTENT_TYPES)
def resend_link(group_id: str) -> Response:
    """ "Send me the link again": the same answer, and the same work, for every address."""
    request = routes.request
    data, is_form = form_or_json_body(request)
    if is_form:
        return _resend_form_post(group_id, data, request)
    c = container.current()
    form = c.signups.parse_resend(data)
    c.signups.submit_resend(group_id, form, source_ip=source_ip(request))
    return json_response({"status": "check_your_email"}, 202, NO_STORE)


def _resend_form_post(group_id: str, data: dict[str, Any], request: Any) -> Response:
    """A browser's form post: every outcome is a page (never raw JSON); a refused one shows the form
    again, saying why in words, with what she typed."""
    from chalicelib.errors import Invalid, RateLimited
    from chalicelib.groups.contact import contact_of

    c = container.current()
    group = c.groups.get(group_id)
    action = f"{c.settings.public_api_url}/groups/{group_id}/resend"
    typed = str(data.get("email") or "")[:254]
    try:
        form = c.signups.parse_resend(data)
        c.signups.submit_resend(group_id, form, source_ip=source_ip(request))
    except Invalid as exc:
        why = exc.fields.get("email") or "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
        return page("signups/pages/resend.html", status=400, group=group, action_url=action, email=typed, error=why)
    except RateLimited as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        response = page(
            "signups/pages/resend.html",
            status=429,
            group=group,
            action_url=action,
            email=typed,
            error=f"Too many requests from your network. Please try again in about {minutes} "
            f"minute{'s' if minutes != 1 else ''}.",
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if form.redirect:
        return redirect(form.redirect)
    return page(
        "signups/pages/resend_sent.html",
        group=group,
        contact=contact_of(group, c.settings),
        back_url=action,
        spacing_minutes=max(1, c.settings.signup_email_min_interval_seconds // 60),
        per_day=c.settings.signup_emails_per_address_per_day,
    )


@routes.route("/groups/{group_id}/resend", methods=["OPTIONS"])
def resend_preflight(group_id: str) -> Response:
    return _preflight(group_id)


@routes.route("/groups/{group_id}/signups", methods=["OPTIONS"])
def signup_preflight(group_id: str) -> Response:
    return _preflight(group_id)


def _preflight(group_id: str) -> Response:
    if not is_slug(group_id):
        raise NotFound("group")
    origin = routes.request.headers.get("origin")
    headers = cors_headers(origin, container.current().site.allowed_origins(origin), preflight=True)
    return Response(body="", status_code=204, headers=dict[str, str | list[str]](headers))


# ---------------------------------------------------------------- member links


def member_link_route(path: str, **kwargs: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A member-link route: a link problem is a page for browsers and an error body otherwise."""

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper() -> Response:
            try:
                return view()
            except LinkProblem as exc:
                if not wants_html(routes.request.headers):
                    raise
                from chalicelib.signups.links import LINK_PROBLEMS

                title, detail = LINK_PROBLEMS[exc.reason]
                return page("pages/message.html", status=400, title=title, message=detail, detail=None)

        routes.route(path, **kwargs)(wrapper)
        return view

    return decorator


def _token() -> str | None:
    """The link's token: from the query string (the link as emailed), else from a JSON or form body
    field ``token`` (a client that posts it); an unreadable body just means no token."""
    token = query_params(routes.request).get("token")
    if token or routes.request.method != "POST":
        return token
    try:
        fields, _ = form_or_json_body(routes.request)
    except HttpError:
        return None
    value = fields.get("token")
    return value if isinstance(value, str) else None


def _link(purpose: Purpose) -> Any:
    return container.current().signups.read_link(_token(), purpose)


def _action_page(purpose: Purpose) -> Response:
    # The signature check alone (what SignupService.read_link does): the page changes nothing, so a
    # cold GET builds no service (tests/unit/test_cold_imports.py).
    from chalicelib.signups.links import read_member_link

    read_member_link(_token(), purpose, container.current().settings)
    token = query_params(routes.request)["token"]
    # Absolute: behind API Gateway the path carries the stage prefix, which PUBLIC_API_URL includes.
    action = f"{container.current().settings.public_api_url}/signups/{purpose}?{urlencode({'token': token})}"
    return page(f"signups/pages/{purpose}.html", action_url=action)


def _done(template: str, status_value: str, member: Any = None) -> Response:
    if wants_html(routes.request.headers):
        return page(f"signups/pages/{template}.html", detail=None, **_about(member))
    return json_response({"status": status_value}, headers=NO_STORE)


def _about(member: Any) -> dict[str, Any]:
    """What a page after a member link says to her: her name, the group, its next meeting, and the
    way back to the chapter's website (or the group's signup page when none is set)."""
    if member is None:
        return dict.fromkeys(("group", "name", "next_meeting", "website_url", "join_again_url", "contact"))
    from chalicelib.meetings.zones import long_when, member_zones

    c = container.current()
    group = c.groups.get(member.group_id)
    record = c.signups.get(member.group_id, member.signup_id)
    meeting = c.meetings.next_meeting(group)
    return {
        "group": group,
        "name": record["name"] if record else None,
        "next_meeting": long_when(meeting.starts_at, member_zones(record)) if meeting else None,  # her zone
        **_way_back(group),
    }


def _way_back(group: Any) -> dict[str, Any]:
    """The chapter's website (or the group's signup page when none is set) and the group's contact."""
    from chalicelib.organization import organization

    settings = container.current().settings
    website_url = organization(settings).website_url
    return {
        "website_url": website_url,
        "join_again_url": website_url or f"{settings.public_api_url}/embed/{group['id']}?show=signup",
        "contact": _contact(group),
    }


def _contact(group: Any) -> Any:
    from chalicelib.groups.contact import contact_of

    return contact_of(group, container.current().settings)


@member_link_route("/signups/confirm", methods=["GET"])
def confirm_page() -> Response:
    return _action_page("confirm")


@member_link_route("/signups/confirm", methods=["POST"], content_types=MEMBER_CONTENT_TYPES)
def confirm_signup() -> Response:
    member = _link("confirm")
    status = container.current().signups.confirm(member)
    if status in ("pending_approval", "active"):
        return _done(f"confirmed_{status}", status, member)
    return _done("nothing_to_confirm", status)


@member_link_route("/signups/unsubscribe", methods=["GET"])
def unsubscribe_page() -> Response:
    return _action_page("unsubscribe")


@member_link_route("/signups/unsubscribe", methods=["POST"], content_types=MEMBER_CONTENT_TYPES)
def unsubscribe() -> Response:
    """RFC 8058 one-click: mail clients POST List-Unsubscribe=One-Click here, without login."""
    member = _link("unsubscribe")
    container.current().signups.unsubscribe(member)
    return _done("unsubscribed", "unsubscribed", member)


@member_link_route("/signups/erase", methods=["GET"])
def erase_page() -> Response:
    return _action_page("erase")


@member_link_route("/signups/erase", methods=["POST"], content_types=MEMBER_CONTENT_TYPES)
def erase_self() -> Response:
    member = _link("erase")
    container.current().signups.erase_self(member)
    return _done("erased", "erased", member)  # the group and the way back (her record is gone)


@member_link_route("/signups/manage", methods=["GET"])
def manage_page() -> Response:
    """ "Manage my membership": where she stands, and her choices (signups/manage.py). With
    ``step=erase`` ("Erase my data…"): the page that asks once more, its button posting here."""
    member = _link("manage")
    if routes.request.query_params and routes.request.query_params.get("step") == "erase":
        return page("signups/pages/erase.html", action_url=_manage_url(step="erase"))
    return _manage_page(member)


@member_link_route("/signups/manage", methods=["POST"], content_types=MEMBER_CONTENT_TYPES)
def manage_action() -> Response:
    """One of the page's buttons: ``action=send_link`` (her link again), ``action=leave``,
    ``action=zone`` with ``timezone`` (the time she lives on; empty: not sure), or ``action=erase``
    (also the erase page's button, which posts to ``?step=erase``)."""
    from chalicelib.errors import Invalid
    from chalicelib.signups.manage import action_of

    member = _link("manage")
    try:
        fields, _ = form_or_json_body(routes.request)
    except HttpError:
        fields = {}
    erase_step = query_params(routes.request).get("step") == "erase"  # the erase page's button
    action = "erase" if erase_step else action_of(fields)
    if action is None:
        raise Invalid("Choose what to do.", fields={"action": "Must be send_link, leave, zone or erase."})
    c = container.current()
    if action == "erase":  # the link proves the mailbox, as an erase link does
        c.signups.erase_self(member)
        return _done("erased", "erased", member)  # the group and the way back (her record is gone)
    if action == "leave":
        c.manage.leave(member)
        return _done("unsubscribed", "unsubscribed", member)
    if action == "zone":
        saved = c.manage.set_zone(member, fields.get("timezone"))
        if not wants_html(routes.request.headers):
            return json_response({"status": "zone_saved" if saved else "not_a_member"}, 200, NO_STORE)
        return _manage_page(member, notice="zone_saved" if saved else "not_a_member")
    sent = c.manage.send_link(member)
    if not wants_html(routes.request.headers):
        return json_response({"status": "link_sent" if sent else "not_a_member"}, 202 if sent else 200, NO_STORE)
    return _manage_page(member, notice="link_sent" if sent else "not_a_member")


def _manage_page(member: Any, *, notice: str | None = None) -> Response:
    c = container.current()
    membership = c.manage.membership(member)
    action_url = _manage_url()
    return page(  # the way back from the group the membership read: no second read of anything
        "signups/pages/manage.html",
        membership=membership,
        notice=notice,
        action_url=action_url,
        erase_url=f"{action_url}&step=erase" if membership.erasable else None,
        **_way_back(membership.group),
    )


def _manage_url(*, step: str | None = None) -> str:
    """This page's address with the request's token (absolute: behind API Gateway the path carries
    the stage prefix, which PUBLIC_API_URL includes), and the ``step`` asked for."""
    params = routes.request.query_params
    token = quote(str(params.get("token") or "") if params else "", safe="")
    return f"{container.current().settings.public_api_url}/signups/manage?token={token}" + (
        f"&step={quote(step, safe='')}" if step else ""
    )


# ---------------------------------------------------------------- organizers
