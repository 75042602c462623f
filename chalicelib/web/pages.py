"""Server-rendered HTML pages (member links, and later the console): headers and rendering.

A GET only shows a page with a button; the button's POST does the work, because mail scanners
prefetch links in emails.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.templating import public_page, render

if TYPE_CHECKING:
    from chalicelib.organization import Organization

# The pages' one stylesheet, inlined in <style> and allowed by its hash: a strict policy with no
# 'unsafe-inline' and no inline style attributes.
CSS_PATH = Path(__file__).resolve().parent.parent / "templates" / "pages" / "page.css"


@functools.cache
def _css() -> tuple[str, str]:
    text = CSS_PATH.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"'sha256-{digest}'"


@functools.cache
def _constant() -> dict[str, Any]:
    from markupsafe import Markup

    return {"page_css": Markup(_css()[0])}  # noqa: S704 (our own file)


def page_headers(*, image_origin: str | None = None) -> dict[str, str]:
    """``image_origin``: where the organization's logo lives (the only image a page may load)."""
    images = f"; img-src {image_origin}" if image_origin else ""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {_css()[1]}{images}; form-action 'self'; frame-ancestors 'none'"
        ),
    }


def wants_html(headers: Any) -> bool:
    return "text/html" in str(headers.get("accept") or "")


def page(
    template: str, /, *, status: int = 200, org: Organization | None = None, public: bool = False, **context: Any
) -> Response:
    """``org``: the organization the page is titled and signed with (default: the serving
    container's settings). ``public``: nothing in ``context`` is personal, so the page may be kept
    and served again for the same context (``templating.render_public``)."""
    if org is None:
        from chalicelib import container
        from chalicelib.organization import organization

        org = organization(container.current().settings)
    page_org = org

    def make() -> tuple[str, dict[str, str]]:
        body = render(template, **_constant(), org=page_org, **context)
        return body, page_headers(image_origin=page_org.logo_origin)

    body, headers = public_page((template, context), make, org=org) if public else make()
    return Response(body=body, status_code=status, headers=dict[str, str | list[str]](headers))
