"""HTTP routes of the website feature: the allowed origins (admins), the widget files, the embed page."""

from __future__ import annotations

import logging

from chalice.app import Response

from chalicelib import container
from chalicelib.web.auth import require_admin
from chalicelib.web.request import json_body, principal
from chalicelib.web.responses import NO_STORE, json_response
from chalicelib.web.routing import ORGANIZER, Routes

routes = Routes(__name__)
log = logging.getLogger("mbc.website")


# ---------------------------------------------------------------- allowed origins (admins)


@routes.route("/site/origins", methods=["GET"], authorizer=ORGANIZER)
def get_site_origins() -> Response:
    require_admin(routes.request)
    view = container.current().site.origins()
    return json_response(view, headers={"ETag": f'"{view["version"]}"', **NO_STORE})


@routes.route("/site/origins", methods=["PUT"], authorizer=ORGANIZER)
def put_site_origins() -> Response:
    request = routes.request
    require_admin(request)
    view = container.current().site.replace_origins(json_body(request), by=principal(request))
    return json_response(view, headers={"ETag": f'"{view["version"]}"', **NO_STORE})
