"""mbc-connect HTTP API, scheduled jobs and authorizer.

Thin on purpose: each route parses the request and delegates to chalicelib/.
Heavy imports (boto3, icalendar) happen inside the code that needs them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import AuthResponse, Chalice, ChaliceUnhandledError, Request, Response

from chalicelib import container
from chalicelib.errors import ApiError
from chalicelib.web import json_body, normalize_framework_error, query_params

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
        return Response(body=exc.body(), status_code=exc.status, headers={**JSON_HEADERS, **NO_STORE, **exc.headers})
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
