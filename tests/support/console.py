"""Driving the organizer console through chalice.test: sign in from the emailed link, post forms
with the session's CSRF token, read pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.support.builders import outbox_messages, plain_text
from tests.support.stacks import Stack

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def cookie_of(response: Any) -> str | None:
    raw = response.headers.get("set-cookie") or response.headers.get("Set-Cookie") or ""
    match = re.match(r"mbc_console=([^;]*)", raw)
    return match.group(1) if match else None


def sign_in_link(stack: Stack, email: str) -> str:
    """The path?query of the newest sign-in link emailed to ``email``."""
    found = [m for m in outbox_messages(stack.outbox) if m["To"] == email and "sign-in link" in m["Subject"]]
    assert found, f"no sign-in email to {email}"
    match = re.search(r"https?://[^/\s]+(/console/sign-in/link\?token=[A-Za-z0-9_\-]+)", plain_text(found[-1]))
    assert match
    return match.group(1)


@dataclass
class Console:
    client: Any
    cookie: str | None = None

    def headers(self, **extra: str) -> dict[str, str]:
        out = dict(extra)
        if self.cookie:
            out["Cookie"] = f"mbc_console={self.cookie}"
        return out

    def get(self, path: str) -> Any:
        return self.client.http.get(path, headers=self.headers())

    def csrf(self, path: str = "/console") -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.get(path).body.decode())
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(self, path: str, fields: dict[str, Any] | list[tuple[str, str]], *, csrf: str | None = "auto") -> Any:
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf == "auto":
            pairs.append(("csrf", self.csrf()))
        elif csrf is not None:
            pairs.append(("csrf", csrf))
        return self.client.http.post(path, headers=self.headers(**FORM), body=urlencode(pairs).encode())

    def sign_in(self, stack: Stack, email: str) -> Any:
        self.client.http.post("/console/sign-in", headers=FORM, body=urlencode({"email": email}).encode())
        link = sign_in_link(stack, email)
        assert self.client.http.get(link).status_code == 200
        response = self.client.http.post(link, headers=self.headers(**FORM), body=b"")
        assert response.status_code == 303, response.body
        self.cookie = cookie_of(response)
        return response


def text_of(response: Any) -> str:
    body = response.body.decode() if isinstance(response.body, bytes) else str(response.body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
