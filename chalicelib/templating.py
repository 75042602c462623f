"""Jinja2 for emails and pages: shared layouts in ``chalicelib/templates/``, and each feature's
own templates in ``chalicelib/<feature>/templates/``, named ``<feature>/<path>``
(``signups/email/confirm.html``). HTML is autoescaped; text templates are not.

Templates ship inside the package and never change under a running process, so Jinja does not
look at their files again after the first load (``auto_reload=False``; ``make run`` serves the code
as it started, templates included: restart it after an edit). Templates read nothing but their
context (no globals, no clock), so a page is a function of its context: ``public_page`` keeps the
last pages made from inputs with nothing personal in them, keyed by a digest of those inputs.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from chalicelib.memo import keep

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
        auto_reload=False,
    )


def render(template: str, /, **context: Any) -> str:
    """Render a template; .html templates are autoescaped, .txt are not."""
    return str(environment().get_template(template).render(**context))


# How many public pages a warm process keeps (a page is a few KiB: at most about 1 MiB).
PUBLIC_PAGES_KEPT = 128
_public_pages: dict[tuple[int, Any], tuple[object, Any]] = {}


def public_page_of[T](key: tuple[str | bool | tuple[Any, ...] | None, ...], make: Callable[[], T], *, org: object) -> T:
    """``public_page`` for inputs that are plain public values already (strings, flags, tuples of
    them: a group's name, a page's query string), used as the key itself (no pickling, no digest):
    the memo keeps them, so nothing personal may be among them. Kept apart from the digests."""
    return _kept((id(org), ("plain", key)), make, org)


def public_page[T](inputs: tuple[Any, ...], make: Callable[[], T], *, org: object = None) -> T:
    """``make()``, memoized on ``inputs`` and ``org``: for pages whose inputs hold nothing personal
    (a group's public page, the embed's form before anyone typed in it), never for a member's page
    or a form sent back with what someone typed. ``inputs`` and ``org`` (the organization the page
    is signed with) must be everything ``make`` depends on that is not fixed for the process's life
    (templates read nothing but their context: no globals, no clock). The key is a BLAKE2b digest of
    the pickled inputs (equal bytes only for equal values), so the memo holds public pages and
    digests, never the records they were made from; ``org`` is part of it by identity (the
    organization is made once per settings): the memo keeps a reference, so no other object can
    take its identity while its pages are kept."""
    try:
        pickled = pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):  # a value pickle cannot take: no memo
        return make()
    return _kept((id(org), hashlib.blake2b(pickled, digest_size=20).digest()), make, org)


def _kept[T](key: tuple[int, Any], make: Callable[[], T], org: object) -> T:
    """The page kept under ``key`` for ``org``, or ``make()``'s, kept (the oldest goes first)."""
    kept = _public_pages.get(key)
    if kept is not None and kept[0] is org:
        return cast(T, kept[1])
    made = make()
    keep(_public_pages, key, (org, made), limit=PUBLIC_PAGES_KEPT)
    return made
