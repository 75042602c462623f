"""HTTP routes of meetings: the public list and feed; organizers cancel, move or annotate one."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib import container
from chalicelib.errors import Invalid
from chalicelib.web.request import query_params
from chalicelib.web.responses import PUBLIC_60, PUBLIC_300, json_response, text_response
from chalicelib.web.routing import Routes

if TYPE_CHECKING:
    from chalicelib.meetings.meeting import Meeting

routes = Routes(__name__)


@routes.route("/groups/{group_id}/meetings", methods=["GET"])
def list_meetings(group_id: str) -> Response:
    raw = query_params(routes.request).get("count", "6").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 24:
        raise Invalid(fields={"count": "Must be a whole number from 1 to 24."})
    meetings = container.current().meetings.upcoming_for(group_id, count=int(raw))
    return json_response(_meetings_json(tuple(meetings)), headers=PUBLIC_60)


@functools.lru_cache(maxsize=64)
def _meetings_json(meetings: tuple[Meeting, ...]) -> str:
    """The list's JSON body, as Chalice would write it: a warm process answers the same group's
    list again and again (meetings are frozen values: equal meetings, equal body)."""
    import json

    return json.dumps({"meetings": [m.public() for m in meetings]}, separators=(",", ":"))


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
