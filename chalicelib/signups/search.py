"""Finding a member by name (issue 21 item 10a): accent-, case- and order-insensitive.

Each signup record carries ``search``: the words of her name folded to plain lowercase letters,
each after a space (" ann kowalski "). A search asks
for records holding every word the organizer typed at the start of one of hers, so "Renee" finds
"Renée" and "Kowalski Ann" finds "Ann Kowalski". Written with the record (every put, and a change
of name), so a search is a filtered Query of the group's records page by page, never a read of
every record at once."""

from __future__ import annotations

import re
import unicodedata

MAX_WORDS = 5


def fold(text: str) -> str:
    """Lowercase, without accents (é -> e, ł -> l, ß -> ss)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.translate(_EXTRA)


_EXTRA = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "\u0131": "i", "æ": "ae", "œ": "oe", "þ": "th"})


def search_key(name: str) -> str:
    found = [w for w in re.split(r"[^0-9a-z]+", fold(name)) if w]
    return " " + " ".join(dict.fromkeys(found)) + " "


def query_words(text: str) -> list[str]:
    """What to look for: each word of the search ("Kowalski Ann" -> ["kowalski", "ann"])."""
    folded = fold(text)
    return [w for w in re.split(r"[^0-9a-z]+", folded) if w][:MAX_WORDS]


def matches(key: str, wanted: list[str]) -> bool:
    return all(f" {w}" in key for w in wanted)
