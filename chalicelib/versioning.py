"""Optimistic locking input: the version a writer read, from the body or If-Match."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Invalid


def read_version(body_version: Any, if_match: str | None, *, required: bool = True) -> int | None:
    header: int | None = None
    if if_match:
        raw = if_match.strip().removeprefix("W/").strip('"')
        if not raw.isdigit() or len(raw) > 12:
            raise Invalid(fields={"If-Match": 'Must be the version you read, e.g. "3".'})
        header = int(raw)
    if body_version is not None:
        if isinstance(body_version, bool) or not isinstance(body_version, int) or not 1 <= body_version < 10**12:
            raise Invalid(fields={"version": "Must be a positive integer: the version you read."})
        if header is not None and header != body_version:
            raise Invalid(fields={"version": "Differs from If-Match."})
        return body_version
    if header is None and required:
        raise Invalid(fields={"version": "Required: send the version you read (or an If-Match header)."})
    return header


def required_version(body_version: Any, if_match: str | None) -> int:
    version = read_version(body_version, if_match, required=True)
    assert version is not None
    return version
