"""OpenAPI paths and models of groups."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import GROUP_ID, err, json_ref, param, security, unauthorized


def paths() -> dict[str, Any]:
    org = security()
    return {
        "/groups": {
            "post": {
                "summary": "Create a group",
                "security": org,
                "requestBody": {"required": True, "content": json_ref("GroupInput")},
                "responses": {
                    "201": {"description": "Created.", "content": json_ref("GroupSettings")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "409": err("Id taken."),
                },
            }
        },
        "/groups/{group_id}": {
            "get": {
                "summary": "Public view of a group (never the Zoom link)",
                "parameters": [GROUP_ID],
                "responses": {
                    "200": {"description": "Group.", "content": json_ref("PublicGroup")},
                    "404": err("Unknown."),
                },
            }
        },
        "/groups/{group_id}/settings": {
            "get": {
                "summary": "All settings, secrets included",
                "security": org,
                "parameters": [GROUP_ID],
                "responses": {
                    "200": {"description": "Settings.", "content": json_ref("GroupSettings")},
                    "401": unauthorized(),
                    "404": err("Unknown."),
                },
            },
            "patch": {
                "summary": "Change settings (optimistic locking)",
                "security": org,
                "parameters": [GROUP_ID, param("If-Match", "header", {"type": "string"}, "Version read.")],
                "requestBody": {"required": True, "content": json_ref("GroupSettingsPatch")},
                "responses": {
                    "200": {"description": "Updated.", "content": json_ref("GroupSettings")},
                    "400": err("Invalid fields."),
                    "401": unauthorized(),
                    "404": err("Unknown."),
                    "409": err("Stale version."),
                },
            },
        },
    }


def models() -> list[Any]:
    from chalicelib.groups.models import GroupInput, GroupSettings, GroupSettingsPatch, PublicGroup

    return [GroupInput, GroupSettings, GroupSettingsPatch, PublicGroup]
