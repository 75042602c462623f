"""Reading requests: bodies (JSON or form) with limits, query strings, the caller."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.web.errors import HttpError

MAX_BODY_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"


def content_type(headers: Any) -> str:
    return str(headers.get("content-type") or "").split(";")[0].strip().lower()


def raw_body(request: Any, *, limit: int = MAX_BODY_BYTES) -> bytes:
    body = request.raw_body or b""
    if len(body) > limit:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
        raise HttpError(
            413, "payload_too_large", f"The request body is larger than {size}.", {"body": f"Larger than {size}."}
        )
    return bytes(body)


def json_body(request: Any) -> Any:
    """The parsed JSON body, or a 400/413/415 naming what is wrong."""
    ctype = content_type(request.headers)
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise HttpError(
            415, "unsupported_media_type", "Send application/json.", {"Content-Type": "Must be application/json."}
        )
    body = raw_body(request)
    if not body.strip():
        raise HttpError(400, "invalid_json", "The request body is empty; send a JSON object.", {"body": "Required."})
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HttpError(
            400, "invalid_json", "The request body is not valid JSON.", {"body": "Not valid JSON."}
        ) from None


def json_object(request: Any) -> dict[str, Any]:
    data = json_body(request)
    if not isinstance(data, dict):
        raise HttpError(400, "validation_error", "Send a JSON object.", {"body": "Must be a JSON object."})
    return data


def form_or_json_body(request: Any) -> tuple[dict[str, Any], bool]:
    """The fields of a JSON or urlencoded-form body, and whether it was a form post."""
    if content_type(request.headers) == FORM:
        from urllib.parse import parse_qs

        body = raw_body(request)
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
        except (UnicodeDecodeError, ValueError):
            raise HttpError(
                400, "invalid_form", "The form body could not be read.", {"body": "Not a valid form."}
            ) from None
        return {key: values[0] for key, values in parsed.items()}, True
    return json_object(request), False


def query_params(request: Any) -> dict[str, str]:
    params = request.query_params or {}
    return {str(k): str(v) for k, v in params.items()}


def source_ip(request: Any) -> str:
    return str((request.context.get("identity") or {}).get("sourceIp") or "unknown")


def principal(request: Any) -> str:
    """The organizer id the authorizer let through (``organizer`` if unknown)."""
    context = request.context.get("authorizer") or {}
    return str(context.get("principalId") or "organizer")
