"""The organizer API of signups: list and export a group's signups, approve, decline, erase.

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.web.auth import require_group
from chalicelib.web.request import json_object, principal, query_params
from chalicelib.web.responses import NO_STORE, empty, json_response, text_response


def list_signups(request: Request, group_id: str) -> Response:
    require_group(request, group_id)
    result = container.current().signups.list_page(group_id, query_params(request))
    return json_response(result, headers=NO_STORE)


def export_signups(request: Request, group_id: str) -> Response:
    require_group(request, group_id)
    body = container.current().signups.csv_export(group_id, query_params(request))
    return text_response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{group_id}-signups.csv"', **NO_STORE},
    )


def approve_signup(request: Request, group_id: str, signup_id: str) -> Response:
    require_group(request, group_id)
    record = container.current().signups.approve(group_id, signup_id, organizer_id=principal(request))
    return json_response(record, headers=NO_STORE)


def reject_signup(request: Request, group_id: str, signup_id: str) -> Response:
    """Decline: the person gets the group's kind decline message (and the optional ``message``)."""
    require_group(request, group_id)
    message = None
    if (request.raw_body or b"").strip():
        from chalicelib.errors import validate_model
        from chalicelib.signups.models import DeclineInput

        message = validate_model(DeclineInput, json_object(request)).message or None
    record = container.current().signups.reject(group_id, signup_id, organizer_id=principal(request), message=message)
    return json_response(record, headers=NO_STORE)


def erase_signup(request: Request, group_id: str, signup_id: str) -> Response:
    require_group(request, group_id)
    container.current().signups.erase_for_organizer(group_id, signup_id)
    return empty()
