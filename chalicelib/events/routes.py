"""HTTP routes of events: the public list, one event, the calendar feed; organizers write."""

from __future__ import annotations

import logging

from chalice.app import Response

from chalicelib import container
from chalicelib.web.auth import organizer_from_header
from chalicelib.web.request import query_params
from chalicelib.web.responses import NO_STORE, PUBLIC_60, PUBLIC_300, json_response, text_response
from chalicelib.web.routing import Routes

routes = Routes(__name__)
log = logging.getLogger("mbc.events")


@routes.route("/events", methods=["GET"])
def list_events() -> Response:
    from chalicelib.events.views import parse_listing

    params = query_params(routes.request)
    is_organizer = params.get("status") == "draft" and organizer_from_header(routes.request.headers) is not None
    c = container.current()
    listing = parse_listing(params, is_organizer=is_organizer, now=c.clock.now())
    body = c.events.list_events_json(listing, cursor=params.get("cursor"))
    return json_response(body, headers=NO_STORE if is_organizer else PUBLIC_60)


@routes.route("/events/calendar.ics", methods=["GET"])
def events_calendar() -> Response:
    from chalicelib.events.feed import events_calendar_of_rows as build
    from chalicelib.events.views import FEED_NAMES, parse_state

    state = parse_state(query_params(routes.request).get("state"))
    rows = container.current().events.feed_rows(state)
    return text_response(
        build(rows, FEED_NAMES[state or ""]).decode("utf-8"),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="mbc-events.ics"', **PUBLIC_300},
    )


@routes.route("/events/{event_id}", methods=["GET"])
def get_event(event_id: str) -> Response:
    if event_id.endswith(".ics"):  # GET /events/{id}.ics: one event to add to a calendar
        return event_ics(event_id.removesuffix(".ics"))
    headers = routes.request.headers
    include_drafts = "authorization" in headers and organizer_from_header(headers) is not None
    body, version = container.current().events.get_json(event_id, include_drafts=include_drafts)
    return json_response(body, headers={"ETag": f'"{version}"'})


def ics_is_read_only(event_id: str) -> None:
    """/events/{id}.ics shares the /events/{event_id} route: only GET it."""
    if event_id.endswith(".ics"):
        from chalicelib.web.errors import HttpError

        raise HttpError(405, "method_not_allowed", "Only GET is allowed here.", headers={"Allow": "GET"})


def event_ics(event_id: str) -> Response:
    """One published (or cancelled) event as an .ics download; never a draft."""
    name, etag, calendar = container.current().events.download(event_id)
    return text_response(
        calendar,
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "ETag": etag, **PUBLIC_300},
    )
