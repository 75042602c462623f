"""mbc-connect HTTP API, scheduled jobs and authorizer.

Thin on purpose: each route parses the request and delegates to chalicelib/.
Heavy imports (boto3, icalendar) happen inside the code that needs them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import AuthResponse, Chalice, ChaliceUnhandledError, Rate, Request, Response

from chalicelib import container
from chalicelib.errors import ApiError
from chalicelib.web import cors_headers, form_or_json_body, json_body, normalize_framework_error, query_params

app = Chalice(app_name="mbc-connect")
app.log.setLevel(logging.INFO)
log = logging.getLogger("mbc")

JSON_HEADERS = {"Content-Type": "application/json"}
NO_STORE: dict[str, str] = {"Cache-Control": "no-store"}


@app.middleware("http")
def error_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Every error leaves in one shape; ApiError becomes its status, nothing else becomes a 500 body."""
    try:
        response = get_response(event)
    except ApiError as exc:
        response = Response(
            body=exc.body(), status_code=exc.status, headers={**JSON_HEADERS, **NO_STORE, **exc.headers}
        )
    origin = event.headers.get("origin") if event is not None and event.headers else None
    if origin:
        response.headers = {**cors_headers(origin, container.settings().website_origins), **response.headers}
    rewritten = normalize_framework_error(response.status_code, response.body)
    if rewritten is not None:
        response.body = rewritten
        response.headers = {**response.headers, **JSON_HEADERS}
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


class _PassThrough(ChaliceUnhandledError, ApiError):
    """Chalice lets ChaliceUnhandledError reach the middleware instead of turning it into a 500."""


def api_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ApiError as exc:
            passthrough = _PassThrough(exc.status, exc.code, exc.message, exc.fields, exc.headers)
            raise passthrough from None

    return wrapper


def route(path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    def register(func: Callable[..., Any]) -> Any:
        return app.route(path, **kwargs)(api_errors(func))

    return register


@app.authorizer(ttl_seconds=0)
def organizer_key(auth_request: Any) -> AuthResponse:
    """Built-in authorizer: the same check in AWS, `chalice local` and chalice.test."""
    from chalicelib.auth import organizer_for_header, refusal

    org_id = organizer_for_header(container.organizers(), auth_request.token)
    if org_id is None:
        raise refusal()
    return AuthResponse(routes=["*"], principal_id=org_id)


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling any route.
    return request


def _organizer_from_header() -> str | None:
    from chalicelib.auth import organizer_for_header

    header = _request().headers.get("authorization")
    return organizer_for_header(container.organizers(), header) if header else None


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status, headers={**JSON_HEADERS, **(headers or {})})


# ---------------------------------------------------------------- events (public)


@route("/events", methods=["GET"])
def list_events() -> Response:
    params = query_params(_request())
    is_organizer = params.get("status") == "draft" and _organizer_from_header() is not None
    result = container.events().list_events(params, is_organizer)
    cache = NO_STORE if is_organizer else {"Cache-Control": "public, max-age=60"}
    return _json(result, headers=cache)


@route("/events/calendar.ics", methods=["GET"])
def events_calendar() -> Response:
    from chalicelib.calendar_feed import events_calendar as build
    from chalicelib.errors import validation_error

    state = (query_params(_request()).get("state") or "").strip().upper() or None
    if state not in (None, "ID", "MT"):
        raise validation_error({"state": "Must be ID or MT."})
    docs = container.events().upcoming_for_feed(state)
    name = {"ID": "MBC events in Idaho", "MT": "MBC events in Montana"}.get(
        state or "", "MBC events in Idaho and Montana"
    )
    return Response(
        body=build(docs, name).decode("utf-8"),
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="mbc-events.ics"',
            "Cache-Control": "public, max-age=300",
        },
    )


@route("/events/{event_id}", methods=["GET"])
def get_event(event_id: str) -> Response:
    include_drafts = "authorization" in _request().headers and _organizer_from_header() is not None
    doc = container.events().get(event_id, include_drafts=include_drafts)
    return _json(doc, headers={"ETag": f'"{doc["version"]}"'})


@route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.openapi import openapi_document

    return _json(openapi_document(), headers={"Cache-Control": "public, max-age=300"})


# ---------------------------------------------------------------- events (organizers)


@route("/events", methods=["POST"], authorizer=organizer_key)
def create_event() -> Response:
    doc = container.events().create(json_body(_request()))
    log.info("event created id=%s", doc["id"])
    return _json(doc, 201, {"Location": f"/events/{doc['id']}", "ETag": f'"{doc["version"]}"', **NO_STORE})


@route("/events/{event_id}", methods=["PATCH"], authorizer=organizer_key)
def update_event(event_id: str) -> Response:
    request = _request()
    doc = container.events().update(event_id, json_body(request), request.headers.get("if-match"))
    log.info("event updated id=%s version=%s", doc["id"], doc["version"])
    return _json(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})


@route("/events/{event_id}", methods=["DELETE"], authorizer=organizer_key)
def delete_event(event_id: str) -> Response:
    container.events().delete(event_id, _request().headers.get("if-match"))
    log.info("event deleted id=%s", event_id)
    return Response(body="", status_code=204, headers=dict[str, str | list[str]](NO_STORE))


# ---------------------------------------------------------------- groups


@route("/groups", methods=["POST"], authorizer=organizer_key)
def create_group() -> Response:
    doc = container.groups().create(json_body(_request()))
    log.info("group created id=%s", doc["id"])
    return _json(doc, 201, {"Location": f"/groups/{doc['id']}", **NO_STORE})


@route("/groups/{group_id}", methods=["GET"])
def get_group(group_id: str) -> Response:
    return _json(container.groups().public(group_id), headers={"Cache-Control": "public, max-age=60"})


@route("/groups/{group_id}/settings", methods=["GET"], authorizer=organizer_key)
def get_group_settings(group_id: str) -> Response:
    doc = container.groups().get(group_id)
    return _json(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})


@route("/groups/{group_id}/settings", methods=["PATCH"], authorizer=organizer_key)
def update_group_settings(group_id: str) -> Response:
    request = _request()
    doc = container.groups().update(group_id, json_body(request), request.headers.get("if-match"))
    log.info("group updated id=%s version=%s", group_id, doc["version"])
    return _json(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})


# ---------------------------------------------------------------- signups (public)

SIGNUP_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded"]


@route("/groups/{group_id}/signups", methods=["POST"], content_types=SIGNUP_CONTENT_TYPES)
def create_signup(group_id: str) -> Response:
    request = _request()
    data, is_form = form_or_json_body(request)
    service = container.signups()
    form = service.parse_form(data)
    source_ip = str((request.context.get("identity") or {}).get("sourceIp") or "unknown")
    service.signup(group_id, form, source_ip)
    if is_form and form.redirect:
        return Response(body="", status_code=303, headers={"Location": form.redirect, **NO_STORE})
    return _json({"status": "check_your_email"}, 202, NO_STORE)


@route("/groups/{group_id}/signups", methods=["OPTIONS"])
def signup_preflight(group_id: str) -> Response:
    from chalicelib.errors import not_found
    from chalicelib.models.groups import is_slug

    if not is_slug(group_id):
        raise not_found("group")
    origin = _request().headers.get("origin")
    headers = cors_headers(origin, container.settings().website_origins, preflight=True)
    return Response(body="", status_code=204, headers=dict[str, str | list[str]](headers))


MEMBER_ACTIONS = {
    "confirm": ("Confirm your email", "Press the button to confirm your email address.", "Confirm my email"),
    "unsubscribe": (
        "Unsubscribe",
        "Press the button to stop all emails from this group, including meeting links.",
        "Unsubscribe",
    ),
    "erase": (
        "Erase my data",
        "Press the button to delete your signup and everything we hold about you for this group. "
        "This cannot be undone.",
        "Erase my data",
    ),
}
MEMBER_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]


def _member_page(html: str, status: int = 200) -> Response:
    from chalicelib.pages import PAGE_HEADERS

    return Response(body=html, status_code=status, headers=dict[str, str | list[str]](PAGE_HEADERS))


def _member_link(purpose: str) -> Any:
    """The token's member link, or a response explaining the problem (HTML for browsers)."""
    from chalicelib.pages import TOKEN_PROBLEMS, message_page, wants_html
    from chalicelib.signing import TokenError

    request = _request()
    token = query_params(request).get("token")
    try:
        return container.signups().read_link(token, purpose)
    except TokenError as exc:
        title, detail = TOKEN_PROBLEMS.get(exc.reason, TOKEN_PROBLEMS["invalid"])
        if wants_html(request.headers):
            return _member_page(message_page(title, detail), 400)
        raise ApiError(400, f"token_{exc.reason}", title + ".", {"token": detail}) from None


def _member_get(purpose: str) -> Response:
    from urllib.parse import urlencode

    from chalicelib.pages import action_page

    link = _member_link(purpose)
    if isinstance(link, Response):
        return link
    title, message, button = MEMBER_ACTIONS[purpose]
    token = query_params(_request())["token"]
    # Absolute: behind API Gateway the path carries the stage prefix, which PUBLIC_API_URL includes.
    action = f"{container.settings().public_api_url}/signups/{purpose}?{urlencode({'token': token})}"
    return _member_page(action_page(title, message, action, button))


def _member_done(title: str, message: str, status_value: str) -> Response:
    from chalicelib.pages import message_page, wants_html

    if wants_html(_request().headers):
        return _member_page(message_page(title, message))
    return _json({"status": status_value}, headers=NO_STORE)


@route("/signups/confirm", methods=["GET"])
def confirm_page() -> Response:
    return _member_get("confirm")


@route("/signups/confirm", methods=["POST"], content_types=MEMBER_CONTENT_TYPES)
def confirm_signup() -> Response:
    from chalicelib.pages import TOKEN_PROBLEMS
    from chalicelib.signing import TokenError

    link = _member_link("confirm")
    if isinstance(link, Response):
        return link
    try:
        status = container.signups().confirm(link)
    except TokenError as exc:
        title, detail = TOKEN_PROBLEMS[exc.reason]
        raise ApiError(400, f"token_{exc.reason}", title + ".", {"token": detail}) from None
    if status == "pending_approval":
        return _member_done(
            "Thank you", "Your email is confirmed. An organizer will approve your membership soon.", status
        )
    if status == "active":
        return _member_done(
            "You are in", "Your email is confirmed. The meeting link will come before each meeting.", status
        )
    return _member_done("Nothing to confirm", "This signup is no longer waiting for confirmation.", status)


@route("/signups/unsubscribe", methods=["GET"])
def unsubscribe_page() -> Response:
    return _member_get("unsubscribe")


@route("/signups/unsubscribe", methods=["POST"], content_types=MEMBER_CONTENT_TYPES)
def unsubscribe() -> Response:
    """RFC 8058 one-click: mail clients POST List-Unsubscribe=One-Click here, without login."""
    link = _member_link("unsubscribe")
    if isinstance(link, Response):
        return link
    container.signups().unsubscribe(link)
    return _member_done("You are unsubscribed", "You will get no more emails from this group.", "unsubscribed")


@route("/signups/erase", methods=["GET"])
def erase_page() -> Response:
    return _member_get("erase")


@route("/signups/erase", methods=["POST"], content_types=MEMBER_CONTENT_TYPES)
def erase_self() -> Response:
    link = _member_link("erase")
    if isinstance(link, Response):
        return link
    service = container.signups()
    if service.record_for(link) is not None:
        service.erase(link.group_id, link.signup_id)
    return _member_done("Your data is erased", "We deleted your signup and everything we held about it.", "erased")


# ---------------------------------------------------------------- signups (organizers)


def _principal() -> str:
    context = _request().context.get("authorizer") or {}
    return str(context.get("principalId") or "organizer")


@route("/groups/{group_id}/signups", methods=["GET"], authorizer=organizer_key)
def list_signups(group_id: str) -> Response:
    return _json(container.signups().list_page(group_id, query_params(_request())), headers=NO_STORE)


@route("/groups/{group_id}/signups.csv", methods=["GET"], authorizer=organizer_key)
def export_signups(group_id: str) -> Response:
    body = container.signups().csv_export(group_id, query_params(_request()))
    return Response(
        body=body,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{group_id}-signups.csv"',
            **NO_STORE,
        },
    )


@route("/groups/{group_id}/signups/{signup_id}/approve", methods=["POST"], authorizer=organizer_key)
def approve_signup(group_id: str, signup_id: str) -> Response:
    return _json(container.signups().approve(group_id, signup_id, _principal()), headers=NO_STORE)


@route("/groups/{group_id}/signups/{signup_id}/reject", methods=["POST"], authorizer=organizer_key)
def reject_signup(group_id: str, signup_id: str) -> Response:
    return _json(container.signups().reject(group_id, signup_id, _principal()), headers=NO_STORE)


@route("/groups/{group_id}/signups/{signup_id}", methods=["DELETE"], authorizer=organizer_key)
def erase_signup(group_id: str, signup_id: str) -> Response:
    from chalicelib.errors import not_found

    container.groups().get(group_id)
    if not container.signups().erase(group_id, signup_id):
        raise not_found("signup")
    return Response(body="", status_code=204, headers=dict[str, str | list[str]](NO_STORE))


# ---------------------------------------------------------------- meetings


@route("/groups/{group_id}/meetings", methods=["GET"])
def list_meetings(group_id: str) -> Response:
    from chalicelib.errors import validation_error

    raw = query_params(_request()).get("count", "6").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 24:
        raise validation_error({"count": "Must be a whole number from 1 to 24."})
    meetings = container.overrides().upcoming(group_id, int(raw))
    return _json({"meetings": [m.public() for m in meetings]}, headers={"Cache-Control": "public, max-age=60"})


@route("/groups/{group_id}/meetings.ics", methods=["GET"])
def meetings_calendar(group_id: str) -> Response:
    from chalicelib.meeting_mail import meeting_calendar

    group = container.groups().get(group_id)
    meetings = container.overrides().upcoming(group_id, 12)
    return Response(
        body=meeting_calendar(group, meetings, with_link=False).decode("utf-8"),
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'inline; filename="{group_id}.ics"',
            "Cache-Control": "public, max-age=300",
        },
    )


@route("/groups/{group_id}/meetings/{date}", methods=["PUT"], authorizer=organizer_key)
def put_meeting_override(group_id: str, date: str) -> Response:
    meeting = container.overrides().put(group_id, date, json_body(_request()), _principal())
    log.info("meeting override group=%s date=%s status=%s", group_id, date, meeting.status)
    return _json(meeting.public(), headers=NO_STORE)


@route("/groups/{group_id}/meetings/{date}", methods=["DELETE"], authorizer=organizer_key)
def delete_meeting_override(group_id: str, date: str) -> Response:
    container.overrides().delete(group_id, date)
    log.info("meeting override removed group=%s date=%s", group_id, date)
    return Response(body="", status_code=204, headers=dict[str, str | list[str]](NO_STORE))


@route("/groups/{group_id}/meetings/{date}/deliveries", methods=["GET"], authorizer=organizer_key)
def meeting_deliveries(group_id: str, date: str) -> Response:
    from chalicelib.distribution import deliveries_report

    report = deliveries_report(container.distributor(), group_id, date, query_params(_request()))
    return _json(report, headers=NO_STORE)


# ---------------------------------------------------------------- scheduled and event-driven


@app.schedule(Rate(15, unit=Rate.MINUTES), name="distribute_links")
def distribute_links(event: Any) -> dict[str, Any]:
    """Every 15 minutes: reminders, notices and catch-up sends, stopping well before the deadline."""
    context = getattr(event, "context", None)
    remaining = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        remaining = lambda: context.get_remaining_time_in_millis() / 1000.0  # noqa: E731
    return container.distributor().run(remaining_seconds=remaining).as_dict()


# infra/ re-points this subscription to the stage topic mbc-connect-<stage>-ses-events.
@app.on_sns_message(topic="mbc-connect-ses-events", name="ses_events")
def ses_events(event: Any) -> dict[str, int]:
    """SES bounce and complaint notifications: suppress the address, mark its signups bounced."""
    from chalicelib.bounces import handle_notification

    return handle_notification(event.message, container.signups())


# The transactional outbox sender (issue 12). infra/ re-points this mapping to the stage table's stream and
# sets its filter, retries and failure destination. Placeholder handler on the infra branch only: the lead's
# app.py (the real sender) wins on merge.
OUTBOX_STREAM_PLACEHOLDER = (
    "arn:aws:dynamodb:us-west-2:000000000000:table/mbc-connect-placeholder/stream/1970-01-01T00:00:00.000"
)


@app.on_dynamodb_record(
    stream_arn=OUTBOX_STREAM_PLACEHOLDER, name="outbox_sender", batch_size=25, starting_position="TRIM_HORIZON"
)
def outbox_sender(event: Any) -> None:
    """Sends the outbox items of a stream batch (the real handler comes from main)."""
