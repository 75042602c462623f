"""CORS for the website's own origins only; anything else gets no Allow-Origin."""

from __future__ import annotations

from typing import Any

# Public routes that answer a browser's form post (no JavaScript) with a page or a redirect.
PAGE_FORM_ROUTES = frozenset({"/groups/{group_id}/signups", "/groups/{group_id}/resend"})


def cors_headers(origin: str | None, allowed: tuple[str, ...], *, preflight: bool = False) -> dict[str, str]:
    headers = {"Vary": "Origin"}
    if origin and origin.rstrip("/").lower() in {o.lower() for o in allowed}:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "Retry-After, Location"
        if preflight:
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Content-Type"
            headers["Access-Control-Max-Age"] = "600"
    return headers


def is_page_form_post(request: Any) -> bool:
    """A no-JavaScript form post to a public page-answering route: a form navigation is not a CORS
    request (the browser shows the answer; no script reads it), so it gets no CORS headers and costs
    no read of the stored origins."""
    if request.method != "POST" or request.path not in PAGE_FORM_ROUTES:
        return False
    from chalicelib.website.pages import is_browser_form_post

    return is_browser_form_post(request.headers)
