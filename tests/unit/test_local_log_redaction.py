"""`make run` relays chalice local's access log: no name, address, token or link may reach it."""

from __future__ import annotations

import pytest

from devtools.run_local import redact


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('"GET /console/groups/g/members?q=idris%40example.org&status=active HTTP/1.1" 200', "idris"),
        ('"GET /console/groups/g/members?status=active&q=Idris+Smith HTTP/1.1" 200', "Idris"),
        ('"GET /signups/confirm?token=eyJnIjoi.abc HTTP/1.1" 200', "eyJnIjoi"),
        ('"GET /groups/g/signups?email=a%40b.org HTTP/1.1" 200', "a%40b"),
        ('"GET /events?state=ID&cursor=c2VjcmV0 HTTP/1.1" 200', "c2VjcmV0"),
        ('"GET /j/AbCdEfGhIjKlMnOpQrStUvWxYz0 HTTP/1.1" 303', "AbCdEfGhIjKlMnOpQrStUvWxYz0"),
        ('"GET /embed/g/thanks?back=https%3A%2F%2Fsite.example%2Fjoin%3Fwho%3Dann HTTP/1.1" 200', "ann"),
    ],
)
def test_the_relayed_access_log_keeps_no_secret(line: str, secret: str) -> None:
    assert secret not in redact(line)


def test_harmless_filters_stay_readable() -> None:
    line = '"GET /events?state=MT&format=online&limit=5&from=2026-12-01 HTTP/1.1" 200'
    assert redact(line) == line
    assert redact('"GET /j/_warm HTTP/1.1" 204') == '"GET /j/_warm HTTP/1.1" 204'
