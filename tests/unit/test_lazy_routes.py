"""The organizer routing table (chalicelib/web/organizer_routes.py): what it names exists, and what
Chalice sees of its routes is what it saw when they were decorated functions."""

from __future__ import annotations

import inspect

from chalice.deploy.swagger import TemplatedSwaggerGenerator

from app import app
from chalicelib.web.lazy import LazyView, resolve
from chalicelib.web.organizer_routes import DISPATCH, rows


def test_every_row_names_a_function_that_exists() -> None:
    """A typo in the table fails here, not on an organizer's first request in production."""
    for row in rows():
        assert callable(resolve(row.target)), row
        if row.via:
            assert row.via == DISPATCH
    assert callable(resolve(DISPATCH))


def test_every_row_is_a_route_chalice_sees_with_its_authorizer_and_content_types() -> None:
    for row in rows():
        entry = app.routes[row.path][row.method]
        assert isinstance(entry.view_function, LazyView)
        assert (entry.authorizer is not None) == row.organizer, row
        assert entry.content_types == (row.content_types or ["application/json"]), row
    api = [row for row in rows() if not row.via]
    assert api and all(row.organizer for row in api)  # the organizer API is behind the key, all of it


def test_the_api_gateway_document_keeps_the_functions_summaries() -> None:
    """``chalice package`` writes a view's docstring as the operation's summary: the stand-in view
    reports its function's (importing it only then)."""
    swagger = TemplatedSwaggerGenerator().generate_swagger(app)
    for row in rows():
        if row.via:
            continue
        doc = inspect.getdoc(resolve(row.target))
        operation = swagger["paths"][row.path][row.method.lower()]
        assert operation.get("summary") == (doc.splitlines()[0] if doc else None), row
    requeue = swagger["paths"]["/groups/{group_id}/meetings/{date}/deliveries/requeue"]["post"]
    assert requeue["summary"].startswith("Send the meeting's failed deliveries again")
