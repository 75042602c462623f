"""Response builders shared by the feature routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Response

JSON_HEADERS = {"Content-Type": "application/json"}
NO_STORE = {"Cache-Control": "no-store"}
PUBLIC_60 = {"Cache-Control": "public, max-age=60"}
PUBLIC_300 = {"Cache-Control": "public, max-age=300"}


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def empty(status: int = 204) -> Response:
    return Response(body="", status_code=status, headers=dict[str, str | list[str]](NO_STORE))


def text_response(body: str, *, content_type: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(body=body, headers={"Content-Type": content_type, **(headers or {})})


def redirect(location: str, status: int = 303) -> Response:
    return Response(body="", status_code=status, headers={"Location": location, **NO_STORE})
