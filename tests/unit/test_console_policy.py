"""The console has no script (issue 21 item 13): its policy says `script-src 'none'`, and no page
template could need more (no <script>, no inline event handler, no javascript: URL)."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.console.web import CSP, HEADERS

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def _console_templates() -> list[Path]:
    return [p for p in CHALICELIB.rglob("*.html") if "templates" in p.parts and "console" in p.parts]


def test_the_console_policy_lets_no_script_run() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'none'" and directives["default-src"] == "'none'"
    assert "Content-Security-Policy" not in HEADERS or "script-src 'none'" in HEADERS["Content-Security-Policy"]


def test_no_console_template_has_script() -> None:
    templates = _console_templates()
    assert len(templates) > 10
    for path in templates:
        text = path.read_text()
        assert "<script" not in text.lower(), path
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), path
        assert "javascript:" not in text.lower(), path
