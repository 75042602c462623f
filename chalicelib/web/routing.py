"""Feature blueprints, and how their errors reach the error middleware in app.py.

``Routes`` is a Chalice ``Blueprint`` whose views are wrapped once: a domain error or an
``HttpError`` raised by a view (or anything it calls) is re-raised as ``EdgeError``, which
Chalice lets through to the middleware instead of turning it into a 500. The middleware
(``app.error_shape``) asks ``web.errors.describe`` for the status, body and headers.

Routes that need an organizer name ``ORGANIZER``; app.py defines the real authorizer with
``@app.authorizer`` and binds it here before registering the blueprints, so the route modules
never import app.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import AuthRequest, Blueprint, ChaliceAuthorizer, ChaliceUnhandledError, Request

from chalicelib.db import is_unavailable
from chalicelib.errors import DomainError, Unavailable
from chalicelib.web.errors import HttpError

log = logging.getLogger("mbc.web")


class EdgeError(ChaliceUnhandledError):
    """Carries a domain or edge error from a view to the error middleware."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


UNAVAILABLE_RETRY_SECONDS = 30


def guarded(blueprint: Blueprint, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a view the edge's way: a domain or edge error leaves as ``EdgeError``, an outage as 503."""
    try:
        if (blueprint.current_request.context.get("authorizer") or {}).get("unavailable"):
            # The authorizer could not check the key (storage outage): refuse, but honestly.
            raise Unavailable(retry_after=UNAVAILABLE_RETRY_SECONDS)
        return view(*args, **kwargs)
    except (DomainError, HttpError) as exc:
        raise EdgeError(exc) from exc
    except Exception as exc:
        if is_unavailable(exc):  # storage outage: 503 with Retry-After, never a 500
            log.warning("dependency unavailable: %s %s", type(exc).__name__, str(exc)[:200])
            raise EdgeError(Unavailable(retry_after=UNAVAILABLE_RETRY_SECONDS)) from exc
        raise


def _edge(view: Callable[..., Any], blueprint: Routes) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return guarded(blueprint, view, *args, **kwargs)

    return wrapper


class Routes(Blueprint):
    """A feature's routes. ``current_request`` is always set while a view runs."""

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            register(_edge(view, self))
            return view

        return decorator

    @property
    def request(self) -> Request:
        return self.current_request


class DeferredAuthorizer(ChaliceAuthorizer):
    """The organizer authorizer as feature routes name it, bound to app.py's at startup."""

    def __init__(self, name: str) -> None:
        super().__init__(name, self._unbound)

    @staticmethod
    def _unbound(auth_request: AuthRequest) -> Any:
        raise RuntimeError("app.py binds the organizer authorizer before registering blueprints")

    def bind(self, real: ChaliceAuthorizer) -> None:
        if real.name != self.name:
            raise ValueError(f"authorizer {real.name!r} bound where {self.name!r} was expected")
        self.func = real.func
        self.config = real.config
        self.scopes = real.scopes


ORGANIZER = DeferredAuthorizer("organizer_key")
