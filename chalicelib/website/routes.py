"""HTTP routes of the website feature: is this website allowed yet (public), the widget files, the embed page."""

from __future__ import annotations

import logging

from chalice.app import Response

from chalicelib import container
from chalicelib.web.request import query_params
from chalicelib.web.responses import json_response, text_response
from chalicelib.web.routing import Routes

routes = Routes(__name__)
log = logging.getLogger("mbc.website")


# ---------------------------------------------------------------- is this website allowed yet (public)


@routes.route("/site/allowed", methods=["GET"])
def site_allowed() -> Response:
    """Is the asking website (its ``Origin``) allowed yet? Answered to any origin, yes or no for
    that origin only (never the list), so the widget script on a site not allowed yet can say
    "ask an admin to allow this website" instead of "try again later". Cached briefly per origin."""
    origin = routes.request.headers.get("origin")
    allowed = bool(origin) and container.current().site.origin_allowed(origin)
    return json_response(
        {"allowed": allowed},
        headers={"Access-Control-Allow-Origin": "*", "Vary": "Origin", "Cache-Control": "public, max-age=60"},
    )


@routes.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """A browser opening the console or a page on the API origin asks for its icon by itself: a quiet
    404 (no route would answer 403 "Missing Authentication Token", and chalice local logs a trace)."""
    return Response(body="", status_code=404, headers={"Cache-Control": "public, max-age=86400"})


# ---------------------------------------------------------------- the widget files


def _asset(name: str, version: str | None) -> Response:
    from chalicelib.errors import NotFound
    from chalicelib.website.assets import ASSETS, LONG_CACHE, SHORT_CACHE, asset_text, is_version, widget_version

    current = widget_version()
    if version is not None and not is_version(version):
        raise NotFound("widget version")
    if version is not None and version != current:
        # A page or cache holding an older version's URL gets the current files.
        location = f"{container.current().settings.public_api_url}/widgets/{current}/{name}"
        return Response(body="", status_code=302, headers={"Location": location, "Cache-Control": SHORT_CACHE})
    headers = {
        "Cache-Control": LONG_CACHE if version else SHORT_CACHE,
        "ETag": f'"{current}"',
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if routes.request.headers.get("if-none-match") == headers["ETag"]:
        return Response(body="", status_code=304, headers=dict[str, str | list[str]](headers))
    return text_response(asset_text(name), content_type=ASSETS[name], headers=headers)


@routes.route("/widgets/mbc-connect.js", methods=["GET"])
def widget_script() -> Response:
    return _asset("mbc-connect.js", None)


@routes.route("/widgets/mbc-connect.css", methods=["GET"])
def widget_styles() -> Response:
    return _asset("mbc-connect.css", None)


@routes.route("/widgets/{version}/mbc-connect.js", methods=["GET"])
def widget_script_versioned(version: str) -> Response:
    return _asset("mbc-connect.js", version)


@routes.route("/widgets/{version}/mbc-connect.css", methods=["GET"])
def widget_styles_versioned(version: str) -> Response:
    return _asset("mbc-connect.css", version)


# ---------------------------------------------------------------- the embed page (iframes)

EMBED_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]


@routes.route("/embed/{group_id}", methods=["GET"])
def embed_page(group_id: str) -> Response:
    from chalicelib.website.embed import embed_page as page
    from chalicelib.website.embed import not_allowed_page, refused_framer

    request = routes.request
    site = refused_framer(request.headers)
    if site is not None:
        return not_allowed_page(group_id, site, query_params(request))
    return page(group_id, query_params(request))


@routes.route("/embed/{group_id}", methods=["POST"], content_types=EMBED_CONTENT_TYPES)
def embed_signup(group_id: str) -> Response:
    from chalicelib.website.forms import embed_post

    return embed_post(group_id, routes.request)


@routes.route("/embed/{group_id}/thanks", methods=["GET"])
def embed_thanks(group_id: str) -> Response:
    from chalicelib.website.embed import thanks_page

    return thanks_page(group_id, query_params(routes.request))
