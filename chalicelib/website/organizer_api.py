"""The organizer API of the website: the allowed website origins (admins).

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.web.auth import require_admin
from chalicelib.web.request import json_body, principal
from chalicelib.web.responses import NO_STORE, json_response


def get_site_origins(request: Request) -> Response:
    require_admin(request)
    view = container.current().site.origins()
    return json_response(view, headers={"ETag": f'"{view["version"]}"', **NO_STORE})


def put_site_origins(request: Request) -> Response:
    require_admin(request)
    view = container.current().site.replace_origins(json_body(request), by=principal(request))
    return json_response(view, headers={"ETag": f'"{view["version"]}"', **NO_STORE})
