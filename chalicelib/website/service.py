"""The website origins organizers allow, and the check every cross-origin request makes.

The effective list is the stage's deploy-time ``WEBSITE_ORIGINS`` plus the stored list (``SITE`` /
``ORIGINS``), which admins change through ``PUT /site/origins`` or ``site origins add|remove`` with
no redeploy. A container reads the stored list at most once a minute, and only for an origin that
the deploy-time list does not already allow (the website's own requests cost no read).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

from chalicelib.clock import Clock
from chalicelib.errors import Invalid, NotFound, StaleVersion, validate_model
from chalicelib.settings import Settings
from chalicelib.website.origins import normalize_origin
from chalicelib.website.records import MAX_ORIGINS, SiteOrigins, SiteOriginsRecord
from chalicelib.website.storage import SiteConflict, SiteRepository

log = logging.getLogger("mbc.website")

ORIGINS_CACHE_SECONDS = 60.0
WRITE_TRIES = 3


class SiteService:
    def __init__(
        self,
        repo: SiteRepository,
        *,
        settings: Settings,
        clock: Clock,
        ticker: Callable[[], float] = time.monotonic,
        cache_seconds: float = ORIGINS_CACHE_SECONDS,
    ) -> None:
        self.repo = repo
        self.settings = settings
        self.clock = clock
        self.ticker = ticker
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, tuple[str, ...]] | None = None

    # ---------------------------------------------------------------- the check

    @property
    def deploy_origins(self) -> tuple[str, ...]:
        return tuple(o.lower() for o in self.settings.website_origins)

    def stored_origins(self) -> tuple[str, ...]:
        """The stored list, read at most once per ``cache_seconds`` by this container. If storage
        does not answer, the last list read (or none): the deploy-time origins keep working."""
        now = self.ticker()
        if self._cached is not None and now - self._cached[0] < self.cache_seconds:
            return self._cached[1]
        from chalicelib.db import is_unavailable

        try:
            record = self.repo.get_origins()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("stored website origins unavailable; using the deploy-time list")
            return self._cached[1] if self._cached else ()
        origins = tuple(record["origins"]) if record else ()
        self._cached = (now, origins)
        return origins

    def allowed_origins(self, for_origin: str | None = None) -> tuple[str, ...]:
        """Every allowed origin: the deploy-time ones, plus the stored ones unless ``for_origin`` is
        already a deploy-time origin (then no read is needed)."""
        deploy = self.deploy_origins
        if for_origin is not None and for_origin.rstrip("/").lower() in deploy:
            return deploy
        return deploy + tuple(o for o in self.stored_origins() if o not in deploy)

    def origin_allowed(self, origin: str | None) -> bool:
        return bool(origin) and str(origin).rstrip("/").lower() in self.allowed_origins(str(origin))

    # ---------------------------------------------------------------- admins

    def origins(self) -> SiteOrigins:
        record = self.repo.get_origins()
        return self._view(record)

    def _view(self, record: SiteOriginsRecord | None) -> SiteOrigins:
        return {
            "origins": list(record["origins"]) if record else [],
            "deploy_origins": list(self.deploy_origins),
            "version": record["version"] if record else 0,
            "updated_at": record["updated_at"] if record else None,
            "updated_by": record["updated_by"] if record else None,
        }

    def replace_origins(self, body: Any, *, by: str) -> SiteOrigins:
        """The whole list, from ``{"origins": [...], "version": n}`` (n: the version read; 0 before
        the first write). A stale version is a conflict."""
        from chalicelib.website.models import SiteOriginsInput

        data = validate_model(SiteOriginsInput, body)
        return self._write(list(data.origins), expected=data.version, by=by)

    def add_origin(self, raw: str, *, by: str) -> SiteOrigins:
        origin = _one_origin(raw)
        for _ in range(WRITE_TRIES):
            current = self.origins()
            if origin in current["origins"]:
                return current
            try:
                return self._write([*current["origins"], origin], expected=current["version"], by=by)
            except StaleVersion:
                continue
        raise StaleVersion("The origins are changing right now; please try again.")

    def remove_origin(self, raw: str, *, by: str) -> SiteOrigins:
        origin = _one_origin(raw)
        for _ in range(WRITE_TRIES):
            current = self.origins()
            if origin not in current["origins"]:
                if origin in current["deploy_origins"]:
                    raise NotFound(
                        "origin",
                        f"{origin} comes from the deployment settings (website_origins in the settings "
                        "file); remove it there and deploy.",
                    )
                raise NotFound("origin", f"{origin} is not in the allowed origins.")
            try:
                return self._write([o for o in current["origins"] if o != origin], expected=current["version"], by=by)
            except StaleVersion:
                continue
        raise StaleVersion("The origins are changing right now; please try again.")

    def _write(self, origins: list[str], *, expected: int, by: str) -> SiteOrigins:
        unique = list(dict.fromkeys(origins))
        if len(unique) > MAX_ORIGINS:
            raise Invalid(fields={"origins": f"At most {MAX_ORIGINS} origins."})
        record = cast(
            SiteOriginsRecord,
            {
                "origins": unique,
                "version": expected + 1,
                "updated_at": self.clock.now().isoformat(),
                "updated_by": by,
            },
        )
        try:
            self.repo.put_origins(record, expected_version=expected)
        except SiteConflict:
            raise StaleVersion(
                f"The allowed origins changed since version {expected}; read them again and retry."
            ) from None
        self._cached = (self.ticker(), tuple(unique))  # this container sees its own change at once
        log.info("website origins changed version=%d count=%d", record["version"], len(unique))
        return self._view(record)


def _one_origin(raw: str) -> str:
    try:
        return normalize_origin(raw)
    except ValueError as exc:
        raise Invalid(fields={"origin": str(exc)}) from None
