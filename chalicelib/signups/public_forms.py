"""The public forms' fields checked without pydantic: the signup form and "send me the link again".

Why: a person's first signup in a fresh container must not wait for pydantic and the models to load
(about 100 ms on a quiet machine, several times that under load). ``models.SignupForm`` and
``models.ResendForm`` stay the source of the OpenAPI schema; the rules themselves (consent, the
consent version, the redirect's one line) live here, and the models call them. A Hypothesis test
(tests/unit/test_public_forms.py) holds the two equal: the same verdict, the same value and the same
field errors, in the same order, for generated input. Errors are written as pydantic's error types
and go through the same ``errors.plain_words`` table, so a change of words applies to both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.constants import STATES
from chalicelib.emails import normalize_email
from chalicelib.errors import Invalid, plain_words
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.text_rules import refused_character

_TRUTHY = {"true", "on", "yes", "1"}
# What pydantic's str_strip_whitespace strips (Rust's char::is_whitespace, the Unicode White_Space
# property): not Python's str.strip(), which also strips U+001C to U+001F.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
CONSENT_CHANGED = (
    "The consent statement changed since this page was loaded. Please reload the page, read it again and sign up."
)


def plain_address(value: str) -> str:
    """A web address as one plain line (a CR/LF here would split the Location header)."""
    if refused_character(value):
        raise ValueError("Must be a web address without line breaks or control characters.")
    return value


def consent(value: Any) -> bool:
    if value is True or (isinstance(value, str) and value.strip().lower() in _TRUTHY):
        return True
    raise ValueError("You must agree to the consent statement.")


def current_consent_version(value: str) -> str:
    """Only the current statement can be agreed to: a page showing an older one must be reloaded."""
    if value != CONSENT_VERSION:
        raise ValueError(CONSENT_CHANGED)
    return value


def single_line(value: str) -> str:
    problem = refused_character(value)
    if problem:
        raise ValueError(problem)
    return value


@dataclass(frozen=True, slots=True)
class SignupInput:
    """A valid signup form (the fields of ``models.SignupForm``)."""

    name: str
    email: str
    state: str
    consent: bool
    timezone: str | None = None
    consent_version: str | None = None
    how_heard: str | None = None
    website: str = ""
    redirect: str | None = None


@dataclass(frozen=True, slots=True)
class ResendInput:
    """A valid "send me the link again" form (the fields of ``models.ResendForm``)."""

    email: str
    website: str = ""
    redirect: str | None = None


class _Problem(Exception):
    def __init__(self, kind: str, ctx: Mapping[str, Any] | None = None, msg: str = "") -> None:
        super().__init__(kind)
        self.err = {"type": kind, "ctx": dict(ctx or {}), "msg": msg}


_MISSING = object()
Check = Callable[[Any], Any]


def _text(
    *, max_length: int, min_length: int = 0, after: Callable[[str], Any] | None = None, optional: bool = False
) -> Check:
    """A str field of a model with ``str_strip_whitespace``: trimmed, bounded, then ``after``."""

    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise _Problem("string_type", msg="Input should be a valid string")
        if not value.isascii() and not _encodable(value):  # a lone surrogate ("\\ud800" in JSON)
            raise _Problem(
                "string_unicode", msg="Input should be a valid string, unable to parse raw data as a unicode string"
            )
        value = value.strip(WHITESPACE)
        if len(value) < min_length:
            raise _Problem("string_too_short", {"min_length": min_length})
        if len(value) > max_length:
            raise _Problem("string_too_long", {"max_length": max_length})
        if after is None:
            return value
        try:
            return after(value)
        except ValueError as exc:
            raise _Problem("value_error", msg=f"Value error, {exc}") from None

    return check


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _state(value: Any) -> str:
    if isinstance(value, str) and value in STATES:
        return value
    raise _Problem("literal_error", {"expected": " or ".join(repr(s) for s in STATES)})


def _zone(value: Any) -> str | None:
    from chalicelib.meetings.zones import parse_zone  # only when the form holds the field

    try:
        return parse_zone(value)
    except ValueError as exc:
        raise _Problem("value_error", msg=f"Value error, {exc}") from None


def _consent(value: Any) -> bool:
    try:
        return consent(value)
    except ValueError as exc:
        raise _Problem("value_error", msg=f"Value error, {exc}") from None


# Each form's fields in the model's order: (name, check, default or _MISSING).
SIGNUP_FIELDS: tuple[tuple[str, Check, Any], ...] = (
    ("name", _text(min_length=1, max_length=100, after=single_line), _MISSING),
    ("email", _text(max_length=320, after=normalize_email), _MISSING),
    ("state", _state, _MISSING),
    ("timezone", _zone, None),
    ("consent", _consent, _MISSING),
    ("consent_version", _text(max_length=40, after=current_consent_version, optional=True), None),
    ("how_heard", _text(max_length=200, after=single_line, optional=True), None),
    ("website", _text(max_length=2000), ""),
    ("redirect", _text(max_length=2000, after=plain_address, optional=True), None),
)
RESEND_FIELDS: tuple[tuple[str, Check, Any], ...] = (
    ("email", _text(max_length=320, after=normalize_email), _MISSING),
    ("website", _text(max_length=2000), ""),
    ("redirect", _text(max_length=2000, after=plain_address, optional=True), None),
)


def _check(fields: tuple[tuple[str, Check, Any], ...], data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid(fields={"body": "Must be a JSON object."})
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, check, default in fields:
        if name not in data:
            if default is _MISSING:
                problems.setdefault(name, plain_words({"type": "missing", "msg": "Field required"}))
            values[name] = default
            continue
        try:
            values[name] = check(data[name])
        except _Problem as problem:
            problems.setdefault(name, plain_words(problem.err))
    known = {name for name, _, _ in fields}
    for key in data:
        if key not in known:
            problems.setdefault(
                str(key), plain_words({"type": "extra_forbidden", "msg": "Extra inputs are not permitted"})
            )
    if problems:
        raise Invalid(fields=problems)
    return values


def check_signup(data: Any) -> SignupInput:
    """The signup form's fields, or ``Invalid`` naming each bad one (as ``validate_model(SignupForm, data)``)."""
    return SignupInput(**_check(SIGNUP_FIELDS, data))


def check_resend(data: Any) -> ResendInput:
    """The resend form's fields, or ``Invalid`` (as ``validate_model(ResendForm, data)``)."""
    return ResendInput(**_check(RESEND_FIELDS, data))
