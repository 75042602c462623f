"""The bounded memos a warm process keeps between requests (docs/architecture.md, "Warm requests").

A memo is a plain dict: the oldest entry goes first once it holds ``limit``. ``make run`` serves
requests on threads, so two requests may drop the same oldest entry, or one may add while another
drops: neither is an error (a memo only ever loses an entry it can make again).
"""

from __future__ import annotations


def keep[K, V](store: dict[K, V], key: K, value: V, *, limit: int) -> V:
    """``store[key] = value``, first dropping the oldest entries beyond ``limit - 1``; returns ``value``."""
    while len(store) >= limit:
        try:
            store.pop(next(iter(store)), None)
        except (StopIteration, RuntimeError):  # emptied, or changed, by another thread meanwhile
            break
    store[key] = value
    return value
