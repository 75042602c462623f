"""Small builders shared by tests."""

from __future__ import annotations

import json
from typing import Any


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Helena MBC meetup",
        "description": "Coffee and conversation.",
        "starts_at": "2030-03-10T10:00:00-06:00",
        "ends_at": "2030-03-10T12:00:00-06:00",
        "format": "in_person",
        "states": ["MT"],
        "venue": {"name": "Library", "street": "120 S Last Chance Gulch", "city": "Helena", "postal_code": "59601"},
    }
    body.update(overrides)
    return body


def send(client: Any, method: str, path: str, body: Any = None, key: str | None = None, **headers: str) -> Any:
    hdrs = {"Content-Type": "application/json", **headers}
    if key:
        hdrs["Authorization"] = f"Bearer {key}"
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return getattr(client.http, method.lower())(path, headers=hdrs, body=raw)


def as_json(response: Any) -> Any:
    return json.loads(response.body)


GROUP_ID = "mbc-connection-group"
ZOOM_URL = "https://example.zoom.us/j/98765432100?pwd=SeCrEtLiNk"


def group_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": GROUP_ID,
        "name": "MBC Connection Group",
        "description": "Monthly video meeting.",
        "eligibility": "Adults living with MBC in Idaho or Montana.",
        "zoom_url": ZOOM_URL,
        "zoom_passcode": "424242",
    }
    body.update(overrides)
    return body


def signup_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Ann Example", "email": "ann@example.org", "state": "MT", "consent": True}
    body.update(overrides)
    return body


def outbox_messages(outbox: Any) -> list[Any]:
    """Parsed .eml files in the outbox, oldest first."""
    import email
    import email.policy
    from pathlib import Path

    folder = Path(outbox)
    if not folder.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def plain_text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def link_in(message: Any, path: str) -> str:
    """The first link to ``path`` (e.g. /signups/confirm) in a message's plain text, as path?query."""
    import re

    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\?token=[A-Za-z0-9._\-]+)", plain_text(message))
    assert match, f"no {path} link in message"
    return match.group(1)
