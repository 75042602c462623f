"""The console's HTTP plumbing: the base path, cookies, forms (urlencoded and multipart), headers
and page rendering. Imported only when a console route runs (never by the public read routes)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalice.app import Response

from chalicelib.console.records import COOKIE_NAME
from chalicelib.console.service import LIFETIME
from chalicelib.web.errors import HttpError
from chalicelib.web.request import MAX_BODY_BYTES, content_type, raw_body

CSP = (
    # The console has no script at all (tests/unit/test_console_policy.py): nothing may run.
    "default-src 'none'; style-src 'self'; script-src 'none'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP,
}
MAX_FIELDS = 1200
# A file upload (the member import: a few thousand rows); every other form stays under 64 KB.
MAX_UPLOAD_BYTES = 3 * 1024 * 1024


class FormTooLarge(HttpError):
    """A text form over the 64 KB limit: names its largest field (almost always the one she was
    writing in) and keeps that field's text, so the page can give it back to her to shorten."""

    def __init__(self, name: str, text: str, *, size: int) -> None:
        label = name.replace("_", " ")
        limit = f"{MAX_BODY_BYTES // 1024} KB"
        why = (
            f"Too long: the form can take {limit} in all and this one is {-(-size // 1024)} KB. "
            "Shorten it and send the form again."
        )
        super().__init__(
            413,
            "payload_too_large",
            f"The “{label}” field is too long: a form can take {limit} in all "
            f"(about {MAX_BODY_BYTES // 1000},000 characters) and this one is {-(-size // 1024)} KB. "
            "Nothing was saved. What you wrote there is below: copy it, shorten it, and send the form again.",
            {name: why},
        )
        self.field = name
        self.text = text


class FormFields(dict[str, list[str]]):
    """A form's text fields (every value of each name), and its files' bytes by field name
    (multipart only): a file is read by whoever knows its format (the import reads encodings)."""

    files: dict[str, bytes]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files = {}


def base_path(public_api_url: str) -> str:
    """Where the console lives: /console, behind the API's own path (an API Gateway stage)."""
    return urlsplit(public_api_url).path.rstrip("/") + "/console"


def cookie_value(headers: Any) -> str | None:
    raw = str(headers.get("cookie") or "")
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME and value:
            return value
    return None


def session_cookie(value: str, *, path: str) -> str:
    """HttpOnly (no script reads it), Secure (https only; browsers treat http://127.0.0.1 and
    localhost as secure, so `make run` works), SameSite=Strict (never sent by another site's
    link or form), scoped to the console's path."""
    return (
        f"{COOKIE_NAME}={value}; Path={path}; Max-Age={int(LIFETIME.total_seconds())}; "
        "HttpOnly; Secure; SameSite=Strict"
    )


def expired_cookie(*, path: str) -> str:
    return f"{COOKIE_NAME}=; Path={path}; Max-Age=0; HttpOnly; Secure; SameSite=Strict"


def form_fields(request: Any) -> FormFields:
    """A form post's fields (every value of each name); multipart for file uploads."""
    ctype = content_type(request.headers)
    if ctype == "multipart/form-data":
        return _multipart(str(request.headers.get("content-type")), raw_body(request, limit=MAX_UPLOAD_BYTES))
    body = raw_body(request, limit=MAX_UPLOAD_BYTES)  # read past 64 KB only to say which field is too long
    try:
        fields = FormFields(parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except (UnicodeDecodeError, ValueError):
        raise HttpError(400, "invalid_form", "The form could not be read.", {"body": "Not a valid form."}) from None
    if len(body) > MAX_BODY_BYTES:
        name, values = max(fields.items(), key=lambda item: sum(len(v) for v in item[1]), default=("body", [""]))
        raise FormTooLarge(name, max(values, key=len, default=""), size=len(body))
    return fields


def _multipart(header: str, body: bytes) -> FormFields:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header.encode("latin-1") + b"\r\n\r\n" + body)
    fields = FormFields()
    if not message.is_multipart():
        raise HttpError(400, "invalid_form", "The form could not be read.", {"body": "Not a valid form."})
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            fields.files[name] = data  # as sent: its encoding is the reader's business
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise HttpError(400, "invalid_form", "The form could not be read.", {name: "Not UTF-8 text."}) from None
        fields.setdefault(name, []).append(text)
        if sum(len(v) for v in fields.values()) > MAX_FIELDS:
            raise HttpError(400, "invalid_form", "Too many form fields.", {"body": "Too many fields."})
    return fields


def first(fields: dict[str, list[str]], name: str) -> str:
    """The field's first value; line breaks as "\n" (browsers send a textarea's as "\r\n", which
    would otherwise read as a change to text nobody touched)."""
    values = fields.get(name) or [""]
    return values[0].replace("\r\n", "\n").replace("\r", "\n")


def same_origin(headers: Any, public_api_url: str = "") -> bool:
    """A form post from our own pages: the browser's Origin (when it sends one) names this host, or
    the API's public address (behind a proxy that rewrites Host)."""
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return headers.get("sec-fetch-site") in (None, "same-origin", "none")
    netloc = urlsplit(str(origin)).netloc.lower()
    return netloc in (str(headers.get("host") or "").lower(), urlsplit(public_api_url).netloc.lower())


def html(body: str, *, status: int = 200, cookie: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = dict(HEADERS)
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body=body, status_code=status, headers=headers)


# Console pages that are never where a sign-in leads.
NOT_NEXT = ("/console/sign-in", "/console/static")


def safe_next(value: str | None) -> str | None:
    """A page to open after signing in, if it is one: a path relative to the console
    (``/groups/<id>/waiting``) that names a page of the routing table (a GET, not sign-in or a
    static file). Anything else (another site, ``//host``, a scheme, odd characters): None. Never
    an open redirect: the answer is always the console's base followed by this path."""
    import re

    from chalicelib.web.organizer_routes import CONSOLE as PAGES

    if not value or len(value) > 300 or not re.fullmatch(r"(/[A-Za-z0-9._-]+)+", value) or "/../" in value + "/":
        return None
    for path, method, _page, _types in PAGES:
        if method != "GET" or not path.startswith("/console/") or path.startswith(NOT_NEXT):
            continue
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[A-Za-z0-9._-]{1,100}", re.escape(path[len("/console") :]))
        if re.fullmatch(pattern, value):
            return value
    return None


class CrossSite(Exception):
    """A form post that did not come from the console's own pages (the Origin check): not a loss
    of access, and the page says so."""


CROSS_SITE = (
    "Nothing was changed: this form reached us from another website, or your browser did not say "
    "which page sent it. You have not lost access to anything. Go back to the console, open the page "
    "again and send the form from there. If it keeps happening, tell an admin (a browser setting or "
    "extension may be hiding where forms come from)."
)


# What a failed console request says, by status: plain words, no detail of the failure.
FAILURES = {
    503: "The console is briefly unavailable. Nothing was changed. Please try again in a minute.",
    500: "Something went wrong on our side. Please go back and try again; if it keeps happening, tell an admin.",
}


def failure_message(status: int, message: str | None = None) -> str:
    return FAILURES.get(status) or message or "This request could not be completed."


def error_page(
    status: int,
    message: str,
    *,
    base: str,
    retry_after: int | None = None,
    signed: Any = None,
    kept: str | None = None,
) -> Response:
    """The console's page for a request that failed (an outage, a form it cannot read, a bug):
    HTML with the console's own headers (CSP, no-store, no framing), never the API's JSON. Falls
    back to a page without the template should rendering be what failed."""
    from html import escape

    try:
        from chalicelib import container
        from chalicelib.console.static import asset_url
        from chalicelib.organization import organization
        from chalicelib.templating import render

        body = render(
            "console/pages/message.html",
            org=organization(container.current().settings),
            title="Please try again" if status in (500, 503) else "Sorry",
            base=base,
            css_url=asset_url(base, "console.css"),
            signed=signed,
            group=None,
            section="",
            notice=None,
            errors={},
            labels={},
            message=message,
            link=base,
            link_text="Back to the console",
            kept=kept,
        )
    except Exception:  # deliberate: the page of last resort must not fail in turn
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MBC Connect organizers</title>'
            f'</head><body><main><h1>Please try again</h1><p>{escape(message)}</p><p><a href="{escape(base)}">'
            "Back to the console</a></p></main></body></html>"
        )
    response = html(body, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def see_other(location: str, *, cookie: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = {"Location": location, "Cache-Control": "no-store"}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body="", status_code=303, headers=headers)
