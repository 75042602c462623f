"""The OpenAPI 3.1 document, generated from the pydantic models so the published schema and the
validation that runs are the same thing. Each feature describes its own paths and models in
``chalicelib/<feature>/openapi.py``; this module has the shared parts and assembles them."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from chalice.app import Response

from chalicelib.groups.slugs import SLUG_PATTERN
from chalicelib.web.responses import PUBLIC_300, json_response
from chalicelib.web.routing import Routes

# Features that publish paths, in document order. A new feature adds its name here.
FEATURES = ("events", "groups", "signups", "meetings", "distribution", "joinlinks", "announcements", "website")

_REF = "#/components/schemas/{model}"


def error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    }


def json_ref(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def err(description: str) -> dict[str, Any]:
    return {"description": description, "content": json_ref("Error")}


def unauthorized(description: str = "Missing or bad key.") -> dict[str, Any]:
    """The gateway answers a request without an Authorization header itself, with {"message": ...}."""
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/Error"},
                        {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
                    ]
                }
            }
        },
    }


def param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


def security() -> list[dict[str, list[str]]]:
    return [{"organizerKey": []}]


GROUP_ID = param(
    "group_id", "path", {"type": "string", "pattern": SLUG_PATTERN, "minLength": 3, "maxLength": 64}, "Group id.", True
)
DATE = param("date", "path", {"type": "string", "format": "date"}, "The meeting's scheduled local date.", True)
HTML = {"text/html": {"schema": {"type": "string"}}}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from pydantic import TypeAdapter

    paths: dict[str, Any] = {}
    models: list[Any] = []
    for name in FEATURES:
        spec = importlib.import_module(f"chalicelib.{name}.openapi")
        for path, operations in spec.paths().items():
            paths.setdefault(path, {}).update(operations)
        models += spec.models()
    # Models (requests) and TypedDicts (responses, the records' own shapes) alike.
    _, defs = TypeAdapter.json_schemas([(m, "validation", TypeAdapter(m)) for m in models], ref_template=_REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Error"] = error_schema()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mbc-connect API",
            "version": "1.0.0",
            "description": "Events and Connection Group signups for people living with metastatic breast cancer "
            "in Idaho and Montana. Errors are always {error: {code, message, fields}}.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "organizerKey": {"type": "http", "scheme": "bearer", "description": "Organizer API key."}
            },
        },
    }


routes = Routes(__name__)


@routes.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    return json_response(openapi_document(), headers=PUBLIC_300)
