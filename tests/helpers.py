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
