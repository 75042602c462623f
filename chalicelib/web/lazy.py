"""Routes registered from a table, each view's module imported on the route's first request.

Chalice must see every route when app.py is imported (``chalice package``, local mode,
chalice.test), but a member's cold ``GET /events`` should not pay for the organizer API or the
console. So an organizer-only route is a row (path, method, ``module:function``, content types,
whether the organizer key guards it) and its view here is a stand-in that imports the module when
the route is first called. The function gets the request first, then the path's parameters:
``def approve_signup(request, group_id, signup_id) -> Response``.

A row can name a dispatcher instead (``via``): the console's pages all go through
``console/views.py`` ``handle(page, request, params)``, which checks the session and CSRF and
imports the page's module (``views.PAGES``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from chalice.app import Response

from chalicelib.web.routing import ORGANIZER, Routes, guarded


class Row(NamedTuple):
    path: str
    method: str
    target: str  # "package.module:function"
    content_types: list[str] | None = None  # of a POST, PUT or PATCH; JSON when None
    organizer: bool = False  # guarded by the organizer key (app.py's authorizer)
    via: str | None = None  # "module:function" of a dispatcher taking (page name, request, params)


def resolve(target: str) -> Callable[..., Any]:
    module, _, function = target.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), function)
    return found


def function_name(target: str) -> str:
    return target.rpartition(":")[2]


class LazyView:
    """A route's view that imports its module on the first call. Its ``__doc__`` is the function's
    (for the Swagger summary ``chalice package`` writes), read only when asked: never on a request."""

    def __init__(self, routes: Routes, row: Row) -> None:
        self.routes = routes
        self.row = row
        name = function_name(row.target)
        self.__name__ = f"console_{name}_{row.method.lower()}" if row.via else name
        self._call: Callable[..., Any] | None = None

    @property  # type: ignore[override]
    def __doc__(self) -> str | None:  # type: ignore[override]
        return None if self.row.via else resolve(self.row.target).__doc__

    def __call__(self, **params: Any) -> Response:
        return guarded(self.routes, self._run, **params)  # type: ignore[no-any-return]

    def _run(self, **params: Any) -> Response:
        request = self.routes.request
        if self.row.via:
            page = function_name(self.row.target)
            return resolve(self.row.via)(page, request, {k: str(v) for k, v in params.items()})  # type: ignore[no-any-return]
        if self._call is None:
            self._call = resolve(self.row.target)
        return self._call(request, **params)  # type: ignore[no-any-return]


class LazyRoutes(Routes):
    """A blueprint of table rows, each registered with a ``LazyView``."""

    def __init__(self, import_name: str, rows: Iterable[Row]) -> None:
        super().__init__(import_name)
        for row in rows:
            options: dict[str, Any] = {"methods": [row.method]}
            if row.content_types:
                options["content_types"] = row.content_types
            if row.organizer:
                options["authorizer"] = ORGANIZER
            # Registered as is: the view guards itself (Routes.route would wrap it, reading __doc__).
            super(Routes, self).route(row.path, **options)(LazyView(self, row))
