"""The console's static assets, served by the app under /console/static/<version>/<name> with long
cache headers; the version is the content's hash, so a changed file gets a new address."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@lru_cache(maxsize=8)
def asset(name: str) -> tuple[str, bytes, str] | None:
    """(version, content, content type) of a known asset, or None."""
    path = FOLDER / name
    if "/" in name or path.suffix not in TYPES or not path.is_file():
        return None
    content = path.read_bytes()
    return hashlib.sha256(content).hexdigest()[:12], content, TYPES[path.suffix]


def asset_url(base: str, name: str) -> str:
    found = asset(name)
    assert found is not None, name
    return f"{base}/static/{found[0]}/{name}"
