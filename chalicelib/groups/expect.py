"""What a first meeting is like: the group's own words (``what_to_expect``) or the kind default,
with ``{group}`` and ``{duration}`` filled in. Shown in the welcome email and on the personal
link's page, so a newcomer knows before she comes (camera optional, who hosts, how long)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.groups.records import DEFAULT_WHAT_TO_EXPECT


def duration_words(minutes: int) -> str:
    """'about 90 minutes', 'about an hour', 'about 2 hours'."""
    if minutes == 60:
        return "about an hour"
    if minutes % 60 == 0:
        return f"about {minutes // 60} hours"
    return f"about {minutes} minutes"


def what_to_expect(group: Mapping[str, Any]) -> str:
    text = str(group.get("what_to_expect") or "").strip() or DEFAULT_WHAT_TO_EXPECT
    minutes = int(group.get("schedule", {}).get("duration_minutes", 90))
    return text.replace("{group}", str(group.get("name", ""))).replace("{duration}", duration_words(minutes))


def paragraphs(text: str) -> list[str]:
    """Plain text split on blank lines (each paragraph keeps its line breaks)."""
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
