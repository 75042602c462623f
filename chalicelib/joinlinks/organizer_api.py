"""The organizer API of personal join links: replace one member's link.

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.web.auth import require_group
from chalicelib.web.request import principal
from chalicelib.web.responses import NO_STORE, json_response


def replace_join_link(request: Request, group_id: str, signup_id: str) -> Response:
    """Revoke one member's personal link at once and email them a new one."""
    require_group(request, group_id)
    container.current().join_links.replace_link(group_id, signup_id, organizer_id=principal(request))
    return json_response({"status": "replaced"}, headers=NO_STORE)
