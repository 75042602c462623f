"""Server-rendered HTML pages (member links, and later the console): headers and rendering.

A GET only shows a page with a button; the button's POST does the work, because mail scanners
prefetch links in emails.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.templating import render

PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def wants_html(headers: Any) -> bool:
    return "text/html" in str(headers.get("accept") or "")


def page(template: str, /, *, status: int = 200, **context: Any) -> Response:
    return Response(
        body=render(template, **context), status_code=status, headers=dict[str, str | list[str]](PAGE_HEADERS)
    )
