"""Site settings items. Key prefixes are defined here and nowhere else.

- ``SITE`` / ``ORIGINS``: the website origins organizers allow on top of the stage's deploy-time
  ``WEBSITE_ORIGINS`` (CORS, form redirects, who may frame the embed page); optimistic-locked by
  ``version`` (absent item = version 0, an empty list).
"""

from __future__ import annotations

from typing import TypedDict

SITE_PK = "SITE"
ORIGINS_SK = "ORIGINS"
MAX_ORIGINS = 20


class SiteOriginsRecord(TypedDict):
    origins: list[str]
    version: int
    updated_at: str
    updated_by: str


class SiteOrigins(TypedDict):
    """What admins read: the stored list, and the deploy-time list it adds to (read-only here)."""

    origins: list[str]
    deploy_origins: list[str]
    version: int
    updated_at: str | None
    updated_by: str | None
