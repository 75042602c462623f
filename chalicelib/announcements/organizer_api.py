"""The organizer API of announcements: draft with a preview, edit, send, look back.

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.web.auth import require_group
from chalicelib.web.request import json_body, principal, query_params
from chalicelib.web.responses import NO_STORE, empty, json_response


def draft_announcement(request: Request, group_id: str) -> Response:
    require_group(request, group_id)
    draft = container.current().announcements.draft(group_id, json_body(request), organizer_id=principal(request))
    return json_response(draft, status=201, headers=NO_STORE)


def list_announcements(request: Request, group_id: str) -> Response:
    require_group(request, group_id)
    page = container.current().announcements.list_page(group_id, query_params(request))
    return json_response(page, headers=NO_STORE)


def get_announcement(request: Request, group_id: str, announcement_id: str) -> Response:
    require_group(request, group_id)
    return json_response(container.current().announcements.get(group_id, announcement_id), headers=NO_STORE)


def edit_announcement(request: Request, group_id: str, announcement_id: str) -> Response:
    require_group(request, group_id)
    draft = container.current().announcements.edit(
        group_id, announcement_id, json_body(request), organizer_id=principal(request)
    )
    return json_response(draft, headers=NO_STORE)


def discard_announcement(request: Request, group_id: str, announcement_id: str) -> Response:
    require_group(request, group_id)
    container.current().announcements.discard(group_id, announcement_id, query_params(request))
    return empty()


def send_announcement(request: Request, group_id: str, announcement_id: str) -> Response:
    require_group(request, group_id)
    sending = container.current().announcements.send(
        group_id, announcement_id, json_body(request), organizer_id=principal(request)
    )
    return json_response(sending, status=202, headers=NO_STORE)
