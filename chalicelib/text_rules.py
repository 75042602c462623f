"""The text rule every field keeps, without pydantic (the public forms check it at cold start);
``validation.py`` builds the models' field types on it."""

from __future__ import annotations

import unicodedata

# Characters no text field may hold: controls (Cc), invisible formatting characters (Cf: direction
# overrides such as U+202E that disguise text, zero-width joiners, the BOM), and the line and
# paragraph separators (Zl, Zp). Multi-line text may also hold line breaks and tabs.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
_MULTI_LINE_ALLOWED = {"\n", "\r", "\t", "\u2028", "\u2029"}
ENCODED_WORD_PROBLEM = 'Must not contain "=?" (email programs read it as an encoded word).'


def refused_character(value: str, *, multi_line: bool = False) -> str | None:
    """Why ``value`` may not be stored as text, or None. Single-line text may reach an email's
    header (a group's name in a subject, an announcement's subject), so it may not hold "=?"."""
    if not multi_line and "=?" in value:
        return ENCODED_WORD_PROBLEM
    for char in value:
        if multi_line and char in _MULTI_LINE_ALLOWED:
            continue
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            if char in "\n\r" or category in ("Zl", "Zp"):
                return "Must be a single line."
            if category == "Cf":
                return (
                    "Must not contain invisible formatting characters (such as direction marks or zero-width spaces)."
                )
            return "Must not contain control characters."
    return None


__all__ = ["ENCODED_WORD_PROBLEM", "refused_character"]
