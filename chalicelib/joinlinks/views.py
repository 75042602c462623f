"""The pages a personal link shows outside a meeting's opening window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Response

from chalicelib.joinlinks.click import Opened
from chalicelib.meetings.zones import at, long_when, member_zone, member_zones, own_zone, zone_choices, zones_words
from chalicelib.settings import Settings
from chalicelib.web.pages import page

STATUS = {"wait": 200, "unknown": 404, "limited": 429}


def contact(settings: Settings) -> str:
    """Where a member can write to the organizers (replies to our emails go there too)."""
    from email.utils import parseaddr

    return parseaddr(settings.mail_reply_to or settings.mail_from)[1]


def link_page(
    opened: Opened,
    *,
    token: str,
    settings: Settings,
    now: datetime,
    headers: dict[str, str],
    zone_saved: bool = False,
) -> Response:
    context: dict[str, Any] = {"contact": contact(settings), "title": "Your link to the meeting"}
    if opened.result == "wait" and opened.window is not None and opened.member is not None:
        window, member = opened.window, opened.member
        zones = member_zones(member)
        meetings = []
        for meeting in ([opened.meeting] if opened.meeting else []) + opened.later:
            start, opens = datetime.fromisoformat(meeting["start"]), datetime.fromisoformat(meeting["opens"])
            meetings.append(
                {
                    "when": long_when(start, zones),
                    "opens": at(opens, zones),
                    "cancelled": meeting["status"] == "cancelled",
                    "moved": meeting["status"] == "moved",
                }
            )
        context.update(
            title=window["name"],
            group_name=window["name"],
            meetings=meetings,
            window_minutes=window["window_minutes"],
            calendar_url=f"{settings.public_api_url}/j/{token}/meeting.ics",
            meeting_id=window.get("zoom_meeting_id"),
            passcode=window.get("zoom_passcode"),
            dial_in=window.get("zoom_dial_in") or [],
            expect=[p.strip() for p in (window.get("what_to_expect") or "").split("\n\n") if p.strip()],
            zone_action=f"{settings.public_api_url}/j/{token}/zone",
            zone_choices=zone_choices(member.get("state")),
            zone_current=member_zone(member.get("timezone")) or "",
            zone_saved=zone_saved,
            zones_shown=zones_words(zones),
        )
        response = page("joinlinks/pages/waiting.html", status=200, **context)
    elif opened.result == "limited":
        response = page("joinlinks/pages/limited.html", status=429, **context)
        response.headers["Retry-After"] = str(opened.retry_after)
    else:
        response = page("joinlinks/pages/unknown.html", status=404, **context)
    response.headers.update(headers)
    return response


def calendar_entry(token: str, *, container: Any, source_ip: str, headers: dict[str, str]) -> Response:
    """The group's meetings as one series with this personal link (the one the welcome email
    attaches), for a calendar that does not have them yet."""
    from chalicelib.meetings.calendar import series_calendar

    opened = container.join_clicks.open(token, source_ip=source_ip)
    if opened.result not in ("open", "wait") or opened.window is None or opened.meeting is None:
        return link_page(opened, token=token, settings=container.settings, now=container.clock.now(), headers=headers)
    group = container.groups.get(opened.window["group_id"])
    meetings = container.meetings.upcoming(group, count=12)
    zones = member_zones(opened.member)
    body = series_calendar(
        group,
        meetings,
        stamp=container.clock.now(),
        join_url=f"{container.settings.public_api_url}/j/{token}",
        zone=own_zone(zones),
    ).decode("utf-8")
    return Response(
        body=body,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{group["id"]}.ics"',
            **headers,
        },
    )


def save_zone(token: str, *, container: Any, request: Any, headers: dict[str, str]) -> Response:
    """Her choice of zone from her link's page: saved, then back to the page (303), which now
    speaks it. An unknown or revoked link gets the same kind page as opening it; a value the form
    never offers, a 400 page saying what to choose."""
    from chalicelib.errors import Invalid
    from chalicelib.signups.zone import read_zone
    from chalicelib.web.request import form_or_json_body

    settings = container.settings
    fields, _ = form_or_json_body(request)
    member = container.join_links.member_of(token)
    if member is None:
        response = page("joinlinks/pages/unknown.html", status=404, contact=contact(settings), title="Your link")
        response.headers.update(headers)
        return response
    try:
        zone = read_zone(fields.get("timezone"))
    except Invalid as exc:
        response = page(
            "pages/message.html",
            status=400,
            title="Please choose your time",
            message=exc.fields["timezone"],
            detail="Go back to your link's page and choose one of the times it offers.",
        )
        response.headers.update(headers)
        return response
    container.member_zones.set_zone(member["group_id"], member["id"], zone, gen=member["gen"], statuses=("active",))
    location = f"{settings.public_api_url}/j/{token}?zone=saved#your-time"
    return Response(body="", status_code=303, headers={"Location": location, **headers})


# What a personal link says when it cannot be answered (an outage, a bug): no detail of the failure.
FAILURES = {
    503: "We could not open your link just now: the service is briefly unavailable. Please try again in a minute.",
    500: "Something went wrong on our side while opening your link. Please try again in a minute.",
}


def error_page(status: int, *, settings: Settings, headers: dict[str, str], retry_after: int | None = None) -> Response:
    """The page a personal link answers when it fails: the member pages' headers (strict CSP, no
    framing, no-store, no Referer), never the API's JSON."""
    message = FAILURES.get(status, "This link could not be opened.")
    response = page("joinlinks/pages/failed.html", status=status, message=message, contact=contact(settings))
    response.headers.update(headers)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
