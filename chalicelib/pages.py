"""Small HTML pages for links members open from email (confirm, unsubscribe, erase).

A GET only shows a page with a button; the button's POST does the work, because
mail scanners prefetch links in emails.
"""

from __future__ import annotations

from typing import Any

from chalicelib.mail.message import render

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
    accept = str(headers.get("accept") or "")
    return "text/html" in accept


def message_page(title: str, message: str, detail: str | None = None) -> str:
    return render("pages/message.html", title=title, message=message, detail=detail)


def action_page(title: str, message: str, action_url: str, button: str) -> str:
    return render("pages/action.html", title=title, message=message, action_url=action_url, button=button)


TOKEN_PROBLEMS = {
    "expired": (
        "This link has expired",
        "For your safety these links only work for a limited time. Please sign up again.",
    ),
    "invalid": ("This link is not valid", "Please use the most recent link we emailed you, copied in full."),
    "gone": (
        "This link is no longer active",
        "The signup it belongs to was replaced, expired or erased. You can sign up again.",
    ),
}
