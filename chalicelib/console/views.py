"""The console's dispatch: a page's name to its function, the session and CSRF checks every
signed-in page passes, and the console's answer to any failure (a page, never the API's JSON).
Imported on the first console request (never at cold start: ``web/organizer_routes.py`` registers
every /console path with a view that calls ``handle``). The pages live with their features
(``chalicelib/<feature>/console.py``); each module is imported on its page's first request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib import container
from chalicelib.console import web
from chalicelib.console.shell import Ctx
from chalicelib.db import is_unavailable
from chalicelib.errors import DomainError, Forbidden, NotFound, RateLimited, Unavailable
from chalicelib.web.errors import HttpError, status_and_code
from chalicelib.web.lazy import function_name, resolve
from chalicelib.web.organizer_routes import CONSOLE
from chalicelib.web.routing import UNAVAILABLE_RETRY_SECONDS

log = logging.getLogger("mbc.console")

Page = Callable[[Ctx], Response]


class Pages(dict[str, Page | str]):
    """A page's name to its function, from the routing table's ``module:function``
    (``web/organizer_routes.py`` ``CONSOLE``): the module is imported when the page is first asked for."""

    def __getitem__(self, name: str) -> Page:
        page = super().__getitem__(name)
        if isinstance(page, str):
            page = resolve(page)
            self[name] = page
        assert callable(page)
        return page


PAGES = Pages({function_name(target): target for _, _, target, _ in CONSOLE})
# Pages anyone may open (signing in); every other page needs a session.
PUBLIC = {"sign_in_form", "sign_in_request", "sign_in_link", "sign_in_complete", "static"}


def handle(name: str, request: Any, params: dict[str, str]) -> Response:
    c = container.current()
    ctx = Ctx(request, params, web.base_path(c.settings.public_api_url))
    try:
        if name in PUBLIC:
            return PAGES[name](ctx)
        ctx.signed = c.console.session(web.cookie_value(request.headers))
        if ctx.signed is None:
            # Back to this page once signed in (a link in an email: "Review them"), if it is one.
            wanted = web.safe_next(_asked_path(request, params)) if request.method == "GET" else None
            to = f"{ctx.base}/sign-in" + (f"?{urlencode({'next': wanted})}" if wanted else "")
            return web.see_other(to, cookie=web.expired_cookie(path=ctx.base))
        if request.method == "POST":
            if not web.same_origin(request.headers, c.settings.public_api_url):
                raise web.CrossSite()
            ctx.fields = web.form_fields(request)
            if not c.console.csrf_ok(ctx.signed, web.first(ctx.fields, "csrf")):
                return ctx.page(
                    "message.html",
                    title="Please try again",
                    status=403,
                    message="This form is out of date (or did not come from this console). Nothing was changed.",
                    link=ctx.base,
                    link_text="Back to the console",
                )
        return PAGES[name](ctx)
    except web.CrossSite:
        log.info("console refusal page=%s status=403 cross_site=true", name)
        back = ctx.base if ctx.signed is not None else f"{ctx.base}/sign-in"
        return ctx.page(
            "message.html",
            title="Please send the form again from the console",
            status=403,
            message=web.CROSS_SITE,
            link=back,
            link_text="Back to the console" if ctx.signed is not None else "Back to the sign-in page",
        )
    except DomainError as exc:
        status, _ = status_and_code(exc)
        if isinstance(exc, Forbidden):
            message = "You do not have access to this page. Ask an admin if you need it."
        elif isinstance(exc, NotFound):
            message = "We could not find this page. It may have been removed."
        else:
            message = web.failure_message(status, exc.message)
        log.info("console refusal page=%s status=%s", name, status)
        retry = exc.retry_after if isinstance(exc, (RateLimited, Unavailable)) else None
        return web.error_page(status, message, base=ctx.base, retry_after=retry, signed=ctx.signed)
    except HttpError as exc:  # a form the console cannot read (not UTF-8, too large, malformed)
        log.info("console refusal page=%s status=%s code=%s", name, exc.status, exc.code)
        kept = exc.text if isinstance(exc, web.FormTooLarge) else None
        return web.error_page(exc.status, exc.message, base=ctx.base, signed=ctx.signed, kept=kept)
    except Exception as exc:
        # An outage (503) or a bug (500): still the console's page and headers, never the API's JSON.
        # Logged by type and place only (an exception's message may quote what someone typed).
        if is_unavailable(exc):
            log.warning("console unavailable page=%s error=%s", name, type(exc).__name__)
            return web.error_page(503, web.failure_message(503), base=ctx.base, retry_after=UNAVAILABLE_RETRY_SECONDS)
        log.error("console failure page=%s error=%s at=%s", name, type(exc).__name__, where(exc))
        return web.error_page(500, web.failure_message(500), base=ctx.base)


def _asked_path(request: Any, params: dict[str, str]) -> str | None:
    """The console page asked for, relative to the console (``/groups/g/waiting``): the route's
    template with its parameters, so it never depends on how a proxy spelled the path."""
    template = str((getattr(request, "context", None) or {}).get("resourcePath") or "")
    if not template.startswith("/console/"):
        return None
    path = template[len("/console") :]
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    return path


def where(exc: BaseException) -> str:
    """file:line where an exception was raised (its innermost frame), for the log."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"


def __getattr__(name: str) -> Any:
    """The pages' old addresses (``views.members``, ``views.embed_snippets``): each from its feature."""
    if name == "embed_snippets":
        from chalicelib.website.console import embed_snippets

        return embed_snippets
    if name in PAGES:
        return PAGES[name]
    raise AttributeError(name)
