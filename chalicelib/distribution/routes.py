"""HTTP routes of the distribution: the deliveries report for organizers."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import container
from chalicelib.web.auth import require_group
from chalicelib.web.request import query_params
from chalicelib.web.responses import NO_STORE, json_response
from chalicelib.web.routing import ORGANIZER, Routes

routes = Routes(__name__)


@routes.route("/groups/{group_id}/meetings/{date}/deliveries", methods=["GET"], authorizer=ORGANIZER)
def meeting_deliveries(group_id: str, date: str) -> Response:
    require_group(routes.request, group_id)
    from chalicelib.distribution.report import parse_filter

    c = container.current()
    only = parse_filter(query_params(routes.request))
    report = c.deliveries_report.build(group_id, date, only=only, now=c.clock.now(), lease_now=c.lease_clock())
    return json_response(report, headers=NO_STORE)


@routes.route("/groups/{group_id}/meetings/{date}/deliveries/requeue", methods=["POST"], authorizer=ORGANIZER)
def requeue_failed(group_id: str, date: str) -> Response:
    """Send the meeting's failed deliveries again with the next run (after fixing the cause)."""
    require_group(routes.request, group_id)
    requeued = container.current().distributor.requeue_failed(group_id, date)
    return json_response({"requeued": requeued}, headers=NO_STORE)
