"""What a browser asks the API origin for by itself answers quietly (a new user's trial of `make run`)."""

from __future__ import annotations

import logging
from typing import Any

import pytest


def test_the_browsers_own_favicon_request_is_a_quiet_404(api: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Without a route, chalice local answered 403 'Missing Authentication Token' and logged a trace."""
    caplog.set_level(logging.INFO)
    response = api.http.get("/favicon.ico")
    assert response.status_code == 404
    assert response.body == b""
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
