"""HTTP routes of groups: the public view; organizers create a group and change its settings."""

from __future__ import annotations

import logging

from chalice.app import Response

from chalicelib import container
from chalicelib.web.responses import PUBLIC_60, json_response
from chalicelib.web.routing import Routes

routes = Routes(__name__)
log = logging.getLogger("mbc.groups")


@routes.route("/groups/{group_id}", methods=["GET"])
def get_group(group_id: str) -> Response:
    from chalicelib.groups.views import public_view

    c = container.current()
    group = c.groups.get(group_id)
    return json_response(public_view(group, c.meetings.next_meeting(group)), headers=PUBLIC_60)
