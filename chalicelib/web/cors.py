"""CORS for the website's own origins only; anything else gets no Allow-Origin."""

from __future__ import annotations


def cors_headers(origin: str | None, allowed: tuple[str, ...], *, preflight: bool = False) -> dict[str, str]:
    headers = {"Vary": "Origin"}
    if origin and origin.rstrip("/").lower() in {o.lower() for o in allowed}:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "Retry-After, Location"
        if preflight:
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Content-Type"
            headers["Access-Control-Max-Age"] = "600"
    return headers
