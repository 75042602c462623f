"""HTTP routes of personal links: ``GET /j/{token}`` (the room, or a waiting page), the next
meeting as a calendar entry with the link, and an organizer replacing one member's link."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import container
from chalicelib.web.request import source_ip
from chalicelib.web.routing import Routes

routes = Routes(__name__)

# Headers of everything a personal link answers: never cached, never a Referer to the room.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
WARM = "_warm"


@routes.route("/j/{token}", methods=["GET"])
def open_link(token: str) -> Response:
    c = container.current()
    if token == WARM:
        # The scheduled run calls this a few minutes before a meeting's room opens, so members meet a
        # warm container (and a warm connection to DynamoDB) at 3:59 PM: one read, nothing else.
        c.join_link_items.link("0" * 64)
        return Response(body="", status_code=204, headers=dict[str, str | list[str]](PRIVATE))
    opened = c.join_clicks.open(token, source_ip=source_ip(routes.request))
    if opened.result == "open" and opened.location:
        return Response(body="", status_code=303, headers={"Location": opened.location, **PRIVATE})
    from chalicelib.joinlinks.views import link_page

    return link_page(opened, token=token, settings=c.settings, now=c.clock.now(), headers=PRIVATE)


@routes.route("/j/{token}/meeting.ics", methods=["GET"])
def link_calendar(token: str) -> Response:
    """The next meeting as a calendar entry whose link is the member's personal link."""
    from chalicelib.joinlinks.views import calendar_entry

    c = container.current()
    return calendar_entry(token, container=c, source_ip=source_ip(routes.request), headers=PRIVATE)
