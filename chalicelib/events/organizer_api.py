"""The organizer API of events: create, change and delete an event (organizer key).

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

import logging

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.events.routes import ics_is_read_only
from chalicelib.web.request import json_body
from chalicelib.web.responses import NO_STORE, empty, json_response

log = logging.getLogger("mbc.events")


def create_event(request: Request) -> Response:
    doc = container.current().events.create(json_body(request))
    log.info("event created id=%s", doc["id"])
    return json_response(doc, 201, {"Location": f"/events/{doc['id']}", "ETag": f'"{doc["version"]}"', **NO_STORE})


def update_event(request: Request, event_id: str) -> Response:
    ics_is_read_only(event_id)
    doc = container.current().events.update(event_id, json_body(request), if_match=request.headers.get("if-match"))
    log.info("event updated id=%s version=%s", doc["id"], doc["version"])
    return json_response(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})


def delete_event(request: Request, event_id: str) -> Response:
    ics_is_read_only(event_id)
    container.current().events.delete(event_id, if_match=request.headers.get("if-match"))
    log.info("event deleted id=%s", event_id)
    return empty()
