"""Member-facing pages: a strict Content-Security-Policy (no 'unsafe-inline', no script), the one
inline stylesheet allowed by its hash, and no inline style attributes anywhere."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from chalicelib.web.pages import page

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def test_the_policy_allows_exactly_the_pages_stylesheet() -> None:
    response = page("pages/message.html", title="Hello", message="A message", detail=None)
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src" not in policy and "default-src 'none'" in policy
    [css] = re.findall(r"<style>(.*?)</style>", response.body, re.S)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy


def test_no_page_template_carries_inline_style_or_script() -> None:
    pages = list(CHALICELIB.rglob("templates/**/pages/*.html")) + list(CHALICELIB.glob("templates/pages/*.html"))
    assert len(pages) > 20
    for template in pages:
        text = template.read_text(encoding="utf-8")
        assert " style=" not in text, template
        assert "<script" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template
