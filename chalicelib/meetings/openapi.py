"""OpenAPI paths and models of meetings."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import DATE, GROUP_ID, err, json_ref, param, security, unauthorized


def paths() -> dict[str, Any]:
    org = security()
    return {
        "/groups/{group_id}/meetings": {
            "get": {
                "summary": "Upcoming meetings (never the link)",
                "parameters": [
                    GROUP_ID,
                    param(
                        "count", "query", {"type": "integer", "minimum": 1, "maximum": 24, "default": 6}, "How many."
                    ),
                ],
                "responses": {
                    "200": {"description": "Meetings.", "content": json_ref("MeetingList")},
                    "400": err("Bad count."),
                    "404": err("Unknown group."),
                },
            }
        },
        "/groups/{group_id}/meetings.ics": {
            "get": {
                "summary": "The group's meetings as a calendar feed (no link)",
                "parameters": [GROUP_ID],
                "responses": {
                    "200": {"description": "RFC 5545.", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                    "404": err("Unknown group."),
                },
            }
        },
        "/groups/{group_id}/meetings/{date}": {
            "put": {
                "summary": "Cancel, move or annotate one meeting",
                "security": org,
                "parameters": [GROUP_ID, DATE],
                "requestBody": {"required": True, "content": json_ref("MeetingOverrideInput")},
                "responses": {
                    "200": {"description": "The meeting.", "content": json_ref("Meeting")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "404": err("No meeting on that date."),
                },
            },
            "delete": {
                "summary": "Remove the override",
                "security": org,
                "parameters": [GROUP_ID, DATE],
                "responses": {
                    "204": {"description": "Removed."},
                    "401": unauthorized(),
                    "404": err("No override."),
                },
            },
        },
    }


def models() -> list[Any]:
    from chalicelib.meetings.models import Meeting, MeetingList, MeetingOverrideInput

    return [MeetingOverrideInput, Meeting, MeetingList]
