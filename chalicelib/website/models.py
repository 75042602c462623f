"""Request models of the website feature (imported by its services only when they validate)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from chalicelib.validation import StrictModel
from chalicelib.website.origins import MAX_LENGTH, normalize_origin
from chalicelib.website.records import MAX_ORIGINS

Origin = Annotated[
    str,
    AfterValidator(normalize_origin),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_LENGTH,
            "description": "Scheme and host: https://www.example.org (http only for localhost/127.0.0.1).",
        }
    ),
]


class SiteOriginsInput(StrictModel):
    origins: list[Origin] = Field(max_length=MAX_ORIGINS, description="The whole list (it replaces the stored one).")
    version: int = Field(strict=True, ge=0, lt=10**12, description="The version you read (0 before the first change).")
