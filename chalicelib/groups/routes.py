"""HTTP routes of groups: the public view; organizers create a group and change its settings."""

from __future__ import annotations

import logging

from chalice.app import Response

from chalicelib import container
from chalicelib.web.auth import require_admin, require_group
from chalicelib.web.request import json_body
from chalicelib.web.responses import NO_STORE, PUBLIC_60, json_response
from chalicelib.web.routing import ORGANIZER, Routes

routes = Routes(__name__)
log = logging.getLogger("mbc.groups")


@routes.route("/groups", methods=["POST"], authorizer=ORGANIZER)
def create_group() -> Response:
    require_admin(routes.request)
    doc = container.current().groups.create(json_body(routes.request))
    log.info("group created id=%s", doc["id"])
    return json_response(doc, 201, {"Location": f"/groups/{doc['id']}", **NO_STORE})


@routes.route("/groups/{group_id}", methods=["GET"])
def get_group(group_id: str) -> Response:
    from chalicelib.groups.views import public_view
    from chalicelib.organization import organization

    c = container.current()
    group = c.groups.get(group_id)
    view = public_view(group, c.meetings.next_meeting(group), organization(c.settings))
    return json_response(view, headers=PUBLIC_60)


@routes.route("/groups/{group_id}/settings", methods=["GET"], authorizer=ORGANIZER)
def get_group_settings(group_id: str) -> Response:
    require_group(routes.request, group_id)
    doc = container.current().groups.get(group_id)
    return json_response(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})


@routes.route("/groups/{group_id}/settings", methods=["PATCH"], authorizer=ORGANIZER)
def update_group_settings(group_id: str) -> Response:
    request = routes.request
    require_group(request, group_id)
    doc = container.current().groups.update(group_id, json_body(request), if_match=request.headers.get("if-match"))
    log.info("group updated id=%s version=%s", group_id, doc["version"])
    return json_response(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})
