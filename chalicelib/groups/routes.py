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
    from chalicelib.groups.views import public_json
    from chalicelib.organization import organization

    c = container.current()
    group = c.groups.get(group_id)
    body = public_json(group, c.meetings.next_meeting(group), organization(c.settings))
    return json_response(body, headers=PUBLIC_60)
