"""OpenAPI paths and models of announcements."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import GROUP_ID, err, json_ref, param, security, unauthorized

ANNOUNCEMENT_ID = param("announcement_id", "path", {"type": "string"}, "The announcement's id.", True)


def paths() -> dict[str, Any]:
    org = security()
    base = "/groups/{group_id}/announcements"
    return {
        base: {
            "post": {
                "summary": "Draft an announcement to every active member (a preview goes to you)",
                "security": org,
                "parameters": [GROUP_ID],
                "requestBody": {"required": True, "content": json_ref("AnnouncementInput")},
                "responses": {
                    "201": {"description": "The draft, with `audience`.", "content": json_ref("Announcement")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "404": err("Unknown group."),
                },
            },
            "get": {
                "summary": "Announcements, newest first",
                "security": org,
                "parameters": [
                    GROUP_ID,
                    param(
                        "limit", "query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size."
                    ),
                    param("cursor", "query", {"type": "string"}, "next_cursor of the previous page."),
                ],
                "responses": {
                    "200": {"description": "A page.", "content": json_ref("AnnouncementList")},
                    "400": err("Bad limit or cursor."),
                    "401": unauthorized(),
                    "404": err("Unknown group."),
                },
            },
        },
        base + "/{announcement_id}": {
            "get": {
                "summary": "One announcement, with its counts once sending",
                "security": org,
                "parameters": [GROUP_ID, ANNOUNCEMENT_ID],
                "responses": {
                    "200": {"description": "The announcement.", "content": json_ref("Announcement")},
                    "401": unauthorized(),
                    "404": err("Unknown group or announcement."),
                },
            },
            "patch": {
                "summary": "Change a draft (another preview goes to you)",
                "security": org,
                "parameters": [GROUP_ID, ANNOUNCEMENT_ID],
                "requestBody": {"required": True, "content": json_ref("AnnouncementEdit")},
                "responses": {
                    "200": {"description": "The draft.", "content": json_ref("Announcement")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "404": err("Unknown group or announcement."),
                    "409": err("Already sent, or the version is not the current one."),
                },
            },
            "delete": {
                "summary": "Discard a draft",
                "security": org,
                "parameters": [
                    GROUP_ID,
                    ANNOUNCEMENT_ID,
                    param("version", "query", {"type": "integer", "minimum": 1}, "The version you saw.", True),
                ],
                "responses": {
                    "204": {"description": "Discarded."},
                    "400": err("Missing version."),
                    "401": unauthorized(),
                    "404": err("Unknown group or announcement."),
                    "409": err("Already sent, or the version is not the current one."),
                },
            },
        },
        base + "/{announcement_id}/send": {
            "post": {
                "summary": "Send the previewed draft to every active member, once each",
                "security": org,
                "parameters": [GROUP_ID, ANNOUNCEMENT_ID],
                "requestBody": {"required": True, "content": json_ref("AnnouncementSend")},
                "responses": {
                    "202": {"description": "Sending, with counts.", "content": json_ref("Announcement")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "404": err("Unknown group or announcement."),
                    "409": err("Already sent, the version is not the current one, or no active members."),
                },
            }
        },
    }


def models() -> list[Any]:
    from chalicelib.announcements.models import (
        Announcement,
        AnnouncementEdit,
        AnnouncementInput,
        AnnouncementList,
        AnnouncementSend,
    )

    return [AnnouncementInput, AnnouncementEdit, AnnouncementSend, Announcement, AnnouncementList]
