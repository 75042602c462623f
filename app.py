"""mbc-connect: the Chalice app, its authorizer and error middleware, the scheduled and SNS
handlers, and the feature blueprints. Everything else lives in chalicelib/ (see
docs/architecture.md); route modules import only what their routes use, and organizer-only routes
are imported on their first request (cold start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalice.app import AuthRequest, AuthResponse, Chalice, Rate, Response

from chalicelib import container
from chalicelib.events.routes import routes as event_routes
from chalicelib.groups.routes import routes as group_routes
from chalicelib.joinlinks.routes import routes as join_routes
from chalicelib.meetings.routes import routes as meeting_routes
from chalicelib.outbox import mapping as stream_mapping
from chalicelib.signups.routes import routes as signup_routes
from chalicelib.web.errors import describe, normalize_framework_error
from chalicelib.web.openapi import routes as openapi_routes
from chalicelib.web.organizer_routes import routes as organizer_routes
from chalicelib.web.routing import ORGANIZER, EdgeError
from chalicelib.website.routes import routes as website_routes

app = Chalice(app_name="mbc-connect")
app.log.setLevel(logging.INFO)
# The only binary bodies this API handles: file uploads (the console's member import) reach the app
# as the bytes sent (API Gateway would otherwise pass them as UTF-8 text and garble a Windows-1252
# spreadsheet). It serves no binary response, so Chalice's default list (images, audio, archives)
# is not kept: every request and response is checked against this list.
app.api.binary_types = ["multipart/form-data"]


@app.authorizer(ttl_seconds=0)
def organizer_key(auth_request: AuthRequest) -> AuthResponse:
    """Built-in authorizer: the same check in AWS, `chalice local` and chalice.test."""
    from chalicelib.web.auth import authorize_organizer

    return authorize_organizer(auth_request.token)


@app.middleware("http")
def error_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Every error leaves in one shape: domain errors get their status from web/errors.py's table."""
    from chalicelib.web.cors import cors_headers, is_page_form_post

    try:
        response = get_response(event)
    except EdgeError as exc:
        status, body, headers = describe(exc.error)
        response = Response(
            body=body,
            status_code=status,
            headers={"Content-Type": "application/json", "Cache-Control": "no-store", **headers},
        )
    origin = event.headers.get("origin") if event is not None and event.headers else None
    if origin and not is_page_form_post(event):
        allowed = container.current().site.allowed_origins(origin)  # deploy-time + stored (cached)
        response.headers = {**cors_headers(origin, allowed), **response.headers}
    rewritten = normalize_framework_error(response.status_code, response.body)
    if rewritten is not None:
        response.body = rewritten
        response.headers = {**response.headers, "Content-Type": "application/json"}
    if response.status_code >= 400 and event is not None and event.path.startswith(("/console", "/j/")):
        from chalicelib.web.error_pages import html_error, is_html_surface

        if is_html_surface(event.path):  # read in a browser: a page with the surface's headers
            response = html_error(event.path, response)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


ORGANIZER.bind(organizer_key)
# The public routes, then the organizer API and the console: a table whose modules are imported on
# a route's first request (chalicelib/web/organizer_routes.py), so a member's cold start skips them.
for blueprint in (
    event_routes,
    group_routes,
    signup_routes,
    meeting_routes,
    join_routes,
    website_routes,
    openapi_routes,
):
    app.register_blueprint(blueprint)
app.register_blueprint(organizer_routes)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="distribute_links")
def distribute_links(event: Any) -> dict[str, Any]:
    """Every 15 minutes: the outbox's sweep, personal-link windows, reminders and notices (stopping
    well before the deadline), and warming the link's path before a meeting opens."""
    from chalicelib import invocation
    from chalicelib.distribution.scheduled import scheduled_run

    remaining = invocation.remaining_of(getattr(event, "context", None))
    with invocation.within(remaining):
        # Dropped if late (older than 10 minutes) or if another run holds the run lease.
        return scheduled_run(
            container.current(),
            remaining_seconds=remaining,
            event_id=getattr(event, "event_id", None),
            event_time=getattr(event, "time", None),
        )


# infra/ re-points this subscription to the stage topic mbc-connect-<stage>-ses-events.
@app.on_sns_message(topic="mbc-connect-ses-events", name="ses_events")
def ses_events(event: Any) -> dict[str, int]:
    """SES bounce and complaint notifications: suppress the address, mark its signups bounced."""
    from chalicelib.signups.bounces import handle_notification

    return handle_notification(event.message, container.current().signups)


# infra/ re-points this mapping to the stage table's stream (filter, retries, failure queue).
OUTBOX_STREAM_PLACEHOLDER = (
    "arn:aws:dynamodb:us-west-2:000000000000:table/mbc-connect-placeholder/stream/1970-01-01T00:00:00.000"
)


@app.on_dynamodb_record(
    stream_arn=OUTBOX_STREAM_PLACEHOLDER,
    name="outbox_sender",
    batch_size=stream_mapping.BATCH_SIZE,
    starting_position=stream_mapping.STARTING_POSITION,
)
def outbox_sender(event: Any) -> dict[str, list[dict[str, str]]]:
    """The transactional outbox: send what state changes promised, process signup forms. Answers
    the records it could not handle (``batchItemFailures``: the mapping reports partial failures,
    chalicelib/outbox/mapping.py); an email that cannot go out now is retried by the sweep."""
    from chalicelib import invocation

    # Handlers that send in passes (announcements), and the sender's own mark retries, budget from
    # this invocation's time left.
    remaining = invocation.remaining_of(getattr(event, "context", None))
    records = ((record.event_name, record.new_image, record.sequence_number) for record in event)
    with invocation.within(remaining):
        return container.current().outbox.handle_stream(records, remaining_seconds=remaining)
