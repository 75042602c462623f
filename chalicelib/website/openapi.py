"""OpenAPI paths and models of the website feature."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi import GROUP_ID, HTML, err, json_ref, param, security, unauthorized
from chalicelib.website.assets import VERSION_PATTERN
from chalicelib.website.theme import PATTERNS, THEME_PARAMS

VERSION = param("version", "path", {"type": "string", "pattern": VERSION_PATTERN}, "The widget version.", True)
SCRIPT = {"text/javascript": {"schema": {"type": "string"}}}
STYLES = {"text/css": {"schema": {"type": "string"}}}


def page(description: str) -> dict[str, Any]:
    return {"description": description, "content": HTML}


def theme_params(*, strict: bool) -> list[dict[str, Any]]:
    """The theme's query parameters; ``strict``: a bad value is a 400 page (else it is ignored)."""
    out = []
    for name, (prop, kind) in THEME_PARAMS.items():
        schema: dict[str, Any] = {"type": "string", "pattern": PATTERNS[kind]} if strict else {"type": "string"}
        out.append(param(name, "query", schema, f"Theme: {prop} ({kind})."))
    return out


def embed_params() -> list[dict[str, Any]]:
    return [
        GROUP_ID,
        param(
            "show",
            "query",
            {"type": "string", "pattern": "^((signup|events)(,(signup|events))*)?$"},
            "What to show; default (or empty) signup,events.",
        ),
        param("state", "query", {"type": "string", "pattern": "^([Ii][Dd]|[Mm][Tt])?$"}, "Events in ID or MT only."),
        param("events", "query", {"type": "integer", "minimum": 1, "maximum": 20}, "Events per page (default 5)."),
        param("cursor", "query", {"type": "string", "maxLength": 2000}, "The next page of events (from its link)."),
        param("event", "query", {"type": "string", "pattern": "^[A-Za-z0-9]{0,64}$"}, "Open this event's details."),
        *theme_params(strict=True),
    ]


def _asset(summary: str, content: dict[str, Any], versioned: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": summary, "content": content},
        "304": {"description": "Not modified (If-None-Match)."},
    }
    if versioned:
        responses["302"] = {"description": "An older version: redirects to the current one."}
        responses["404"] = err("Not a version.")
    return {"get": {"summary": summary, "parameters": [VERSION] if versioned else [], "responses": responses}}


def paths() -> dict[str, Any]:
    org = security()
    form_failures = {
        "400": page("Fields refused: the form again with each error (or a page naming them)."),
        "404": page("Unknown group."),
        "409": page("The group is not taking signups."),
        "413": page("Form over 64 KB."),
        "415": page("Not a form post."),
        "429": page("Too many signups from this network; see Retry-After."),
        "503": page("Briefly unavailable; see Retry-After."),
    }
    return {
        "/widgets/mbc-connect.js": _asset("The widget script (short cache; the one-tag paste)", SCRIPT, False),
        "/widgets/mbc-connect.css": _asset("The widget styles (short cache)", STYLES, False),
        "/widgets/{version}/mbc-connect.js": _asset("The widget script of one version (cached a year)", SCRIPT, True),
        "/widgets/{version}/mbc-connect.css": _asset("The widget styles of one version (cached a year)", STYLES, True),
        "/embed/{group_id}": {
            "get": {
                "summary": "The embed page for iframes: signup form and events, themed (no JavaScript needed)",
                "parameters": embed_params(),
                "responses": {
                    "200": page("The page; frame-ancestors lists the allowed website origins."),
                    "400": page("A bad parameter (each named)."),
                    "404": page("Unknown group."),
                },
            },
            "post": {
                "summary": "The embed page's signup form post (outcomes are pages in the frame)",
                "parameters": embed_params(),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/SignupForm"}}
                    },
                },
                "responses": {
                    "303": {"description": "Signed up: to the thank-you page."},
                    **form_failures,
                    "415": {
                        "description": "Not a form post (a page; JSON bodies are refused in the error shape).",
                        "content": {**err("")["content"], **HTML},
                    },
                },
            },
        },
        "/embed/{group_id}/thanks": {
            "get": {
                "summary": "Thank-you page after a signup (check your email)",
                "parameters": [
                    GROUP_ID,
                    param("back", "query", {"type": "string"}, "A page of an allowed website to link back to."),
                    *theme_params(strict=False),
                ],
                "responses": {"200": page("The page."), "404": page("Unknown group.")},
            }
        },
        "/favicon.ico": {
            "get": {
                "summary": "No icon on the API origin: 404, no body (a browser asks for it by itself)",
                "responses": {"404": {"description": "Nothing here (cached a day)."}},
            }
        },
        "/site/allowed": {
            "get": {
                "summary": "Is the asking website allowed? (yes or no for its own Origin; any origin may ask)",
                "responses": {
                    "200": {
                        "description": "Whether the request's Origin is allowed (cached a minute).",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"allowed": {"type": "boolean"}},
                                    "required": ["allowed"],
                                }
                            }
                        },
                    }
                },
            }
        },
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
