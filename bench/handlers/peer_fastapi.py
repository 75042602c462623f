"""A peer: the same ``GET /events`` served by FastAPI through Mangum (botocore client,
``listing_floor.body``: the same Query and the same JSON as the app). A plain ``def`` route, as FastAPI
advises for blocking calls (it runs in the thread pool)."""

from __future__ import annotations

import botocore.session
import listing_floor
from fastapi import FastAPI
from fastapi.responses import Response
from mangum import Mangum

client = botocore.session.Session().create_client("dynamodb", **listing_floor.client_kwargs())
api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@api.get("/events")
def list_events() -> Response:
    headers = {k: v for k, v in listing_floor.HEADERS.items() if k != "Content-Type"}
    return Response(content=listing_floor.body(client), media_type="application/json", headers=headers)


handler = Mangum(api, lifespan="off")
