"""Form posts from browsers without JavaScript: every outcome is a page, never raw JSON.

- ``POST /groups/{id}/signups`` as a plain HTML form (the form pasted on a website): success is a
  303 to the form's ``redirect`` or to our own thank-you page; anything else is a page in the
  error's status (400 naming each field, 404, 409 paused, 413, 415, 429 with the wait, 503) with
  a way back.
- ``POST /embed/{id}`` (the embed page's own form): success is a 303 to the thank-you page in the
  frame; refused fields show the form again with the answers and each error by its field.

Both go through the same service calls as the JSON post (``parse_form``, ``submit``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalice.app import Response

from chalicelib import container
from chalicelib.errors import DomainError, Invalid, Unavailable
from chalicelib.web.errors import HttpError
from chalicelib.web.request import form_or_json_body, query_params, source_ip
from chalicelib.web.responses import redirect
from chalicelib.website.origins import origin_of
from chalicelib.website.pages import outcome_page, with_query

RETRY_SECONDS = 30
MAX_REFERER = 2000


def _keep(group_id: str, request: Any, data: dict[str, Any]) -> Any:
    """Validate and keep the posted form (the JSON post's very calls); storage outages are Unavailable."""
    from chalicelib.db import is_unavailable

    c = container.current()
    try:
        form = c.signups.parse_form(data)
        c.signups.submit(group_id, form, source_ip=source_ip(request))
    except (DomainError, HttpError):
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise Unavailable(retry_after=RETRY_SECONDS) from exc
        raise
    return form


def referer_back(request: Any) -> str | None:
    """The page the form was on, if it belongs to an allowed website (a link back to it). Browsers
    usually send only the site's address with a post to another origin (strict-origin-when-cross-origin)."""
    c = container.current()
    referer = str(request.headers.get("referer") or "")
    origin = origin_of(referer) if len(referer) <= MAX_REFERER else None
    if origin and c.site.origin_allowed(origin):
        return referer
    return None


def signup_form_post(group_id: str, request: Any) -> Response:
    api = container.current().settings.public_api_url
    back = referer_back(request)
    try:
        data, _ = form_or_json_body(request)
        form = _keep(group_id, request, data)
    except (DomainError, HttpError) as exc:
        whole_site = back is not None and urlsplit(back).path in ("", "/")
        return outcome_page(exc, api=api, back_url=back, back_label="Back to the website" if whole_site else None)
    if form.redirect:
        return redirect(form.redirect)
    return redirect(with_query(f"{api}/embed/{group_id}/thanks", {"back": back or ""}))


def embed_post(group_id: str, request: Any) -> Response:
    from chalicelib.website.embed import EmbedOptions, config_error_page, embed_page, form_values, theme_only

    c = container.current()
    api = c.settings.public_api_url
    frames = c.site.allowed_origins()
    params = query_params(request)
    try:
        options = EmbedOptions(params)
    except Invalid as exc:
        return config_error_page(exc, api=api, theme=theme_only(params), frame_origins=frames)
    page_url = with_query(f"{api}/embed/{group_id}", options.query())
    data: dict[str, Any] = {}
    try:
        data, _ = form_or_json_body(request)
        _keep(group_id, request, data)
    except Invalid as exc:
        if "consent_version" not in exc.fields:
            return embed_page(group_id, params, status=400, values=form_values(data), errors=exc.fields)
        return outcome_page(
            exc, api=api, back_url=page_url, back_label="Reload the form", theme=options.theme, frame_origins=frames
        )
    except (DomainError, HttpError) as exc:
        return outcome_page(exc, api=api, back_url=page_url, theme=options.theme, frame_origins=frames)
    return redirect(with_query(f"{api}/embed/{group_id}/thanks", options.query()))
