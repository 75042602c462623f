"""Domain errors: what went wrong, in the service's words. Nothing here knows HTTP.

Services raise these; ``chalicelib/web/errors.py`` maps each class to a status and a code
(one table), and ``chalicelib/cli.py`` maps them to exit codes. ``message`` is a sentence a
person can act on; ``fields`` names each bad input (``{"email": "Must be a valid email address."}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.constants import STATE_NAMES


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, fields: Mapping[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.fields = dict(fields or {})
        super().__init__(self.message)


class Invalid(DomainError):
    """Input that breaks a rule; ``fields`` says which and why."""

    default_message = "Some fields are not valid."


class InvalidCursor(Invalid):
    default_message = "The cursor is not valid for this query."

    def __init__(self) -> None:
        super().__init__(fields={"cursor": "Not valid for this query."})


class NotFound(DomainError):
    def __init__(self, what: str = "resource", message: str | None = None) -> None:
        super().__init__(message or f"No such {what}.")
        self.what = what


class Conflict(DomainError):
    """The thing is not in a state that allows this change."""

    default_message = "This change conflicts with the current state."


class StaleVersion(Conflict):
    """Optimistic locking: the writer read an older version."""


class AlreadyExists(Conflict):
    pass


class GroupPaused(Conflict):
    default_message = "This group is not taking signups right now."


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` seconds until the next may succeed."""

    default_message = "Too many requests. Please try again later."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class NotAuthenticated(DomainError):
    default_message = "A valid organizer key is required."


class Forbidden(DomainError):
    default_message = "You do not have access to this."


class LinkProblem(DomainError):
    """A member link (confirm, unsubscribe, erase) that cannot be used.

    ``reason``: ``invalid`` (not ours or damaged), ``expired``, or ``gone`` (the signup it
    belongs to was replaced, expired or erased).
    """

    def __init__(self, reason: str, message: str | None = None, *, detail: str | None = None) -> None:
        super().__init__(message, fields={"token": detail} if detail else None)
        self.reason = reason


class Unavailable(DomainError):
    """A dependency (storage, email) is not answering; worth retrying after ``retry_after`` seconds."""

    default_message = "The service is briefly unavailable. Please try again in a minute."

    def __init__(self, message: str | None = None, *, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EmailUnavailable(Unavailable):
    """The email a request promises could not be sent; nothing was changed that needs it."""

    default_message = "We could not send the email right now. Please try again in a few minutes."


def _choices(expected: object) -> str:
    """pydantic's "'ID' or 'MT'" as "ID or MT"."""
    return str(expected).replace("'", "")


# Codes a person chooses from, in the words she knows them by (the states).
CHOICE_WORDS = STATE_NAMES


def _choose(expected: object) -> str:
    """A refused choice: "Please choose Idaho or Montana." when every choice has a name a person
    knows (the states), else "Must be one of: a, b or c." (codes an API client sends)."""
    codes = [part.strip() for part in _choices(expected).replace(" or ", ", ").split(",") if part.strip()]
    if codes and all(code in CHOICE_WORDS for code in codes):
        names = [CHOICE_WORDS[code] for code in codes]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"Please choose {listed}."
    return f"Must be one of: {_choices(expected)}."


# A field that must match a pattern, in words by its pattern (pydantic's own message shows the
# regular expression). The patterns are the models' (groups/records.py SLUG_PATTERN, groups/models.py,
# validation.py PostalCode); tests/unit/test_validation.py holds each to its words.
PATTERN_WORDS = {
    r"^[a-z0-9]+(-[a-z0-9]+)*$": "Use lowercase letters, digits and dashes, like montana-evening-group.",
    r"^([01]\d|2[0-3]):[0-5]\d$": "Give a time like 16:00.",
    r"^[\x21-\x7e]+$": "Letters, digits and symbols, without spaces.",
    r"^\d{3}[ -]?\d{3,4}[ -]?\d{3,5}$": "Give the meeting ID's digits, like 987 6543 2100.",
    r"^\+?[0-9][0-9 ().,#*-]*$": "Give a phone number, like +1 253 215 8782.",
    r"^\d{5}(-\d{4})?$": "Give a 5-digit ZIP code, like 59601.",
}


DATETIME_WORDS = "Give a date and time with its offset, like 2027-01-12T10:00:00-07:00."


# pydantic's error types, in words for a person filling in a form (pydantic's own say "String should
# have at least 1 character"). Types not listed keep pydantic's message.
PLAIN_WORDS: dict[str, Any] = {
    "missing": lambda ctx: "Please fill this in.",
    "string_too_short": lambda ctx: (
        "Please fill this in." if ctx.get("min_length", 1) <= 1 else f"Must be at least {ctx['min_length']} characters."
    ),
    "string_too_long": lambda ctx: f"Must be at most {ctx.get('max_length')} characters.",
    "string_type": lambda ctx: "Must be text.",
    "literal_error": lambda ctx: _choose(ctx.get("expected", "")),
    "enum": lambda ctx: _choose(ctx.get("expected", "")),
    "bool_parsing": lambda ctx: "Must be true or false.",
    "bool_type": lambda ctx: "Must be true or false.",
    "int_parsing": lambda ctx: "Must be a whole number.",
    "int_type": lambda ctx: "Must be a whole number.",
    "int_from_float": lambda ctx: "Must be a whole number.",
    "greater_than_equal": lambda ctx: f"Must be {ctx.get('ge')} or more.",
    "less_than_equal": lambda ctx: f"Must be {ctx.get('le')} or less.",
    "greater_than": lambda ctx: f"Must be more than {ctx.get('gt')}.",
    "less_than": lambda ctx: f"Must be less than {ctx.get('lt')}.",
    "too_long": lambda ctx: f"At most {ctx.get('max_length')} items.",
    "too_short": lambda ctx: f"At least {ctx.get('min_length')} items.",
    "list_type": lambda ctx: "Must be a list.",
    "dict_type": lambda ctx: "Must be an object.",
    "model_type": lambda ctx: "Must be an object.",
    "extra_forbidden": lambda ctx: "Unknown field.",
    "datetime_from_date_parsing": lambda ctx: DATETIME_WORDS,
    "datetime_parsing": lambda ctx: DATETIME_WORDS,
    "datetime_type": lambda ctx: DATETIME_WORDS,
    "timezone_aware": lambda ctx: DATETIME_WORDS,
    "string_pattern_mismatch": lambda ctx: PATTERN_WORDS.get(str(ctx.get("pattern", "")), "Not in the expected form."),
}


def plain_words(err: dict[str, Any]) -> str:
    """One pydantic error in plain words (a validator's own message as it was written)."""
    kind = str(err.get("type", ""))
    if kind in PLAIN_WORDS:
        return str(PLAIN_WORDS[kind](err.get("ctx") or {}))
    msg = str(err.get("msg", "invalid"))
    return msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg


def pydantic_fields(exc: Any, prefix: str = "") -> dict[str, str]:
    """Map a pydantic ValidationError to ``{"dotted.field": "why"}`` (first reason per field)."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
        # pydantic puts union/tagged branches into loc; keep the field path readable.
        name = prefix + ".".join(loc) if loc else (prefix.rstrip(".") or "body")
        msg = plain_words(err)
        if not loc and ": " in msg:
            # Cross-field rules report "field: why | field: why" (see models).
            for part in msg.split(" | "):
                field, _, why = part.partition(": ")
                fields.setdefault(prefix + field.strip(), why.strip())
            continue
        fields.setdefault(name, msg)
    return fields


def validate_model(model: Any, data: Any, prefix: str = "") -> Any:
    """``model.model_validate(data)``, with pydantic's errors turned into ``Invalid``.

    pydantic is imported here, not at module level: read routes never validate a model,
    so their cold start never loads it.
    """
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise Invalid(fields={prefix.rstrip(".") or "body": "Must be a JSON object."})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(fields=pydantic_fields(exc, prefix)) from None
