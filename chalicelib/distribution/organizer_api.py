"""The organizer API of the distribution: the deliveries report, and requeueing failed deliveries.

Plain functions of the request and the path's parameters, registered by the organizer routing
table (``chalicelib/web/organizer_routes.py``) and imported on the first organizer request: a
member's cold start never loads this module."""

from __future__ import annotations

from chalice.app import Request, Response

from chalicelib import container
from chalicelib.web.auth import require_group
from chalicelib.web.request import query_params
from chalicelib.web.responses import NO_STORE, json_response


def meeting_deliveries(request: Request, group_id: str, date: str) -> Response:
    require_group(request, group_id)
    from chalicelib.distribution.report import parse_filter

    c = container.current()
    only = parse_filter(query_params(request))
    report = c.deliveries_report.build(group_id, date, only=only, now=c.clock.now(), lease_now=c.lease_clock())
    return json_response(report, headers=NO_STORE)


def requeue_failed(request: Request, group_id: str, date: str) -> Response:
    """Send the meeting's failed deliveries again with the next run (after fixing the cause)."""
    require_group(request, group_id)
    requeued = container.current().distributor.requeue_failed(group_id, date)
    return json_response({"requeued": requeued}, headers=NO_STORE)
