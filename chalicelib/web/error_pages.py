"""The HTML surfaces' failures as pages: the organizer console (/console) and personal links (/j/)
are read in a browser, so a failure there (a storage outage's 503, a form that cannot be read, an
unexpected 500) answers a page with that surface's own security headers (CSP, no-store, no
framing), never the API's JSON error. Used by app.py's error middleware, on errors only; the console
renders its own refusals itself (console/views.py ``handle``), this is the net under it."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import container


def is_html_surface(path: str) -> bool:
    return path == "/console" or path.startswith("/console/") or path.startswith("/j/")


def html_error(path: str, response: Response) -> Response:
    """``response`` (an error) as the surface's page, its status and Retry-After kept."""
    headers = {str(k).lower(): v for k, v in (response.headers or {}).items()}
    if "text/html" in str(headers.get("content-type", "")):
        return response  # already a page
    status = response.status_code
    retry = headers.get("retry-after")
    retry_after = int(str(retry)) if retry is not None and str(retry).isdigit() else None
    settings = container.current().settings
    if path.startswith("/j/"):
        from chalicelib.joinlinks.routes import PRIVATE
        from chalicelib.joinlinks.views import error_page as join_error_page

        page = join_error_page(status, settings=settings, headers=PRIVATE, retry_after=retry_after)
    else:
        from chalicelib.console import web

        page = web.error_page(
            status,
            web.failure_message(status, "This request could not be completed."),
            base=web.base_path(settings.public_api_url),
            retry_after=retry_after,
        )
    # The original's other headers stay (Allow on a 405, CORS, WWW-Authenticate); the page's own
    # (type, CSP, caching, framing) win.
    ours = {str(k).lower() for k in page.headers}
    kept = {k: v for k, v in (response.headers or {}).items() if str(k).lower() not in ours | {"content-length"}}
    page.headers = {**kept, **page.headers}
    return page
