"""The widget files the API serves (``static/``): the script a web volunteer pastes one tag of, and its
stylesheet. One version for both, from their content: a versioned URL can be cached for a year."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "mbc-connect.js": "text/javascript; charset=utf-8",
    "mbc-connect.css": "text/css; charset=utf-8",
}
VERSION_PATTERN = r"^[0-9a-f]{12}$"
# The unversioned URL (the one-line paste) is cached briefly, so a new version reaches sites soon.
SHORT_CACHE = "public, max-age=300"
LONG_CACHE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=len(ASSETS))
def asset_text(name: str) -> str:
    return (STATIC / name).read_text("utf-8")


@lru_cache(maxsize=1)
def widget_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(ASSETS):
        digest.update(asset_text(name).encode("utf-8"))
    return digest.hexdigest()[:12]


def is_version(value: str) -> bool:
    return re.fullmatch(VERSION_PATTERN, value) is not None
