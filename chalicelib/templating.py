"""Jinja2 for emails and pages: shared layouts in ``chalicelib/templates/``, and each feature's
own templates in ``chalicelib/<feature>/templates/``, named ``<feature>/<path>``
(``signups/email/confirm.html``). HTML is autoescaped; text templates are not."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
SHARED = PACKAGE / "templates"


@lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape

    features = {
        folder.parent.name: FileSystemLoader(str(folder))
        for folder in sorted(PACKAGE.glob("*/templates"))
        if folder.is_dir()
    }
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(str(SHARED)), PrefixLoader(features)]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, /, **context: Any) -> str:
    """Render a template; .html templates are autoescaped, .txt are not."""
    return str(environment().get_template(template).render(**context))
