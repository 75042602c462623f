"""A group's id (its slug): the pattern and the check, apart from the records' TypedDicts so that the
routes that only check an id (and the API description) import nothing else at cold start."""

from __future__ import annotations

import re

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def is_slug(value: str) -> bool:
    return 3 <= len(value) <= 64 and re.fullmatch(SLUG_PATTERN, value) is not None
