"""HTTP routes of events: the public list, one event, the calendar feed; organizers write."""

from __future__ import annotations

import logging

from chalice.app import Response

from chalicelib import container
from chalicelib.web.auth import organizer_from_header
from chalicelib.web.request import json_body, query_params
from chalicelib.web.responses import NO_STORE, PUBLIC_60, PUBLIC_300, empty, json_response, text_response
from chalicelib.web.routing import ORGANIZER, Routes

routes = Routes(__name__)
log = logging.getLogger("mbc.events")


@routes.route("/events", methods=["GET"])
def list_events() -> Response:
    from chalicelib.events.views import parse_listing

    params = query_params(routes.request)
    is_organizer = params.get("status") == "draft" and organizer_from_header(routes.request.headers) is not None
    c = container.current()
    listing = parse_listing(params, is_organizer=is_organizer, now=c.clock.now())
    result = c.events.list_events(listing, cursor=params.get("cursor"))
    return json_response(result, headers=NO_STORE if is_organizer else PUBLIC_60)


@routes.route("/events/calendar.ics", methods=["GET"])
def events_calendar() -> Response:
    from chalicelib.events.feed import events_calendar as build
    from chalicelib.events.views import FEED_NAMES, parse_state

    state = parse_state(query_params(routes.request).get("state"))
    docs = container.current().events.upcoming_for_feed(state)
    return text_response(
        build(docs, FEED_NAMES[state or ""]).decode("utf-8"),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="mbc-events.ics"', **PUBLIC_300},
    )


@routes.route("/events/{event_id}", methods=["GET"])
def get_event(event_id: str) -> Response:
    headers = routes.request.headers
    include_drafts = "authorization" in headers and organizer_from_header(headers) is not None
    doc = container.current().events.get(event_id, include_drafts=include_drafts)
    return json_response(doc, headers={"ETag": f'"{doc["version"]}"'})


@routes.route("/events", methods=["POST"], authorizer=ORGANIZER)
def create_event() -> Response:
    doc = container.current().events.create(json_body(routes.request))
    log.info("event created id=%s", doc["id"])
    return json_response(doc, 201, {"Location": f"/events/{doc['id']}", "ETag": f'"{doc["version"]}"', **NO_STORE})


@routes.route("/events/{event_id}", methods=["PATCH"], authorizer=ORGANIZER)
def update_event(event_id: str) -> Response:
    request = routes.request
    doc = container.current().events.update(event_id, json_body(request), if_match=request.headers.get("if-match"))
    log.info("event updated id=%s version=%s", doc["id"], doc["version"])
    return json_response(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})


@routes.route("/events/{event_id}", methods=["DELETE"], authorizer=ORGANIZER)
def delete_event(event_id: str) -> Response:
    container.current().events.delete(event_id, if_match=routes.request.headers.get("if-match"))
    log.info("event deleted id=%s", event_id)
    return empty()
