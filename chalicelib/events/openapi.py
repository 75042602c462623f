"""OpenAPI paths and models of events."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import err, json_ref, param, security, unauthorized

EVENT_ID = param("event_id", "path", {"type": "string", "pattern": "^[A-Za-z0-9]{1,64}$"}, "Event id.", True)


def paths() -> dict[str, Any]:
    list_params = [
        param("state", "query", {"type": "string", "pattern": "^([Ii][Dd]|[Mm][Tt])?$"}, "ID or MT; omit for both."),
        param(
            "from", "query", {"type": "string"}, "Date (whole day, Mountain time) or ISO 8601 date-time; default now."
        ),
        param("to", "query", {"type": "string"}, "Date (inclusive) or ISO 8601 date-time."),
        param("format", "query", {"type": "string", "enum": ["in_person", "virtual", "hybrid", ""]}, "Empty: any."),
        param(
            "status",
            "query",
            {"type": "string", "enum": ["published", "cancelled", "draft", ""]},
            "Empty: published and cancelled; draft needs an organizer key.",
        ),
        param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size."),
        param("cursor", "query", {"type": "string"}, "next_cursor from the previous page."),
    ]
    return {
        "/events": {
            "get": {
                "summary": "List events in start order",
                "parameters": list_params,
                "responses": {
                    "200": {"description": "A page of events.", "content": json_ref("EventPage")},
                    "400": err("A bad query parameter or cursor."),
                    "401": unauthorized("status=draft without a valid organizer key."),
                },
            },
            "post": {
                "summary": "Create an event",
                "security": security(),
                "requestBody": {"required": True, "content": json_ref("EventInput")},
                "responses": {
                    "201": {"description": "Created.", "content": json_ref("EventRecord")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "413": err("Body over 64 KB."),
                    "415": err("Not JSON."),
                },
            },
        },
        "/events/calendar.ics": {
            "get": {
                "summary": "iCalendar feed of published and cancelled events",
                "parameters": [list_params[0]],
                "responses": {
                    "200": {
                        "description": "RFC 5545 calendar.",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    },
                    "400": err("Bad state."),
                },
            }
        },
        "/events/{event_id}.ics": {
            "get": {
                "summary": "One event as an iCalendar file (Add to calendar); the same VEVENT as the feeds",
                "parameters": [EVENT_ID],
                "responses": {
                    "200": {
                        "description": "RFC 5545 calendar with one event (a download).",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    },
                    "404": err("Unknown or draft."),
                },
            }
        },
        "/events/{event_id}": {
            "get": {
                "summary": "One event (drafts only with an organizer key)",
                "parameters": [EVENT_ID],
                "responses": {
                    "200": {"description": "The event.", "content": json_ref("EventRecord")},
                    "404": err("Unknown or draft."),
                },
            },
            "patch": {
                "summary": "Change an event (optimistic locking)",
                "security": security(),
                "parameters": [
                    EVENT_ID,
                    param("If-Match", "header", {"type": "string"}, "The version you read, instead of body.version."),
                ],
                "requestBody": {"required": True, "content": json_ref("EventPatch")},
                "responses": {
                    "200": {"description": "Updated.", "content": json_ref("EventRecord")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "404": err("Unknown event."),
                    "409": err("Stale version."),
                },
            },
            "delete": {
                "summary": "Delete an event",
                "security": security(),
                "parameters": [EVENT_ID, param("If-Match", "header", {"type": "string"}, "Optional version check.")],
                "responses": {
                    "204": {"description": "Deleted."},
                    "400": err("Malformed If-Match."),
                    "401": unauthorized(),
                    "404": err("Unknown event."),
                    "409": err("Stale version."),
                },
            },
        },
    }


def models() -> list[Any]:
    from chalicelib.events.models import EventInput, EventPatch
    from chalicelib.events.records import EventPage, EventRecord

    return [EventInput, EventPatch, EventRecord, EventPage]
