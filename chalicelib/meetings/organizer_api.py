"""The organizer API of meetings: override one occurrence (cancel, move, note) or put it back.

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.errors import Invalid
from chalicelib.web.auth import require_group
from chalicelib.web.request import json_body, principal, query_params
from chalicelib.web.responses import NO_STORE, empty, json_response


def put_meeting_override(request: Request, group_id: str, date: str) -> Response:
    require_group(request, group_id)
    meeting = container.current().meetings.put_override(
        group_id, date, json_body(request), organizer_id=principal(request)
    )
    return json_response(meeting.public(), headers=NO_STORE)


def delete_meeting_override(request: Request, group_id: str, date: str) -> Response:
    require_group(request, group_id)
    notify = query_params(request).get("notify", "true").strip().lower()
    if notify not in ("true", "false"):
        raise Invalid(fields={"notify": "Must be true or false."})
    container.current().meetings.delete_override(
        group_id, date, organizer_id=principal(request), notify=notify == "true"
    )
    return empty()
