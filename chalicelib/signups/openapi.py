"""OpenAPI paths and models of signups (the form, member links, organizer review)."""

from __future__ import annotations

from typing import Any

from chalicelib.signups.records import STATUSES
from chalicelib.web.openapi import GROUP_ID, HTML, err, json_ref, param, security, unauthorized

SIGNUP_ID = param("signup_id", "path", {"type": "string", "pattern": "^[a-f0-9]{1,64}$"}, "Signup id.", True)
TOKEN = param("token", "query", {"type": "string"}, "The token from the emailed link.", True)


def err_or_page(description: str) -> dict[str, Any]:
    """JSON for JSON clients; a page for a form post that does not ask for JSON (no JavaScript)."""
    return {"description": description + " A form post gets an HTML page.", "content": {**err("")["content"], **HTML}}


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
                "responses": {"200": {"description": "Page.", "content": HTML}, "400": err("Bad or expired token.")},
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
                    "400": err("Bad or expired token."),
                },
            },
        }
    action = {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": ["send_link", "leave"]},
            "token": {"type": "string", "description": "The token, if not in the query string."},
        },
    }
    status = {"schema": {"type": "object", "properties": {"status": {"type": "string"}}}}
    out["/signups/manage"] = {
        "get": {
            "summary": '"Manage my membership": where the person stands, her link, leaving, erasing (a page)',
            "description": "Every member email's footer links here with a signed token. Without a valid token the "
            "page says only that the link does not work.",
            "parameters": [TOKEN],
            "responses": {"200": {"description": "Page.", "content": HTML}, "400": err("Bad or expired token.")},
        },
        "post": {
            "summary": 'A choice on the "Manage my membership" page: email her link again, or leave the group',
            "parameters": [TOKEN],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": action},
                    "application/json": {"schema": action},
                },
            },
            "responses": {
                "200": {
                    "description": "The page again with a notice, or the goodbye page (HTML for browsers); JSON "
                    "otherwise: unsubscribed, or not_a_member (no link sent).",
                    "content": {"application/json": status, **HTML},
                },
                "202": {
                    "description": "JSON clients: link_sent (her link is on its way).",
                    "content": {"application/json": status},
                },
                "400": err("Bad or expired token, or no valid action."),
            },
        },
    }
    return out


def paths() -> dict[str, Any]:
    org = security()
    return {
        "/groups/{group_id}/resend": {
            "get": {
                "summary": 'The "send me the link again" page (HTML form, works without JavaScript)',
                "parameters": [GROUP_ID],
                "responses": {
                    "200": {"description": "An HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}},
                    "404": err("Unknown group."),
                },
            },
            "options": {
                "summary": "CORS preflight (website origins only)",
                "parameters": [GROUP_ID],
                "responses": {
                    "204": {"description": "CORS headers for allowed origins."},
                    "404": err("Not a group id."),
                },
            },
            "post": {
                "summary": "Send me the link again (JSON or a plain HTML form post)",
                "description": "An active member gets her personal link and the next meeting, someone still to "
                "confirm gets the confirmation again, someone waiting for approval hears it is on its way; "
                "nobody else gets anything. The answer is the same for every address.",
                "parameters": [GROUP_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ResendForm"}},
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/ResendForm"}},
                    },
                },
                "responses": {
                    "202": {"description": "Always the same answer.", "content": json_ref("SignupAccepted")},
                    "200": {
                        "description": 'Form post from a browser: the "check your email" page.',
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                    "303": {"description": "Form post with an allowed redirect."},
                    "400": {
                        "description": "Invalid fields (a form post gets the form again, the error by its field).",
                        "content": {**json_ref("Error"), "text/html": {"schema": {"type": "string"}}},
                    },
                    "404": err("Unknown group."),
                    "413": err("Body over 64 KB."),
                    "415": err("Unsupported content type."),
                    "429": {
                        "description": "Too many requests from this network; see Retry-After (a form post: a page).",
                        "content": {**json_ref("Error"), "text/html": {"schema": {"type": "string"}}},
                    },
                },
            },
        },
        "/groups/{group_id}/signups": {
            "options": {
                "summary": "CORS preflight (website origins only)",
                "parameters": [GROUP_ID],
                "responses": {
                    "204": {"description": "CORS headers for allowed origins."},
                    "404": err("Not a group id."),
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
                    "202": {"description": "Always the same answer.", "content": json_ref("SignupAccepted")},
                    "303": {
                        "description": "Form post: to its redirect (an allowed website page) or our thank-you page."
                    },
                    "400": err_or_page("Invalid fields."),
                    "404": err_or_page("Unknown group."),
                    "409": err_or_page("Group paused."),
                    "413": err_or_page("Body over 64 KB."),
                    "415": err_or_page("Unsupported content type."),
                    "429": err_or_page("Too many signups from this network; see Retry-After."),
                    "503": err_or_page("Briefly unavailable; try again."),
                },
            },
            "get": {
                "summary": "List signups (organizers)",
                "security": org,
                "parameters": [
                    GROUP_ID,
                    param("status", "query", {"type": "string", "enum": list(STATUSES)}, "Filter by status."),
                    param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200}, "Page size."),
                    param("cursor", "query", {"type": "string"}, "From the previous page."),
                ],
                "responses": {
                    "200": {"description": "A page.", "content": json_ref("SignupPage")},
                    "400": err("Bad parameter."),
                    "401": unauthorized(),
                    "404": err("Unknown group."),
                },
            },
        },
        "/groups/{group_id}/signups.csv": {
            "get": {
                "summary": "Export signups as CSV (formula-safe)",
                "security": org,
                "parameters": [GROUP_ID, param("status", "query", {"type": "string", "enum": list(STATUSES)}, "")],
                "responses": {
                    "200": {"description": "CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "400": err("Bad parameter."),
                    "401": unauthorized(),
                    "404": err("Unknown group."),
                },
            }
        },
        **{
            f"/groups/{{group_id}}/signups/{{signup_id}}/{action}": {
                "post": {
                    "summary": "Approve a signup"
                    if action == "approve"
                    else "Decline a signup (sends the decline message)",
                    "security": org,
                    "parameters": [GROUP_ID, SIGNUP_ID],
                    **(
                        {"requestBody": {"required": False, "content": json_ref("DeclineInput")}}
                        if action == "reject"
                        else {}
                    ),
                    "responses": {
                        "200": {"description": "The signup.", "content": json_ref("PublicSignup")},
                        "400": err("Invalid fields."),
                        "401": unauthorized(),
                        "403": err("The key does not cover this group."),
                        "404": err("Unknown."),
                        "409": err("Not in a state that allows this."),
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
                    "401": unauthorized(),
                    "404": err("Unknown."),
                },
            }
        },
        **_member_paths(),
    }


def models() -> list[Any]:
    from chalicelib.signups.models import DeclineInput, ResendForm, SignupAccepted, SignupForm
    from chalicelib.signups.records import PublicSignup, SignupPage

    return [SignupForm, ResendForm, SignupAccepted, PublicSignup, SignupPage, DeclineInput]
