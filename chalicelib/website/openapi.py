"""OpenAPI paths and models of the website feature."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import err, json_ref, security, unauthorized


def paths() -> dict[str, Any]:
    org = security()
    return {
        "/site/origins": {
            "get": {
                "summary": "The website origins allowed to use the API (admins)",
                "security": org,
                "responses": {
                    "200": {"description": "Stored and deploy-time origins.", "content": json_ref("SiteOrigins")},
                    "401": unauthorized(),
                },
            },
            "put": {
                "summary": "Replace the stored website origins (admins; optimistic locking)",
                "security": org,
                "requestBody": {"required": True, "content": json_ref("SiteOriginsInput")},
                "responses": {
                    "200": {"description": "Replaced.", "content": json_ref("SiteOrigins")},
                    "400": err("Invalid origins (each named) or version."),
                    "401": unauthorized(),
                    "409": err("Stale version."),
                },
            },
        },
    }


def models() -> list[Any]:
    from chalicelib.website.models import SiteOriginsInput
    from chalicelib.website.records import SiteOrigins

    return [SiteOriginsInput, SiteOrigins]
