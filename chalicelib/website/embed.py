"""What the embed page shows: the group's signup form (its consent statement and version), a page of
events with everything a person needs (when, where, a map, add to calendar), and the feeds.
Server-rendered: the page works the same with or without JavaScript, inside any site's iframe."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from chalice.app import Response

from chalicelib.constants import STATE_NAMES
from chalicelib.errors import Invalid
from chalicelib.events.records import EventRecord
from chalicelib.meetings.zones import span
from chalicelib.website.theme import parse_theme, theme_query

SECTIONS = ("signup", "events")
FORMAT_LABELS = {"in_person": "In person", "virtual": "Online", "hybrid": "In person and online"}
DEFAULT_PER_PAGE = 5
MAX_PER_PAGE = 20
GOOGLE_DETAILS_MAX = 1500


class EmbedOptions:
    """The embed page's query string: what to show, the theme, the events' filter and page."""

    def __init__(self, params: Mapping[str, str]) -> None:
        problems: dict[str, str] = {}
        try:
            self.theme = parse_theme(params)
        except Invalid as exc:
            self.theme = {}
            problems.update(exc.fields)
        show = (params.get("show") or "signup,events").split(",")
        if any(part not in SECTIONS for part in show):
            problems["show"] = "Must be signup, events, or signup,events."
        self.show = tuple(part for part in SECTIONS if part in show)
        state = (params.get("state") or "").upper()
        if state and state not in STATE_NAMES:
            problems["state"] = "Must be ID or MT."
        self.state = state
        raw = params.get("events")
        self.per_page = DEFAULT_PER_PAGE
        if raw is not None:
            if not raw.isdigit() or not 1 <= int(raw) <= MAX_PER_PAGE:
                problems["events"] = f"Must be a whole number from 1 to {MAX_PER_PAGE}."
            else:
                self.per_page = int(raw)
        self.cursor = params.get("cursor") or None
        if self.cursor is not None and len(self.cursor) > 2000:
            problems["cursor"] = "Not valid for this list."
        event = params.get("event") or ""
        self.open_event = event or None
        if event and not (event.isascii() and event.isalnum() and len(event) <= 64):
            problems["event"] = "Must be an event id."
        if problems:
            raise Invalid("Some parameters of this page are not valid.", fields=problems)

    def query(self, **changes: str | None) -> dict[str, str]:
        """This page's parameters (theme, show, filter), with ``changes``: for links between its pages."""
        values: dict[str, str | None] = {
            **theme_query(self.theme),
            "show": ",".join(self.show) if self.show != SECTIONS else None,
            "state": self.state or None,
            "events": str(self.per_page) if self.per_page != DEFAULT_PER_PAGE else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def theme_only(params: Mapping[str, str]) -> dict[str, str]:
    """The theme of a page whose other parameters do not matter (the thank-you page): bad values dropped."""
    theme: dict[str, str] = {}
    for name in params:
        try:
            theme.update(parse_theme({name: params[name]}))
        except Invalid:
            continue
    return theme


def when_text(starts_at: str, ends_at: str, zone_name: str) -> str:
    """'Tuesday, March 10, 2030, 10:00 AM \u2013 12:00 PM Mountain', in the event's own zone, named in
    words (chalicelib/meetings/zones.py): an event in Coeur d'Alene says Pacific, never 'PST'."""
    return span(datetime.fromisoformat(starts_at), datetime.fromisoformat(ends_at), (zone_name,))


def _https(url: str | None) -> str | None:
    return url if url and url.startswith("https://") else None


def address(doc: EventRecord) -> str:
    venue = doc.get("venue")
    if not venue:
        return ""
    region = f"{doc['states'][0]} " if len(doc["states"]) == 1 else ""
    return f"{venue['street']}, {venue['city']}, {region}{venue['postal_code']}"


def _calendar_instant(iso: str) -> str:
    from datetime import UTC

    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(doc: EventRecord) -> str:
    details = doc.get("description") or ""
    link = _https(doc.get("registration_url")) or _https(doc.get("online_url"))
    if link:
        details = f"{details}\n\n{link}" if details else link
    venue = doc.get("venue")
    location = f"{venue['name']}, {address(doc)}" if venue else ("Online" if doc["format"] == "virtual" else "")
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": doc["title"],
            "dates": f"{_calendar_instant(doc['starts_at'])}/{_calendar_instant(doc['ends_at'])}",
            "details": details[:GOOGLE_DETAILS_MAX],
            "location": location,
            "ctz": doc["timezone"],
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def map_url(doc: EventRecord) -> str | None:
    venue = doc.get("venue")
    if not venue:
        return None
    return "https://www.openstreetmap.org/search?query=" + quote(f"{venue['name']}, {address(doc)}", safe="")


def event_view(doc: EventRecord, api: str) -> dict[str, Any]:
    venue = doc.get("venue")
    link = _https(doc.get("registration_url")) or _https(doc.get("online_url"))
    return {
        "id": doc["id"],
        "title": doc["title"],
        "cancelled": doc["cancelled"],
        "format_label": FORMAT_LABELS.get(doc["format"], doc["format"]),
        "states_label": " and ".join(STATE_NAMES.get(s, s) for s in doc["states"]),
        "starts_at": doc["starts_at"],
        "when": when_text(doc["starts_at"], doc["ends_at"], doc["timezone"]),
        "where": f"{venue['name']}, {venue['city']}" if venue else ("Online" if doc["format"] == "virtual" else ""),
        "venue_name": venue["name"] if venue else "",
        "address": address(doc),
        "map_url": map_url(doc),
        "description": doc.get("description") or "",
        "accessibility": doc.get("accessibility") or "",
        "contact_email": doc.get("contact_email") or "",
        "link": None if doc["cancelled"] else link,
        "link_label": "Register" if _https(doc.get("registration_url")) else "Join online",
        "ics_url": f"{api}/events/{doc['id']}.ics",
        "google_url": google_calendar_url(doc),
    }


# A warm container renders an event's card once per stored text of it (the row is its whole content:
# any change, a new version included, is another text) and per API address. Bounded: cleared when full.
_VIEWS: dict[tuple[str, str], dict[str, Any]] = {}
VIEWS_KEPT = 256


def event_view_of_row(row: str, api: str) -> dict[str, Any]:
    """``event_view`` of a stored event's JSON text, kept per text: the page only reads it."""
    key = (row, api)
    view = _VIEWS.get(key)
    if view is None:
        import json

        if len(_VIEWS) >= VIEWS_KEPT:
            _VIEWS.clear()
        view = _VIEWS[key] = event_view(json.loads(row), api)
    return view


def webcal(url: str) -> str:
    return "webcal:" + url.split(":", 1)[1]


def feeds(api: str, group_id: str, group_name: str) -> list[dict[str, str]]:
    state_feed = f"{api}/events/calendar.ics"
    return [
        {"label": "Idaho events", "url": webcal(f"{state_feed}?state=ID"), "https": f"{state_feed}?state=ID"},
        {"label": "Montana events", "url": webcal(f"{state_feed}?state=MT"), "https": f"{state_feed}?state=MT"},
        {
            "label": f"{group_name} meetings",
            "url": webcal(f"{api}/groups/{group_id}/meetings.ics"),
            "https": f"{api}/groups/{group_id}/meetings.ics",
        },
    ]


FORM_FIELDS = ("name", "email", "state", "timezone", "how_heard", "consent")


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """What the person typed, to show the form again with their answers (nothing else kept)."""
    return {name: str(data.get(name) or "")[:300] for name in FORM_FIELDS}


# ---------------------------------------------------------------- the pages


def _api_and_frames() -> tuple[Any, str, tuple[str, ...]]:
    from chalicelib import container

    c = container.current()
    return c, c.settings.public_api_url, c.site.allowed_origins()


def refused_framer(headers: Mapping[str, str]) -> str | None:
    """The website framing this request, when it is not allowed (so frame-ancestors would leave a
    blank box): an iframe's request (``Sec-Fetch-Dest: iframe``) from a page whose ``Referer`` names
    another origin. None otherwise (allowed, opened on its own, or the site hides its address)."""
    from chalicelib.website.origins import origin_of

    if str(headers.get("sec-fetch-dest") or "").lower() != "iframe":
        return None
    referer = str(headers.get("referer") or "")
    site = origin_of(referer) if len(referer) <= 2000 else None
    c, api, _ = _api_and_frames()
    if site is None or site == origin_of(api) or c.site.origin_allowed(site):
        return None
    return site


def not_allowed_page(group_id: str, site: str, params: Mapping[str, str]) -> Response:
    """The frame on a website not allowed yet: a readable page saying so and what to do (any site
    may frame it: it holds no form and no personal data), instead of a blank box."""
    from chalicelib.errors import DomainError
    from chalicelib.website.pages import website_page

    c, api, _ = _api_and_frames()
    try:
        group_name: str | None = c.groups.get(group_id)["name"]
    except DomainError:
        group_name = None
    except Exception:  # deliberate: the name is a nicety; an outage still gets the readable page
        group_name = None
    return website_page(
        "website/embed/not_allowed.html",
        api=api,
        status=403,
        theme=theme_only(params),
        frame_origins=("*",),
        site=site,
        group_name=f"{group_name}'s signup form" if group_name else None,
        page_url=f"{api}/embed/{quote(group_id, safe='')}",
    )


def _outage_page(exc: Exception, *, api: str, back_url: str | None, theme: Mapping[str, str]) -> Response:
    """Storage not answering: a page saying to try again (503, Retry-After), never a bare error."""
    from chalicelib.db import is_unavailable
    from chalicelib.errors import Unavailable
    from chalicelib.website.pages import outcome_page

    if not is_unavailable(exc):
        raise exc
    frames = _api_and_frames()[2]
    return outcome_page(
        Unavailable(retry_after=30),
        api=api,
        back_url=back_url,
        back_label="Try again",
        theme=theme,
        frame_origins=frames,
    )


def config_error_page(exc: Invalid, *, api: str, theme: Mapping[str, str], frame_origins: tuple[str, ...]) -> Response:
    from chalicelib.website.pages import website_page

    return website_page(
        "website/pages/outcome.html",
        api=api,
        status=400,
        theme=theme,
        frame_origins=frame_origins,
        title="This page is not set up correctly",
        message="Please let the website's volunteer know: the address of this page has a problem.",
        problems=list(exc.fields.items()),
        back_url=None,
        back_label="",
        back_hint=False,
    )


def embed_page(
    group_id: str,
    params: Mapping[str, str],
    *,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Response:
    """The embed page: the group's form (with the person's answers and errors after a refused post)
    and a page of events; a page saying what is wrong for a bad address. The form as everyone first
    sees it (nothing typed in it) is kept per what it is made of: the group as read, its next
    meeting, the events as stored, the page's parameters and the website's settings."""
    from chalicelib.errors import DomainError, InvalidCursor
    from chalicelib.events.views import parse_listing
    from chalicelib.organization import organization
    from chalicelib.website.pages import kept_response, outcome_page, with_query

    c, api, frames = _api_and_frames()
    try:
        options = EmbedOptions(params)
    except Invalid as exc:
        return config_error_page(exc, api=api, theme=theme_only(params), frame_origins=frames)
    page_url = f"{api}/embed/{group_id}"
    try:
        group = c.groups.get(group_id)
        next_meeting = c.meetings.next_meeting(group)
        rows: list[str] = []
        opened: EventRecord | None = None
        next_cursor = None
        if "events" in options.show:
            listing = parse_listing(
                {"state": options.state, "limit": str(options.per_page)}, is_organizer=False, now=c.clock.now()
            )
            rows, next_cursor = c.events.list_event_rows(listing, cursor=options.cursor)
            if options.open_event and all(event_view_of_row(row, api)["id"] != options.open_event for row in rows):
                with suppress(DomainError):
                    opened = c.events.get(options.open_event)
    except InvalidCursor as exc:
        return outcome_page(
            exc,
            api=api,
            back_url=with_query(page_url, options.query()),
            back_label="Back to the first events",
            theme=options.theme,
            frame_origins=frames,
            after_post=False,
        )
    except DomainError as exc:
        return outcome_page(exc, api=api, back_url=None, theme=options.theme, frame_origins=frames, after_post=False)
    except Exception as exc:
        return _outage_page(exc, api=api, back_url=with_query(page_url, options.query()), theme=options.theme)
    org = organization(c.settings)
    more_url = with_query(page_url, options.query(cursor=next_cursor)) if next_cursor else None

    def make(late: Mapping[str, str | None]) -> Response:
        from chalicelib.groups.views import public_view
        from chalicelib.website.pages import FIELD_LABELS, website_page

        view = public_view(group, next_meeting, org)
        events = [event_view_of_row(row, api) for row in rows]
        if opened is not None:
            events.insert(0, event_view(opened, api))
        where = STATE_NAMES.get(options.state, "Idaho and Montana")
        if events:
            count = f"{len(events)} {'more ' if options.cursor else ''}upcoming event{'s' if len(events) != 1 else ''}"
            events_status = f"Showing {count} in {where}."
        else:
            events_status = f"No {'more ' if options.cursor else ''}upcoming events in {where} yet."
        problems = dict(errors or {})
        visible = ("name", "email", "state", "timezone", "how_heard", "consent")
        return website_page(
            "website/embed/page.html",
            api=api,
            status=status,
            theme=options.theme,
            frame_origins=frames,
            group=view,
            options=options,
            next_meeting=view["next_meeting"]["when_text"] if view["next_meeting"] else None,
            values=dict(values or form_values({})),
            errors=problems,
            error_list=[(name, FIELD_LABELS.get(name, name), why) for name, why in problems.items()],
            anchors=visible,
            first_error=next((name for name in visible if name in problems), None),
            page_url=page_url,
            action_url=with_query(page_url, options.query()),
            resend_url=f"{api}/groups/{group_id}/resend",
            filter_hidden=options.query(state=None),
            events=events,
            events_status=events_status,
            more_url=late["more_url"],
            first_url=with_query(page_url, options.query()) if options.cursor else None,
            feeds=feeds(api, group_id, view["name"]),
        )

    if values or errors:  # what someone typed: never kept
        return make({"more_url": more_url})
    # The group's record as read goes into the key's digest only (it holds the meeting's link); the
    # next meeting as the page shows it (its date and instants).
    shown = (
        (next_meeting.date, next_meeting.starts_at.isoformat(), next_meeting.ends_at.isoformat())
        if next_meeting
        else None
    )
    inputs = ("embed", group_id, status, group, shown, rows, opened, dict(params), api, frames)
    return kept_response(inputs, make, org=org, late={"more_url": more_url})


def thanks_page(group_id: str, params: Mapping[str, str]) -> Response:
    """After a signup: check your email. "Back" goes to ``back`` (a page of an allowed website) or
    to the embed page it came from."""
    from chalicelib.errors import DomainError
    from chalicelib.organization import organization
    from chalicelib.website.origins import origin_of
    from chalicelib.website.pages import kept_response, outcome_page, website_page, with_query

    c, api, frames = _api_and_frames()
    try:
        group = c.groups.get(group_id)
    except DomainError as exc:
        theme = theme_only(params)
        return outcome_page(exc, api=api, back_url=None, theme=theme, frame_origins=frames, after_post=False)
    except Exception as exc:
        return _outage_page(exc, api=api, back_url=None, theme=theme_only(params))
    shown = {"name": str(group["name"]), "requires_approval": bool(group["requires_approval"])}

    def make(_: Mapping[str, str | None]) -> Response:
        theme = theme_only(params)
        try:
            options: dict[str, str] = EmbedOptions(params).query()
        except Invalid:
            options = theme_query(theme)
        back = params.get("back") or ""
        origin = origin_of(back) if len(back) <= 2000 else None
        if origin and (origin == origin_of(api) or c.site.origin_allowed(origin)):
            back_url, back_label = back, "Back to the website"
        else:
            back_url, back_label = with_query(f"{api}/embed/{group_id}", options), "Back to the form"
        return website_page(
            "website/embed/thanks.html",
            api=api,
            theme=theme,
            frame_origins=frames,
            group=shown,
            back_url=back_url,
            back_label=back_label,
        )

    # The same page for everyone who signed up to the group from the same page: kept per its inputs.
    org = organization(c.settings)
    # Plain public values (the group's name, the page's query string, the website's settings).
    inputs = ("thanks", group_id, shown["name"], shown["requires_approval"], tuple(sorted(params.items())), api, frames)
    return kept_response(inputs, make, org=org, plain=True)
