"""Console pages of the events: the list (drafts too), add, edit and cancel an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalice.app import Response

from chalicelib.activity.records import ORGANIZATION
from chalicelib.console import web
from chalicelib.console.shell import ZONES, Ctx, local_instant, local_words
from chalicelib.errors import Conflict, Invalid

EVENT_STATUS = {"published": "On the website", "draft": "Draft", "cancelled": "Cancelled"}
EVENT_LABELS = {
    "title": "Title",
    "description": "Description",
    "date": "Date",
    "start_time": "Starts at",
    "end_time": "Ends at",
    "timezone": "Time zone",
    "states": "For people in",
    "format": "Where",
    "venue": "Place",
    "venue_name": "Place name",
    "venue_street": "Street address",
    "venue_city": "City",
    "venue_postal_code": "ZIP code",
    "online_url": "Online link",
    "registration_url": "Registration link",
    "accessibility": "Accessibility notes",
    "starts_at": "Starts at",
    "ends_at": "Ends at",
}


def events(ctx: Ctx) -> Response:
    from chalicelib.events.views import parse_listing

    c = ctx.c
    found: dict[str, Any] = {}
    for params in ({"limit": "100"}, {"status": "draft", "limit": "100"}):  # listed (published, cancelled); drafts
        listing = parse_listing(params, is_organizer=True, now=c.clock.now())
        for doc in c.events.list_events(listing, cursor=None)["events"]:
            found[doc["id"]] = doc
    shown = []
    for doc in sorted(found.values(), key=lambda d: d["starts_at"]):
        venue = doc.get("venue") or {}
        where = ", ".join(x for x in (venue.get("name"), venue.get("city")) if x) or "Online"
        shown.append(
            {
                "id": doc["id"],
                "title": doc["title"],
                "status": doc["status"],
                "status_text": EVENT_STATUS[doc["status"]],
                "where": where,
                "when": local_words(datetime.fromisoformat(doc["starts_at"]), doc["timezone"]),
            }
        )
    return ctx.page("events.html", title="Events", section="events", events=shown)


def _event_values(doc: dict[str, Any] | None) -> dict[str, Any]:
    if doc is None:
        return {
            "title": "",
            "description": "",
            "date": "",
            "start_time": "",
            "end_time": "",
            "timezone": "America/Denver",
            "states": [],
            "format": "in_person",
            "venue_name": "",
            "venue_street": "",
            "venue_city": "",
            "venue_postal_code": "",
            "online_url": "",
            "registration_url": "",
            "accessibility": "",
            "status": "published",
        }
    zone = ZoneInfo(doc["timezone"])
    start = datetime.fromisoformat(doc["starts_at"]).astimezone(zone)
    end = datetime.fromisoformat(doc["ends_at"]).astimezone(zone)
    venue = doc.get("venue") or {}
    return {
        "title": doc["title"],
        "description": doc["description"],
        "date": start.date().isoformat(),
        "start_time": f"{start:%H:%M}",
        "end_time": f"{end:%H:%M}",
        "timezone": doc["timezone"],
        "states": doc["states"],
        "format": doc["format"],
        "venue_name": venue.get("name", ""),
        "venue_street": venue.get("street", ""),
        "venue_city": venue.get("city", ""),
        "venue_postal_code": venue.get("postal_code", ""),
        "online_url": doc.get("online_url") or "",
        "registration_url": doc.get("registration_url") or "",
        "accessibility": doc.get("accessibility") or "",
        "status": doc["status"],
    }


def _event_body(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(values to show again, the event's fields with offsets the server computed, errors)."""
    names = (
        "title",
        "date",
        "start_time",
        "end_time",
        "timezone",
        "format",
        "venue_name",
        "venue_street",
        "venue_city",
        "venue_postal_code",
        "online_url",
        "registration_url",
        "status",
    )
    v: dict[str, Any] = {k: ctx.form(k) for k in names}
    v["description"] = web.first(ctx.fields, "description").strip()
    v["accessibility"] = web.first(ctx.fields, "accessibility").strip()
    v["states"] = [s for s in ctx.fields.get("states", []) if s in ("ID", "MT")]
    errors: dict[str, str] = {}
    if v["timezone"] not in {k for k, _ in ZONES}:
        errors["timezone"] = "Choose a time zone."
        v["timezone"] = "America/Denver"
    starts = ends = None
    try:
        starts = local_instant(v["date"], v["start_time"], v["timezone"], day_field="date", time_field="start_time")
    except Invalid as exc:
        errors.update(exc.fields)
    try:
        ends = local_instant(v["date"], v["end_time"], v["timezone"], day_field="date", time_field="end_time")
    except Invalid as exc:
        errors.update({k: why for k, why in exc.fields.items() if k != "date"})
    if starts and ends and ends <= starts:
        errors["end_time"] = "The end must be after the start (for an event past midnight, add it over two days)."
    if not v["states"]:
        errors["states"] = "Choose Idaho, Montana or both."
    venue = None
    if v["format"] in ("in_person", "hybrid"):
        venue = {
            "name": v["venue_name"],
            "street": v["venue_street"],
            "city": v["venue_city"],
            "postal_code": v["venue_postal_code"],
        }
    body = {
        "title": v["title"],
        "description": v["description"],
        "starts_at": starts.isoformat() if starts else None,
        "ends_at": ends.isoformat() if ends else None,
        "timezone": v["timezone"],
        "format": v["format"],
        "states": v["states"],
        "venue": venue,
        "online_url": v["online_url"] or None,
        "registration_url": v["registration_url"] or None,
        "accessibility": v["accessibility"] or None,
        "status": v["status"] if v["status"] in ("published", "draft") else "published",
    }
    return v, body, errors


def _event_errors(fields: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, why in fields.items():
        key = name.replace("venue.", "venue_")
        key = {"starts_at": "start_time", "ends_at": "end_time"}.get(key, key)
        out[key] = why
    return out


def event_new(ctx: Ctx) -> Response:
    page: dict[str, Any] = {
        "section": "events",
        "zone_options": ZONES,
        "labels": EVENT_LABELS,
        "action": f"{ctx.base}/events/new",
        "version": None,
    }
    if ctx.request.method != "POST":
        return ctx.page("event.html", title="Add an event", v=_event_values(None), **page)
    v, body, errors = _event_body(ctx)
    if not errors:
        try:
            doc = ctx.c.events.create(body)
            ctx.c.activity.record(ORGANIZATION, ctx.who, "event_created", f"Added the event {doc['title']}")
            return ctx.done("/events", "event_saved")
        except Invalid as exc:
            errors = _event_errors(exc.fields)
    return ctx.page("event.html", title="Add an event", status=400, v=v, errors=errors, **page)


def event_edit(ctx: Ctx) -> Response:
    event_id = ctx.params.get("event_id", "")
    doc = dict(ctx.c.events.get(event_id, include_drafts=True))
    page: dict[str, Any] = {
        "section": "events",
        "zone_options": ZONES,
        "labels": EVENT_LABELS,
        "action": f"{ctx.base}/events/{event_id}",
        "version": doc["version"],
    }
    if ctx.request.method != "POST":
        return ctx.page("event.html", title="Edit the event", v=_event_values(doc), **page)
    v, body, errors = _event_body(ctx)
    if doc["status"] == "cancelled":
        body["status"] = "cancelled"
    if not errors:
        version = ctx.form("version")
        try:
            saved = ctx.c.events.update(
                event_id, {**body, "version": int(version) if version.isdigit() else 0}, if_match=None
            )
            ctx.c.activity.record(ORGANIZATION, ctx.who, "event_changed", f"Changed the event {saved['title']}")
            return ctx.done("/events", "event_saved")
        except Invalid as exc:
            errors = _event_errors(exc.fields)
        except Conflict as exc:
            errors = {"title": exc.message + " Reload the page to see the current event."}
    return ctx.page("event.html", title="Edit the event", status=400, v=v, errors=errors, **page)


def event_cancel(ctx: Ctx) -> Response:
    event_id = ctx.params.get("event_id", "")
    version = ctx.form("version")
    saved = ctx.c.events.update(
        event_id, {"status": "cancelled", "version": int(version) if version.isdigit() else 0}, if_match=None
    )
    ctx.c.activity.record(ORGANIZATION, ctx.who, "event_cancelled", f"Cancelled the event {saved['title']}")
    return ctx.done("/events", "event_cancelled")
