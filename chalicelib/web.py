"""HTTP-side helpers for app.py: body parsing, limits and the error shape."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import ApiError, error_body

MAX_BODY_BYTES = 64 * 1024


def content_type(headers: Any) -> str:
    return str(headers.get("content-type") or "").split(";")[0].strip().lower()


def raw_body(request: Any) -> bytes:
    body = request.raw_body or b""
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(
            413, "payload_too_large", "The request body is larger than 64 KB.", {"body": "Larger than 64 KB."}
        )
    return bytes(body)


def json_body(request: Any) -> Any:
    """The parsed JSON body, or a 400/413/415 naming what is wrong."""
    ctype = content_type(request.headers)
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(
            415, "unsupported_media_type", "Send application/json.", {"Content-Type": "Must be application/json."}
        )
    body = raw_body(request)
    if not body.strip():
        raise ApiError(400, "invalid_json", "The request body is empty; send a JSON object.", {"body": "Required."})
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(
            400, "invalid_json", "The request body is not valid JSON.", {"body": "Not valid JSON."}
        ) from None


def query_params(request: Any) -> dict[str, str]:
    params = request.query_params or {}
    return {str(k): str(v) for k, v in params.items()}


_CHALICE_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
}


def normalize_framework_error(status: int, body: Any) -> dict[str, Any] | None:
    """Chalice's own errors ({"Code", "Message"}) rewritten into our error shape."""
    if status < 400 or not isinstance(body, dict) or "Code" not in body:
        return None
    code = _CHALICE_CODES.get(status, "error")
    message = str(body.get("Message", "")) or code
    fields: dict[str, str] = {}
    if status == 415:
        fields = {"Content-Type": "This content type is not accepted here."}
    if status == 500:
        message = "Something went wrong on our side; please try again."
    return error_body(code, message, fields)


FORM = "application/x-www-form-urlencoded"


def form_or_json_body(request: Any) -> tuple[dict[str, Any], bool]:
    """The fields of a JSON or urlencoded-form body, and whether it was a form post."""
    ctype = content_type(request.headers)
    if ctype == FORM:
        from urllib.parse import parse_qs

        body = raw_body(request)
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
        except (UnicodeDecodeError, ValueError):
            raise ApiError(
                400, "invalid_form", "The form body could not be read.", {"body": "Not a valid form."}
            ) from None
        return {key: values[0] for key, values in parsed.items()}, True
    data = json_body(request)
    if not isinstance(data, dict):
        raise ApiError(400, "validation_error", "Send a JSON object.", {"body": "Must be a JSON object."})
    return data, False


def cors_headers(origin: str | None, allowed: tuple[str, ...], preflight: bool = False) -> dict[str, str]:
    """CORS for the website's own origins only; anything else gets no Allow-Origin."""
    headers = {"Vary": "Origin"}
    if origin and origin.rstrip("/").lower() in {o.lower() for o in allowed}:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "Retry-After, Location"
        if preflight:
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Content-Type"
            headers["Access-Control-Max-Age"] = "600"
    return headers
