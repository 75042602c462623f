"""HTTP routes of announcements (organizers): draft with a preview, edit, send, look back."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import container
from chalicelib.web.auth import require_group
from chalicelib.web.request import json_body, principal, query_params
from chalicelib.web.responses import NO_STORE, empty, json_response
from chalicelib.web.routing import ORGANIZER, Routes

routes = Routes(__name__)

BASE = "/groups/{group_id}/announcements"


@routes.route(BASE, methods=["POST"], authorizer=ORGANIZER)
def draft_announcement(group_id: str) -> Response:
    require_group(routes.request, group_id)
    request = routes.request
    draft = container.current().announcements.draft(group_id, json_body(request), organizer_id=principal(request))
    return json_response(draft, status=201, headers=NO_STORE)


@routes.route(BASE, methods=["GET"], authorizer=ORGANIZER)
def list_announcements(group_id: str) -> Response:
    require_group(routes.request, group_id)
    page = container.current().announcements.list_page(group_id, query_params(routes.request))
    return json_response(page, headers=NO_STORE)


@routes.route(BASE + "/{announcement_id}", methods=["GET"], authorizer=ORGANIZER)
def get_announcement(group_id: str, announcement_id: str) -> Response:
    require_group(routes.request, group_id)
    return json_response(container.current().announcements.get(group_id, announcement_id), headers=NO_STORE)


@routes.route(BASE + "/{announcement_id}", methods=["PATCH"], authorizer=ORGANIZER)
def edit_announcement(group_id: str, announcement_id: str) -> Response:
    require_group(routes.request, group_id)
    request = routes.request
    draft = container.current().announcements.edit(
        group_id, announcement_id, json_body(request), organizer_id=principal(request)
    )
    return json_response(draft, headers=NO_STORE)


@routes.route(BASE + "/{announcement_id}", methods=["DELETE"], authorizer=ORGANIZER)
def discard_announcement(group_id: str, announcement_id: str) -> Response:
    require_group(routes.request, group_id)
    container.current().announcements.discard(group_id, announcement_id, query_params(routes.request))
    return empty()


@routes.route(BASE + "/{announcement_id}/send", methods=["POST"], authorizer=ORGANIZER)
def send_announcement(group_id: str, announcement_id: str) -> Response:
    require_group(routes.request, group_id)
    request = routes.request
    sending = container.current().announcements.send(
        group_id, announcement_id, json_body(request), organizer_id=principal(request)
    )
    return json_response(sending, status=202, headers=NO_STORE)
