"""The public forms' two validators agree: ``public_forms`` (pydantic-free, what a cold signup runs)
and the pydantic models (the OpenAPI schema's source). On generated input both give the same
verdict, the same values, and the same field errors (names, order and words); and the plain-address
shortcut of ``emails.normalize_email`` gives email-validator's answer for every address it decides.

The test compares the two validators, never fixed words: a change of the shared words table
(``errors.PLAIN_WORDS``) applies to both."""

from __future__ import annotations

import dataclasses
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.emails import SPECIAL_USE, normalize_email, plain_address
from chalicelib.errors import Invalid, validate_model
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.signups.models import ResendForm, SignupForm
from chalicelib.signups.public_forms import (
    RESEND_FIELDS,
    SIGNUP_FIELDS,
    WHITESPACE,
    check_resend,
    check_signup,
)

# Whitespace both ways: what pydantic strips, and what only Python's str.strip() would.
SPACES = st.sampled_from([*WHITESPACE, "\x1c", "\x1d", "\x1e", "\x1f", "\u180e", "\u200b", "\ufeff"])
TRICKY = st.sampled_from(["=?", "=", "?", "\n", "\r", "\x00", "\x07", "\u202e", "\u2028", "\ud800", "é", "\U0001f600"])
PAD = st.lists(SPACES, max_size=2).map("".join)


@st.composite
def padded(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    return draw(PAD) + draw(inner) + draw(PAD)


def _text(max_size: int) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.text(max_size=8), TRICKY, st.sampled_from(["a" * 40, "b" * 99, "c" * 199]))
    return st.lists(pieces, max_size=max(1, max_size // 8)).map("".join)


LABEL = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,5}[a-zA-Z0-9])?", fullmatch=True)
TLDS = st.sampled_from(
    ["org", "COM", "io", "x", "123", "xn--p1ai", "xn--zz", "local", "test", "Onion", "arpa", "ab--c"]
)
ATEXT = string.ascii_letters + string.digits + "_!#$%&'*+-/=?^`{|}~"


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """Mostly plain addresses near the shortcut's edges, and anything at all."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.emails())
    if kind == 1:
        return draw(st.text(max_size=30))
    atoms = draw(st.lists(st.text(ATEXT + '.éñ\u3002 "()<>[]@\\', min_size=0, max_size=12), min_size=1, max_size=3))
    local = ".".join(atoms)
    if draw(st.booleans()):
        local = local + "a" * draw(st.sampled_from([0, 50, 64]))
    labels = draw(st.lists(st.one_of(LABEL, st.text(max_size=6), st.just("a" * 64)), min_size=0, max_size=3))
    domain = ".".join([*labels, draw(TLDS)])
    return f"{local}{draw(st.sampled_from(['@', '@', '@@', '']))}{domain}"


def _any_json() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-2, 2),
        st.floats(allow_nan=False),
        st.lists(st.none(), max_size=1),
        st.dictionaries(st.just("a"), st.none(), max_size=1),
    )


def _field(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(values, values, values, _any_json())


FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "name": _field(st.one_of(padded(st.sampled_from(["Ann", "Bea K", "x" * 100, "y" * 101, ""])), padded(_text(120)))),
    "email": _field(st.one_of(padded(addresses()), st.just("a" * 321))),
    "state": _field(st.one_of(st.sampled_from(["ID", "MT", " ID", "id", "WA", "", "MT\n"]), st.text(max_size=3))),
    "timezone": _field(
        st.one_of(
            padded(st.sampled_from(["America/Denver", "America/Los_Angeles", "America/Boise", "", "Mountain"])),
            st.sampled_from(["america/denver", "Europe/Paris", "\ud800"]),
            st.text(max_size=4),
        )
    ),
    "consent": _field(st.sampled_from([True, False, "on", " Yes ", "TRUE", "1", "no", "", "0", 1, 0])),
    "consent_version": _field(
        st.one_of(padded(st.sampled_from([CONSENT_VERSION, "2020-01-01", "", "v" * 41])), st.text(max_size=5))
    ),
    "how_heard": _field(st.one_of(padded(_text(210)), st.just("h" * 201))),
    "website": _field(st.one_of(st.just(""), PAD, _text(20), st.just("w" * 2001))),
    "redirect": _field(
        st.one_of(padded(st.sampled_from(["https://example.org/thanks", "https://a/\r\nX: y", "r" * 2001])), _text(20))
    ),
}
EXTRA = st.dictionaries(st.sampled_from(["nam", "Email", "phone", "", "diagnosis"]), _any_json(), max_size=2)


GOOD: dict[str, st.SearchStrategy[Any]] = {
    "name": padded(st.sampled_from(["Ann", "Bea K", "Zoë O'Neil", "x" * 100])),
    "email": padded(
        st.one_of(st.sampled_from(["ann@example.org", "Ann.K+mbc@Example.ORG", "zoë@exämple.org"]), st.emails())
    ),
    "state": st.sampled_from(["ID", "MT"]),
    "consent": st.sampled_from([True, "on", " Yes ", "TRUE", "1"]),
    "timezone": st.sampled_from(["America/Denver", " America/Los_Angeles ", "America/Boise", "", None]),
    "consent_version": st.sampled_from([CONSENT_VERSION, f" {CONSENT_VERSION} ", None]),
    "how_heard": st.sampled_from(["", "a friend", None, "h" * 200]),
    "website": st.sampled_from(["", " "]),
    "redirect": st.sampled_from(["https://www.example.org/thanks", None]),
}
REQUIRED = ("name", "email", "state", "consent")


def _forms(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid form, the same with one or two fields changed or left out, or anything at all."""
    good = st.fixed_dictionaries(
        {name: GOOD[name] for name in fields if name in REQUIRED},
        optional={name: GOOD[name] for name in fields if name not in REQUIRED},
    )
    changed = st.dictionaries(st.sampled_from(fields), st.none(), max_size=2).flatmap(
        lambda keys: st.fixed_dictionaries({name: FIELD_VALUES[name] for name in keys})
    )
    dropped = st.sets(st.sampled_from(fields), max_size=1)
    one_off = st.builds(
        lambda base, new, gone: {k: v for k, v in {**base, **new}.items() if k not in gone}, good, changed, dropped
    )
    noisy = st.builds(
        lambda d, extra: {**d, **extra},
        st.fixed_dictionaries({}, optional={name: FIELD_VALUES[name] for name in fields}),
        st.one_of(st.just({}), EXTRA),
    )
    return st.one_of(good, one_off, one_off, noisy)


def _outcome(validate: Any, data: Any) -> tuple[str, Any]:
    try:
        form = validate(data)
    except Invalid as exc:
        return "invalid", list(exc.fields.items())
    values = form.model_dump() if hasattr(form, "model_dump") else dataclasses.asdict(form)
    return "valid", values


FEW = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(_forms(tuple(name for name, _, _ in SIGNUP_FIELDS)))
@example({"name": "Ann", "email": "Ann@Example.ORG", "state": "MT", "consent": "on"})
@example({"name": " Ann\x1f", "email": "ann@example.org", "state": "ID", "consent": True})
@example({"name": "Ann", "email": "ann@example.org", "state": "WA", "consent": "no", "phone": "1"})
def test_the_signup_validators_agree(data: dict[str, Any]) -> None:
    assert _outcome(check_signup, data) == _outcome(lambda d: validate_model(SignupForm, d), data)


@FEW
@given(_forms(tuple(name for name, _, _ in RESEND_FIELDS)))
@example({"email": "ann@example.org"})
@example({"email": " ann@b.c "})
def test_the_resend_validators_agree(data: dict[str, Any]) -> None:
    assert _outcome(check_resend, data) == _outcome(lambda d: validate_model(ResendForm, d), data)


@pytest.mark.parametrize("data", [None, [], "x", 3])
def test_a_body_that_is_not_an_object(data: Any) -> None:
    assert _outcome(check_signup, data) == _outcome(lambda d: validate_model(SignupForm, d), data)


def test_each_form_has_the_models_fields_in_their_order() -> None:
    """A field added to a model must be added to the cheap validator too (else it is refused there)."""
    for fields, model in ((SIGNUP_FIELDS, SignupForm), (RESEND_FIELDS, ResendForm)):
        assert [name for name, _, _ in fields] == list(model.model_fields)


# ---------------------------------------------------------------- the plain-address shortcut


def _email_validator(text: str) -> str | None:
    """normalize_email's answer through email-validator alone (the shortcut bypassed)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(checked.normalized).lower()


@settings(max_examples=1500, deadline=None)
@given(addresses())
@example("Ann.K+mbc@Example.ORG")
@example("a--b@xn--p1ai.org")
@example("ann@mail.local")
@example("ann@" + "a" * 64 + ".org")
@example("a" * 65 + "@example.org")
def test_the_shortcut_answers_as_email_validator(text: str) -> None:
    decided = plain_address(text)
    if decided is not None:
        assert decided == _email_validator(text)


def test_the_shortcut_decides_the_common_addresses() -> None:
    """Not vacuous: everyday addresses never reach email-validator."""
    for text in ("ann@example.org", "Ann.K+mbc@Example.ORG", "o'neil@mail.co.uk", "b_2@sub-1.example.com"):
        assert plain_address(text) == _email_validator(text) == text.lower()
    for text in ("ann@localhost", "ann@mail.test", "ann@xn--p1ai.org", "ann@b.c", "é@example.org", "a..b@x.org"):
        assert plain_address(text) is None


def test_the_special_use_names_are_email_validators() -> None:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    assert set(SPECIAL_USE_DOMAIN_NAMES) == SPECIAL_USE


@settings(max_examples=300, deadline=None)
@given(addresses())
def test_normalize_email_is_unchanged_by_the_shortcut(text: str) -> None:
    """The whole rule, with and without the shortcut: the same address or the same refusal."""
    import chalicelib.emails as emails

    def outcome() -> str:
        try:
            return normalize_email(text)
        except ValueError as exc:
            return f"refused: {exc}"

    with_shortcut = outcome()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(emails, "plain_address", lambda _text: None)
        assert outcome() == with_shortcut
