"""OpenAPI paths of personal links."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import GROUP_ID, HTML, err, param, security, unauthorized

TOKEN = param("token", "path", {"type": "string"}, "The member's personal link token.", True)
SIGNUP_ID = param("signup_id", "path", {"type": "string", "pattern": "^[a-f0-9]{1,64}$"}, "Signup id.", True)


def paths() -> dict[str, Any]:
    page = {"description": "A page.", "content": HTML}
    return {
        "/j/{token}": {
            "get": {
                "summary": "A member's personal link: the meeting room from shortly before a meeting until its "
                "end, a waiting page otherwise",
                "parameters": [TOKEN],
                "responses": {
                    "303": {"description": "To the group's current Zoom room (no-store, no-referrer)."},
                    "200": page,
                    "204": {"description": "The warm-up call (`_warm`)."},
                    "404": {"description": "Unknown or revoked link: the same kind page for both.", "content": HTML},
                    "429": {"description": "Opened too often in the last minute.", "content": HTML},
                },
            }
        },
        "/j/{token}/meeting.ics": {
            "get": {
                "summary": "The next meeting as a calendar entry carrying the personal link",
                "parameters": [TOKEN],
                "responses": {
                    "200": {
                        "description": "RFC 5545.",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    },
                    "404": {"description": "Unknown or revoked link.", "content": HTML},
                    "429": {"description": "Opened too often in the last minute.", "content": HTML},
                },
            }
        },
        "/j/{token}/zone": {
            "post": {
                "summary": "The member says which time she lives on, from her link's page (a form post)",
                "parameters": [TOKEN],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "timezone": {
                                        "type": "string",
                                        "enum": ["America/Denver", "America/Los_Angeles", ""],
                                        "description": "Mountain, Pacific, or empty for 'not sure' (her "
                                        "state decides: Mountain for Montana, both zones for Idaho).",
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "303": {"description": "Saved: back to her link's page (`?zone=saved`), which speaks it."},
                    "400": {"description": "Not one of the times offered, or not a readable form.", "content": HTML},
                    "404": {"description": "Unknown or revoked link.", "content": HTML},
                    "413": {"description": "Form over 64 KB.", "content": HTML},
                    "415": {"description": "Not a form post.", "content": HTML},
                },
            }
        },
        "/groups/{group_id}/signups/{signup_id}/join-link": {
            "post": {
                "summary": "Revoke a member's personal link at once and email them a new one",
                "security": security(),
                "parameters": [GROUP_ID, SIGNUP_ID],
                "responses": {
                    "200": {
                        "description": "Replaced.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": unauthorized(),
                    "404": err("Unknown signup."),
                    "409": err("Not an active member."),
                },
            }
        },
    }


def models() -> list[Any]:
    return []
