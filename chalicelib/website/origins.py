"""What counts as a website origin (scheme and host, as a browser sends it in ``Origin``).

Light on purpose (no pydantic): the CORS check of every request may import it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LOCAL_HOSTS = ("localhost", "127.0.0.1")
MAX_LENGTH = 200
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DEFAULT_PORTS = {"https": 443, "http": 80}
EXAMPLE = "https://www.example.org"


def normalize_origin(raw: str) -> str:
    """``'HTTPS://WWW.Example.org/'`` -> ``'https://www.example.org'``; ValueError says why not."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > MAX_LENGTH or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"Must be a web origin such as {EXAMPLE}.")
    if not text.isascii():
        raise ValueError("Use the xn-- (punycode) form of an international domain name.")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        raise ValueError(f"Must start with https:// (http:// only for localhost), e.g. {EXAMPLE}.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("Must not contain a user name or password.")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in text or "#" in text:
        raise ValueError(f"Only the scheme and host, without a path: {EXAMPLE}, not {EXAMPLE}/join.")
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        raise ValueError("The port must be a number from 1 to 65535.") from None
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels) or (len(labels) < 2 and host not in LOCAL_HOSTS):
        raise ValueError(f"Must name a host, e.g. {EXAMPLE}.")
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise ValueError("Must use https:// (http:// is allowed only for localhost and 127.0.0.1).")
    if port == 0:
        raise ValueError("The port must be a number from 1 to 65535.")
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{suffix}"


def trim_to_origin(raw: str) -> tuple[str, str | None]:
    """What an admin pasted, as an origin, and a note when it had to be trimmed: a page address
    (``https://site.org/join?x=1``) becomes ``https://site.org`` ("every page of the site is
    allowed"), never a refusal. Anything else that is not an origin: ValueError says why."""
    try:
        return normalize_origin(raw), None
    except ValueError as refused:
        text = raw.strip() if isinstance(raw, str) else ""
        parts = urlsplit(text)
        if not (parts.path not in ("", "/") or parts.query or parts.fragment) or len(text) > 2000:
            raise
        origin = origin_of(text)
        if origin is None:
            raise
        try:
            origin = normalize_origin(origin)
        except ValueError:
            raise refused from None
        return origin, f"We kept only the website's address, {origin}: allowing it allows every page of the site."


def origin_of(url: str) -> str | None:
    """The origin of an absolute http(s) URL (lower-cased, default port dropped), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        return None
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{suffix}"
