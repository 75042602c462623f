"""Structured lines for alarms: one JSON object per line on stdout, so CloudWatch metric filters
with JSON patterns match them exactly (the Lambda log prefix of the logging module would not).

Never put personal data in a line: ids and counts only.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

# Lambda: stdout is the function's log. The CLI sends these lines to stderr (its stdout is its output).
_stream: TextIO | None = None


def use_stream(stream: TextIO | None) -> None:
    global _stream
    _stream = stream


def emit(event: str, **fields: Any) -> str:
    """Write ``{"event": event, **fields}`` as one line; returns the line (for tests)."""
    line = json.dumps({"event": event, **fields}, separators=(", ", ": "), default=str)
    stream = _stream or sys.stdout
    stream.write(line + "\n")
    stream.flush()
    return line
