"""The organizer API of groups: create a group (admins), read and change its settings (the Zoom secrets).

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

import logging

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.web.auth import require_admin, require_group
from chalicelib.web.request import json_body
from chalicelib.web.responses import NO_STORE, json_response

log = logging.getLogger("mbc.groups")


def create_group(request: Request) -> Response:
    require_admin(request)
    doc = container.current().groups.create(json_body(request))
    log.info("group created id=%s", doc["id"])
    return json_response(doc, 201, {"Location": f"/groups/{doc['id']}", **NO_STORE})


def get_group_settings(request: Request, group_id: str) -> Response:
    require_group(request, group_id)
    doc = container.current().groups.get(group_id)
    return json_response(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})


def update_group_settings(request: Request, group_id: str) -> Response:
    require_group(request, group_id)
    doc = container.current().groups.update(group_id, json_body(request), if_match=request.headers.get("if-match"))
    log.info("group updated id=%s version=%s", group_id, doc["version"])
    return json_response(doc, headers={"ETag": f'"{doc["version"]}"', **NO_STORE})
