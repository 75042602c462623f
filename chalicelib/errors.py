"""One error shape for the whole API: ``{"error": {"code", "message", "fields"}}``.

Framework-free so the service layer and the CLI can raise it; app.py turns it
into an HTTP response.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.fields)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def validation_error(fields: dict[str, str], message: str = "Some fields are not valid.") -> ApiError:
    return ApiError(400, "validation_error", message, fields)


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "A valid organizer key is required.", headers={"WWW-Authenticate": "Bearer"})


def pydantic_fields(exc: Any, prefix: str = "") -> dict[str, str]:
    """Map a pydantic ValidationError to ``{"dotted.field": "why"}`` (first reason per field)."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
        # pydantic puts union/tagged branches into loc; keep the field path readable.
        name = prefix + ".".join(loc) if loc else (prefix.rstrip(".") or "body")
        msg = str(err.get("msg", "invalid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err.get("type") == "extra_forbidden":
            msg = "Unknown field."
        if not loc and ": " in msg:
            # Cross-field rules report "field: why | field: why" (see models).
            for part in msg.split(" | "):
                field, _, why = part.partition(": ")
                fields.setdefault(prefix + field.strip(), why.strip())
            continue
        fields.setdefault(name, msg)
    return fields
