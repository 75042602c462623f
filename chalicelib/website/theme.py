"""Theming the embed page from its query string: an allow-list of parameters, each mapped to one CSS
custom property of the widget's stylesheet, each value validated (a colour, a length, a font name).
Never raw CSS: what reaches the page is built here from validated parts only."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from urllib.parse import urlencode

from chalicelib.errors import Invalid

# query parameter -> (custom property, kind)
THEME_PARAMS: dict[str, tuple[str, str]] = {
    "accent": ("--mbc-accent", "colour"),
    "on_accent": ("--mbc-on-accent", "colour"),
    "text": ("--mbc-text", "colour"),
    "muted": ("--mbc-muted", "colour"),
    "background": ("--mbc-background", "colour"),
    "surface": ("--mbc-surface", "colour"),
    "border": ("--mbc-border", "colour"),
    "error": ("--mbc-error", "colour"),
    "success": ("--mbc-success", "colour"),
    "font": ("--mbc-font", "font"),
    "radius": ("--mbc-radius", "length"),
}
GENERIC_FONTS = ("system-ui", "sans-serif", "serif", "monospace")
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_LENGTH = re.compile(r"^(0|[0-9]{1,2}(\.[0-9])?(px|rem|em))$")
_FONT = re.compile(r"^[A-Za-z][A-Za-z0-9 -]{0,39}$")
# The same rules as JSON Schema patterns (the embed page's OpenAPI parameters).
PATTERNS = {  # empty: not given
    "colour": "^(#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}))?$",
    "length": "^(0|[0-9]{1,2}(\\.[0-9])?([Pp][Xx]|[Rr][Ee][Mm]|[Ee][Mm]))?$",
    "font": "^([A-Za-z][A-Za-z0-9 -]{0,39})?$",
}
MAX_LENGTH_PX = 40.0
WHY = {
    "colour": "Must be a colour like #5b2a86 (3 or 6 hexadecimal digits).",
    "length": "Must be a length like 6px or 0.5rem (at most 40px or 2.5rem).",
    "font": "Must be a font name (letters, digits, spaces, hyphens) or system-ui, sans-serif, serif, monospace.",
}


def _colour(raw: str) -> str | None:
    match = _HEX.match(raw)
    return f"#{match.group(1).lower()}" if match else None


def _length(raw: str) -> str | None:
    value = raw.lower()
    if not _LENGTH.match(value):
        return None
    if value == "0":
        return value
    number = float(re.sub(r"[a-z]+$", "", value))
    return value if number * (1 if value.endswith("px") else 16) <= MAX_LENGTH_PX else None


def _font(raw: str) -> str | None:
    value = raw
    if value.lower() in GENERIC_FONTS:
        return value.lower()
    if not _FONT.match(value) or value.lower() in ("inherit", "initial", "unset", "revert", "default"):
        return None
    return f"{value}, system-ui, sans-serif"


_PARSERS = {"colour": _colour, "length": _length, "font": _font}


def parse_theme(params: Mapping[str, str]) -> dict[str, str]:
    """``{"accent": "#5b2a86", ...}`` (the parameters given, normalised); Invalid names each bad one."""
    theme: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, (_, kind) in THEME_PARAMS.items():
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        value = _PARSERS[kind](raw) if len(raw) <= 60 else None
        if value is None:
            errors[name] = WHY[kind]
        else:
            theme[name] = value
    if errors:
        raise Invalid("Some theme parameters are not valid.", fields=errors)
    return theme


def theme_css(theme: Mapping[str, str]) -> str:
    """The custom properties for ``:root`` (empty without a theme); values come from parse_theme only."""
    if not theme:
        return ""
    declarations = ";".join(f"{THEME_PARAMS[name][0]}:{value}" for name, value in theme.items())
    return f":root{{{declarations}}}"


def theme_query(theme: Mapping[str, str]) -> dict[str, str]:
    """The theme as query parameters (for links between the embed's pages); fonts by their own name."""
    return {name: (value.split(",")[0] if name == "font" else value) for name, value in theme.items()}


def csp_hash(text: str) -> str:
    """The CSP source allowing exactly this inline <style> text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def query_string(values: Mapping[str, str]) -> str:
    return urlencode({k: v for k, v in values.items() if v})
