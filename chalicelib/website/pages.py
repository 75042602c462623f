"""The API's own website pages (the embed page, its thank-you page, the outcome of a form post):
their headers, and what each outcome of a form post says.

CSP: nothing runs (no script at all); the stylesheet comes from the API, the theme is one inline
<style> allowed by its hash; forms post only to the API; ``frame-ancestors`` lists the allowed
website origins for the embed's pages and ``'none'`` for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.templating import public_page, public_page_of, render
from chalicelib.web.errors import describe
from chalicelib.website.assets import widget_version
from chalicelib.website.origins import origin_of
from chalicelib.website.theme import csp_hash, theme_css

# How a form post's fields are called on the page (the embed form's labels, shortened).
FIELD_LABELS = {
    "name": "Your name",
    "email": "Email address",
    "state": "State you live in",
    "timezone": "Which time you live on",
    "how_heard": "How did you hear about us",
    "consent": "Consent",
    "consent_version": "Consent statement",
    "redirect": "Thank-you page (the form's redirect)",
    "website": "Leave-empty field",
    "body": "The form",
    "Content-Type": "The form's type",
}
NONE = "'none'"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def asks_for_json(headers: Any) -> bool:
    accept = str(headers.get("accept") or "").lower()
    return "application/json" in accept or "+json" in accept


def is_browser_form_post(headers: Any) -> bool:
    """A form post that does not ask for JSON (a browser without JavaScript): its outcomes are pages."""
    from chalicelib.web.request import content_type

    return content_type(headers) in FORM_CONTENT_TYPES and not asks_for_json(headers)


def css_url(api: str) -> str:
    return f"{api}/widgets/{widget_version()}/mbc-connect.css"


def page_headers(*, api: str, frame_origins: Iterable[str] | None, styles: Iterable[str] = ()) -> dict[str, str]:
    """``frame_origins`` None: never framed; otherwise the origins that may frame the page."""
    api_origin = origin_of(api) or "'self'"
    framers = " ".join(frame_origins or ()) if frame_origins is not None else ""
    style_src = " ".join(["'self'", api_origin, *(csp_hash(s) for s in styles)])
    csp = (
        f"default-src 'none'; style-src {style_src}; form-action 'self' {api_origin}; "
        f"frame-ancestors {framers or NONE}; base-uri 'none'"
    )
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": csp,
    }
    if frame_origins is None:
        headers["X-Frame-Options"] = "DENY"
    return headers


def website_page(
    template: str,
    /,
    *,
    api: str,
    status: int = 200,
    theme: Mapping[str, str] | None = None,
    frame_origins: Iterable[str] | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    # Built from validated values only (no character autoescaping changes): the page's <style> is
    # exactly the text whose hash the CSP allows.
    from chalicelib import container
    from chalicelib.organization import organization

    style = theme_css(theme or {})
    org = organization(container.current().settings)
    body = render(template, api=api, css_url=css_url(api), theme_css=style, org=org, **context)
    csp = page_headers(api=api, frame_origins=frame_origins, styles=[style] if style else [])
    all_headers = {**csp, **(headers or {})}
    return Response(body=body, status_code=status, headers=dict[str, str | list[str]](all_headers))


def kept_response(
    inputs: tuple[Any, ...],
    make: Callable[[Mapping[str, str | None]], Response],
    *,
    org: object,
    late: Mapping[str, str | None] | None = None,
    plain: bool = False,
) -> Response:
    """``make(late)``'s answer, kept per ``inputs`` and ``org`` (``templating.public_page``: for
    public pages only, and they must be everything the page depends on); each call gets its own
    ``Response`` (the middleware adds headers to it).

    ``late``: values that differ from one request to the next (a signed cursor holds the instant of
    its first page) and that the page only prints autoescaped (``{{ name }}``) or tests for being
    set: ``make`` gets a marker in place of each one set (None for the others), ``inputs`` need only
    say which are set, and each answer puts the values into the kept page, escaped as Jinja would.
    ``plain``: ``inputs`` are plain public values, kept as the key itself (``public_page_of``)."""
    given = {name: value or None for name, value in (late or {}).items()}
    markers = {name: f"\ue000{name}\ue000" if value else None for name, value in given.items()}

    def parts() -> tuple[Any, int, dict[str, Any]]:
        made = make(markers)
        return made.body, made.status_code, dict(made.headers)

    keyed = (inputs, tuple(name for name, v in given.items() if v))
    body, status, headers = public_page_of(keyed, parts, org=org) if plain else public_page(keyed, parts, org=org)
    if any(given.values()):
        from markupsafe import escape

        for name, marker in markers.items():
            if marker:
                body = body.replace(marker, str(escape(given[name])))
    return Response(body=body, status_code=status, headers=dict(headers))


def problems(fields: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(FIELD_LABELS.get(name, name), why) for name, why in fields.items()]


def outcome(exc: Exception) -> tuple[int, dict[str, str], dict[str, Any]]:
    """(status, headers, page context) for a failed form post: the status and Retry-After of the
    API's error table, and words for a person."""
    status, body, headers = describe(exc)
    code = body["error"]["code"]
    fields = dict(body["error"]["fields"])
    message = str(body["error"]["message"])
    context: dict[str, Any] = {"problems": [], "back_hint": True}
    if "consent_version" in fields:
        from chalicelib.signups.public_forms import CONSENT_CHANGED

        context.update(title="Please reload the form", message=CONSENT_CHANGED)
    elif status == 400:
        context.update(
            title="Please check the form",
            message="Some answers need a change before we can sign you up:",
            problems=problems(fields),
        )
    elif status == 404:
        context.update(
            title="This signup form is not set up correctly",
            message="We could not find this group. Please let the website's volunteer know.",
        )
    elif code == "group_paused":
        context.update(
            title="Signups are paused", message="This group is not taking signups right now. Please check back later."
        )
    elif status == 413:
        context.update(title="The form was too large", message="Please shorten your answers and try again.")
    elif status == 415:
        context.update(
            title="The form could not be read",
            message="This form does not send its answers in a way we can read. Please let the website's volunteer "
            "know (the form must post as a plain HTML form).",
        )
    elif status == 429:
        retry = int(headers.get("Retry-After", "3600"))
        minutes = max(1, -(-retry // 60))
        context.update(
            title="Please try again later",
            message=f"Too many signups came from your network in the last hour. Please try again in about "
            f"{minutes} minute{'s' if minutes != 1 else ''}.",
        )
    elif status == 503:
        context.update(title="Please try again in a minute", message=message)
    else:
        context.update(title="Something went wrong", message=message)
    return status, headers, context


def outcome_page(
    exc: Exception,
    *,
    api: str,
    back_url: str | None,
    back_label: str | None = None,
    theme: Mapping[str, str] | None = None,
    frame_origins: Iterable[str] | None = None,
    after_post: bool = True,
) -> Response:
    """``after_post``: the answer to a form post (the Back button brings back what she typed)."""
    status, headers, context = outcome(exc)
    context["back_hint"] = context["back_hint"] and after_post
    return website_page(
        "website/pages/outcome.html",
        api=api,
        status=status,
        theme=theme,
        frame_origins=frame_origins,
        headers={k: v for k, v in headers.items() if k == "Retry-After"},
        back_url=back_url,
        back_label=back_label or "Back to the form",
        **context,
    )


def with_query(url: str, values: Mapping[str, str]) -> str:
    query = urlencode({k: v for k, v in values.items() if v})
    return f"{url}?{query}" if query else url
