"""OpenAPI paths of the distribution (the deliveries report)."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import DATE, GROUP_ID, err, param, security, unauthorized


def paths() -> dict[str, Any]:
    org = security()
    return {
        **_requeue(),
        "/groups/{group_id}/meetings/{date}/deliveries": {
            "get": {
                "summary": "Who got the link: counts and a per-member list",
                "security": org,
                "parameters": [
                    GROUP_ID,
                    DATE,
                    param("email", "query", {"type": "string", "format": "email"}, "Only this member."),
                    param(
                        "status", "query", {"type": "string", "enum": ["sent", "failed", "pending", "suppressed"]}, ""
                    ),
                ],
                "responses": {
                    "200": {"description": "Report.", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "400": err("Bad parameter."),
                    "401": unauthorized(),
                    "404": err("Unknown group or meeting."),
                },
            }
        },
    }


def _requeue() -> dict[str, Any]:
    return {
        "/groups/{group_id}/meetings/{date}/deliveries/requeue": {
            "post": {
                "summary": "Send the meeting's failed deliveries again with the next run",
                "security": security(),
                "parameters": [GROUP_ID, DATE],
                "responses": {
                    "200": {
                        "description": "How many were requeued.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["requeued"],
                                    "properties": {"requeued": {"type": "integer"}},
                                }
                            }
                        },
                    },
                    "401": unauthorized(),
                    "404": err("Unknown group or meeting."),
                },
            }
        }
    }


def models() -> list[Any]:
    return []
