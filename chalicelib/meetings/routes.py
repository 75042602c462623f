"""HTTP routes of meetings: the public list and feed; organizers cancel, move or annotate one."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import container
from chalicelib.errors import Invalid
from chalicelib.web.auth import require_group
from chalicelib.web.request import json_body, principal, query_params
from chalicelib.web.responses import NO_STORE, PUBLIC_60, PUBLIC_300, empty, json_response, text_response
from chalicelib.web.routing import ORGANIZER, Routes

routes = Routes(__name__)


@routes.route("/groups/{group_id}/meetings", methods=["GET"])
def list_meetings(group_id: str) -> Response:
    raw = query_params(routes.request).get("count", "6").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 24:
        raise Invalid(fields={"count": "Must be a whole number from 1 to 24."})
    meetings = container.current().meetings.upcoming_for(group_id, count=int(raw))
    return json_response({"meetings": [m.public() for m in meetings]}, headers=PUBLIC_60)


@routes.route("/groups/{group_id}/meetings.ics", methods=["GET"])
def meetings_calendar(group_id: str) -> Response:
    from chalicelib.meetings.calendar import meeting_calendar

    c = container.current()
    group = c.groups.get(group_id)
    meetings = c.meetings.upcoming(group, count=12)
    return text_response(
        meeting_calendar(group, meetings, stamp=c.clock.now()).decode("utf-8"),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{group_id}.ics"', **PUBLIC_300},
    )


@routes.route("/groups/{group_id}/meetings/{date}", methods=["PUT"], authorizer=ORGANIZER)
def put_meeting_override(group_id: str, date: str) -> Response:
    request = routes.request
    require_group(request, group_id)
    meeting = container.current().meetings.put_override(
        group_id, date, json_body(request), organizer_id=principal(request)
    )
    return json_response(meeting.public(), headers=NO_STORE)


@routes.route("/groups/{group_id}/meetings/{date}", methods=["DELETE"], authorizer=ORGANIZER)
def delete_meeting_override(group_id: str, date: str) -> Response:
    request = routes.request
    require_group(request, group_id)
    notify = query_params(request).get("notify", "true").strip().lower()
    if notify not in ("true", "false"):
        raise Invalid(fields={"notify": "Must be true or false."})
    container.current().meetings.delete_override(
        group_id, date, organizer_id=principal(request), notify=notify == "true"
    )
    return empty()
