"""How long the current Lambda invocation has left, from the handler's context down to the code
that sends in passes (announcements), without every layer in between passing it along.

``app.py``'s handlers set it from the invocation's Lambda context (``within(remaining_of(ctx))``);
code that must stop in time reads ``remaining()``: None when no invocation set it (the CLI, tests
that do not ask for a deadline). A context variable: each invocation (and thread that copies the
context) sees its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Remaining = Callable[[], float]

_remaining: ContextVar[Remaining | None] = ContextVar("remaining_seconds", default=None)


def remaining_of(context: Any) -> Remaining | None:
    """Seconds left in the invocation, from a Lambda context (None without one)."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return lambda: float(context.get_remaining_time_in_millis()) / 1000.0


@contextmanager
def within(remaining: Remaining | None) -> Iterator[None]:
    """Run the block with ``remaining`` as the invocation's time left."""
    token = _remaining.set(remaining)
    try:
        yield
    finally:
        _remaining.reset(token)


def remaining() -> Remaining | None:
    """The current invocation's time left (None outside one)."""
    return _remaining.get()
