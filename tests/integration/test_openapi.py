"""The OpenAPI document covers every route and agrees with the models."""

from __future__ import annotations

import re
from typing import Any

from app import app
from chalicelib.events.models import EventInput
from tests.support.builders import as_json


def test_every_route_is_documented(api: Any) -> None:
    doc = as_json(api.http.get("/openapi.json"))
    assert doc["openapi"].startswith("3.1")
    for path, methods in app.routes.items():
        if path == "/openapi.json" or path.startswith("/console"):
            continue  # the console's HTML pages are not the API (docs/console.md)
        assert path in doc["paths"], path
        for method in methods:
            assert method.lower() in doc["paths"][path], f"{method} {path}"


def test_schemas_come_from_the_models(api: Any) -> None:
    doc = as_json(api.http.get("/openapi.json"))
    schema = doc["components"]["schemas"]["EventInput"]
    assert set(schema["properties"]) == set(EventInput.model_fields)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["title"]["maxLength"] == 200
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', str(doc).replace("'", '"'))
    assert refs
    assert all(name in doc["components"]["schemas"] for name in refs)
