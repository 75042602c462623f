"""OpenAPI 3.1 document generated from the pydantic models, so the published
schema and the validation that runs are the same thing."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from chalicelib.models.groups import SLUG_PATTERN

_REF = "#/components/schemas/{model}"


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    }


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json("Error")}


def _unauthorized(description: str = "Missing or bad key.") -> dict[str, Any]:
    """The gateway answers a request without an Authorization header itself, with {"message": ...}."""
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/Error"},
                        {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
                    ]
                }
            }
        },
    }


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


def _security() -> list[dict[str, list[str]]]:
    return [{"organizerKey": []}]


EVENT_ID = _param("event_id", "path", {"type": "string", "pattern": "^[A-Za-z0-9]{1,64}$"}, "Event id.", True)


def _paths() -> dict[str, Any]:
    list_params = [
        _param("state", "query", {"type": "string", "pattern": "^([Ii][Dd]|[Mm][Tt])?$"}, "ID or MT; omit for both."),
        _param(
            "from", "query", {"type": "string"}, "Date (whole day, Mountain time) or ISO 8601 date-time; default now."
        ),
        _param("to", "query", {"type": "string"}, "Date (inclusive) or ISO 8601 date-time."),
        _param("format", "query", {"type": "string", "enum": ["in_person", "virtual", "hybrid", ""]}, "Empty: any."),
        _param(
            "status",
            "query",
            {"type": "string", "enum": ["published", "cancelled", "draft", ""]},
            "Empty: published and cancelled; draft needs an organizer key.",
        ),
        _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size."),
        _param("cursor", "query", {"type": "string"}, "next_cursor from the previous page."),
    ]
    return {
        "/events": {
            "get": {
                "summary": "List events in start order",
                "parameters": list_params,
                "responses": {
                    "200": {"description": "A page of events.", "content": _json("EventList")},
                    "400": _err("A bad query parameter or cursor."),
                    "401": _unauthorized("status=draft without a valid organizer key."),
                },
            },
            "post": {
                "summary": "Create an event",
                "security": _security(),
                "requestBody": {"required": True, "content": _json("EventInput")},
                "responses": {
                    "201": {"description": "Created.", "content": _json("Event")},
                    "400": _err("Invalid fields."),
                    "401": _unauthorized(),
                    "413": _err("Body over 64 KB."),
                    "415": _err("Not JSON."),
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
                    "400": _err("Bad state."),
                },
            }
        },
        "/events/{event_id}": {
            "get": {
                "summary": "One event (drafts only with an organizer key)",
                "parameters": [EVENT_ID],
                "responses": {
                    "200": {"description": "The event.", "content": _json("Event")},
                    "404": _err("Unknown or draft."),
                },
            },
            "patch": {
                "summary": "Change an event (optimistic locking)",
                "security": _security(),
                "parameters": [
                    EVENT_ID,
                    _param("If-Match", "header", {"type": "string"}, "The version you read, instead of body.version."),
                ],
                "requestBody": {"required": True, "content": _json("EventPatch")},
                "responses": {
                    "200": {"description": "Updated.", "content": _json("Event")},
                    "400": _err("Invalid fields."),
                    "401": _unauthorized(),
                    "404": _err("Unknown event."),
                    "409": _err("Stale version."),
                },
            },
            "delete": {
                "summary": "Delete an event",
                "security": _security(),
                "parameters": [EVENT_ID, _param("If-Match", "header", {"type": "string"}, "Optional version check.")],
                "responses": {
                    "204": {"description": "Deleted."},
                    "400": _err("Malformed If-Match."),
                    "401": _unauthorized(),
                    "404": _err("Unknown event."),
                    "409": _err("Stale version."),
                },
            },
        },
    }


GROUP_ID = _param(
    "group_id", "path", {"type": "string", "pattern": SLUG_PATTERN, "minLength": 3, "maxLength": 64}, "Group id.", True
)
SIGNUP_ID = _param("signup_id", "path", {"type": "string", "pattern": "^[a-f0-9]{1,64}$"}, "Signup id.", True)
TOKEN = _param("token", "query", {"type": "string"}, "The token from the emailed link.", True)
HTML = {"text/html": {"schema": {"type": "string"}}}


def _member_paths() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for purpose, summary in (
        ("confirm", "Confirm an email address"),
        ("unsubscribe", "Unsubscribe (RFC 8058 one-click POST)"),
        ("erase", "Erase every row about the person"),
    ):
        out[f"/signups/{purpose}"] = {
            "get": {
                "summary": f"{summary}: a page with a button (changes nothing)",
                "parameters": [TOKEN],
                "responses": {"200": {"description": "Page.", "content": HTML}, "400": _err("Bad or expired token.")},
            },
            "post": {
                "summary": summary,
                "parameters": [TOKEN],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}},
                    },
                },
                "responses": {
                    "200": {
                        "description": "Done (HTML for browsers, JSON otherwise).",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"status": {"type": "string"}}}
                            },
                            **HTML,
                        },
                    },
                    "400": _err("Bad or expired token."),
                },
            },
        }
    return out


def _group_paths() -> dict[str, Any]:
    org = _security()
    return {
        "/groups": {
            "post": {
                "summary": "Create a group",
                "security": org,
                "requestBody": {"required": True, "content": _json("GroupInput")},
                "responses": {
                    "201": {"description": "Created.", "content": _json("GroupSettings")},
                    "400": _err("Invalid fields."),
                    "401": _unauthorized(),
                    "409": _err("Id taken."),
                },
            }
        },
        "/groups/{group_id}": {
            "get": {
                "summary": "Public view of a group (never the Zoom link)",
                "parameters": [GROUP_ID],
                "responses": {
                    "200": {"description": "Group.", "content": _json("PublicGroup")},
                    "404": _err("Unknown."),
                },
            }
        },
        "/groups/{group_id}/settings": {
            "get": {
                "summary": "All settings, secrets included",
                "security": org,
                "parameters": [GROUP_ID],
                "responses": {
                    "200": {"description": "Settings.", "content": _json("GroupSettings")},
                    "401": _unauthorized(),
                    "404": _err("Unknown."),
                },
            },
            "patch": {
                "summary": "Change settings (optimistic locking)",
                "security": org,
                "parameters": [GROUP_ID, _param("If-Match", "header", {"type": "string"}, "Version read.")],
                "requestBody": {"required": True, "content": _json("GroupSettingsPatch")},
                "responses": {
                    "200": {"description": "Updated.", "content": _json("GroupSettings")},
                    "400": _err("Invalid fields."),
                    "401": _unauthorized(),
                    "404": _err("Unknown."),
                    "409": _err("Stale version."),
                },
            },
        },
        "/groups/{group_id}/signups": {
            "options": {
                "summary": "CORS preflight (website origins only)",
                "parameters": [GROUP_ID],
                "responses": {
                    "204": {"description": "CORS headers for allowed origins."},
                    "404": _err("Not a group id."),
                },
            },
            "post": {
                "summary": "Sign up (JSON or a plain HTML form post)",
                "parameters": [GROUP_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/SignupForm"}},
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/SignupForm"}},
                    },
                },
                "responses": {
                    "202": {"description": "Always the same answer.", "content": _json("SignupAccepted")},
                    "303": {"description": "Form post with an allowed redirect."},
                    "400": _err("Invalid fields."),
                    "404": _err("Unknown group."),
                    "409": _err("Group paused."),
                    "413": _err("Body over 64 KB."),
                    "415": _err("Unsupported content type."),
                    "429": _err("Too many signups from this network; see Retry-After."),
                    "503": _err("Email could not be sent; try again."),
                },
            },
            "get": {
                "summary": "List signups (organizers)",
                "security": org,
                "parameters": [
                    GROUP_ID,
                    _param("status", "query", {"type": "string", "enum": list(_STATUSES)}, "Filter by status."),
                    _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200}, "Page size."),
                    _param("cursor", "query", {"type": "string"}, "From the previous page."),
                ],
                "responses": {
                    "200": {"description": "A page.", "content": _json("SignupList")},
                    "400": _err("Bad parameter."),
                    "401": _unauthorized(),
                    "404": _err("Unknown group."),
                },
            },
        },
        "/groups/{group_id}/signups.csv": {
            "get": {
                "summary": "Export signups as CSV (formula-safe)",
                "security": org,
                "parameters": [GROUP_ID, _param("status", "query", {"type": "string", "enum": list(_STATUSES)}, "")],
                "responses": {
                    "200": {"description": "CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "400": _err("Bad parameter."),
                    "401": _unauthorized(),
                    "404": _err("Unknown group."),
                },
            }
        },
        **{
            f"/groups/{{group_id}}/signups/{{signup_id}}/{action}": {
                "post": {
                    "summary": f"{action.capitalize()} a signup",
                    "security": org,
                    "parameters": [GROUP_ID, SIGNUP_ID],
                    "responses": {
                        "200": {"description": "The signup.", "content": _json("Signup")},
                        "401": _unauthorized(),
                        "404": _err("Unknown."),
                        "409": _err("Not in a state that allows this."),
                    },
                }
            }
            for action in ("approve", "reject")
        },
        "/groups/{group_id}/signups/{signup_id}": {
            "delete": {
                "summary": "Erase a person's data",
                "security": org,
                "parameters": [GROUP_ID, SIGNUP_ID],
                "responses": {
                    "204": {"description": "Erased."},
                    "401": _unauthorized(),
                    "404": _err("Unknown."),
                },
            }
        },
    }


DATE = _param("date", "path", {"type": "string", "format": "date"}, "The meeting's scheduled local date.", True)


def _meeting_paths() -> dict[str, Any]:
    org = _security()
    return {
        "/groups/{group_id}/meetings": {
            "get": {
                "summary": "Upcoming meetings (never the link)",
                "parameters": [
                    GROUP_ID,
                    _param(
                        "count", "query", {"type": "integer", "minimum": 1, "maximum": 24, "default": 6}, "How many."
                    ),
                ],
                "responses": {
                    "200": {"description": "Meetings.", "content": _json("MeetingList")},
                    "400": _err("Bad count."),
                    "404": _err("Unknown group."),
                },
            }
        },
        "/groups/{group_id}/meetings.ics": {
            "get": {
                "summary": "The group's meetings as a calendar feed (no link)",
                "parameters": [GROUP_ID],
                "responses": {
                    "200": {"description": "RFC 5545.", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                    "404": _err("Unknown group."),
                },
            }
        },
        "/groups/{group_id}/meetings/{date}": {
            "put": {
                "summary": "Cancel, move or annotate one meeting",
                "security": org,
                "parameters": [GROUP_ID, DATE],
                "requestBody": {"required": True, "content": _json("MeetingOverrideInput")},
                "responses": {
                    "200": {"description": "The meeting.", "content": _json("Meeting")},
                    "400": _err("Invalid fields."),
                    "401": _unauthorized(),
                    "404": _err("No meeting on that date."),
                },
            },
            "delete": {
                "summary": "Remove the override",
                "security": org,
                "parameters": [GROUP_ID, DATE],
                "responses": {
                    "204": {"description": "Removed."},
                    "401": _unauthorized(),
                    "404": _err("No override."),
                },
            },
        },
        "/groups/{group_id}/meetings/{date}/deliveries": {
            "get": {
                "summary": "Who got the link: counts and a per-member list",
                "security": org,
                "parameters": [
                    GROUP_ID,
                    DATE,
                    _param("email", "query", {"type": "string", "format": "email"}, "Only this member."),
                    _param(
                        "status", "query", {"type": "string", "enum": ["sent", "failed", "pending", "suppressed"]}, ""
                    ),
                ],
                "responses": {
                    "200": {"description": "Report.", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "400": _err("Bad parameter."),
                    "401": _unauthorized(),
                    "404": _err("Unknown group or meeting."),
                },
            }
        },
    }


_STATUSES = ("pending_confirmation", "pending_approval", "active", "unsubscribed", "rejected", "bounced")


def _models() -> list[type[BaseModel]]:
    from chalicelib.models.events import Event, EventInput, EventList, EventPatch
    from chalicelib.models.groups import (
        GroupInput,
        GroupSettings,
        GroupSettingsPatch,
        Meeting,
        MeetingList,
        MeetingOverrideInput,
        PublicGroup,
    )
    from chalicelib.models.signups import Signup, SignupAccepted, SignupForm, SignupList

    return [
        EventInput, EventPatch, Event, EventList, GroupInput, GroupSettings, GroupSettingsPatch, PublicGroup,
        SignupForm, SignupAccepted, Signup, SignupList, MeetingOverrideInput, Meeting, MeetingList,
    ]  # fmt: skip


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    _, defs = models_json_schema([(m, "validation") for m in _models()], ref_template=_REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Error"] = _error_schema()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mbc-connect API",
            "version": "1.0.0",
            "description": "Events and Connection Group signups for people living with metastatic breast cancer "
            "in Idaho and Montana. Errors are always {error: {code, message, fields}}.",
        },
        "paths": {**_paths(), **_group_paths(), **_meeting_paths(), **_member_paths()},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "organizerKey": {"type": "http", "scheme": "bearer", "description": "Organizer API key."}
            },
        },
    }
