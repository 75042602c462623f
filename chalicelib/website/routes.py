"""HTTP routes of the website feature: the allowed origins (admins), the widget files, the embed page."""

from __future__ import annotations

import logging

from chalice.app import Response

from chalicelib import container
from chalicelib.web.request import query_params
from chalicelib.web.responses import text_response
from chalicelib.web.routing import Routes

routes = Routes(__name__)
log = logging.getLogger("mbc.website")


# ---------------------------------------------------------------- allowed origins (admins)


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

    return page(group_id, query_params(routes.request))


@routes.route("/embed/{group_id}", methods=["POST"], content_types=EMBED_CONTENT_TYPES)
def embed_signup(group_id: str) -> Response:
    from chalicelib.website.forms import embed_post

    return embed_post(group_id, routes.request)


@routes.route("/embed/{group_id}/thanks", methods=["GET"])
def embed_thanks(group_id: str) -> Response:
    from chalicelib.website.embed import thanks_page

    return thanks_page(group_id, query_params(routes.request))
