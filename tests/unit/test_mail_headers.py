"""The mail layer's own defence against header injection, whatever the interpreter (issue 19, §4).

Python 3.12.1's email package writes an RFC 2047 encoded word holding "=0D=0A" out as a raw line
break (CVE-2024-6923, fixed in later patch releases). ``to_mime`` never hands it one, and checks the
bytes it generated: exactly the header fields it set, each line ended by CR LF.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import Invalid
from chalicelib.mail.message import (
    OutgoingEmail,
    UnsafeHeader,
    check_header_lines,
    header_text,
    to_mime,
)
from chalicelib.organizers.keys import OrganizerService
from chalicelib.validation import SINGLE_LINE_PATTERN, refused_character

INJECTION = "=?utf-8?q?Hi=0D=0ABcc:_evil@evil.example.org?="
FRAGMENTS = [
    INJECTION,
    "=?UTF-8?B?SGkNCkJjYzogZXZpbEBldmlsLmV4YW1wbGUub3Jn?=",
    "\r\nBcc: evil@evil.example.org",
    "\nX-Evil: 1",
    "\rX-Evil: 1",
    "\u2028X-Evil: 1",
    "\u2029X-Evil: 1",
    "\x85X-Evil: 1",
    "\x0cX-Evil: 1",
    "=?",
    "é",
]
texts = st.lists(st.one_of(st.text(max_size=30), st.sampled_from(FRAGMENTS)), max_size=5).map("".join)
SENDER = "MBC Connect <no-reply@example.org>"
SET_HEADERS = ["from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"]
MIME_HEADERS = ["mime-version", "content-type"]


def names(raw: bytes) -> list[str]:
    """Header names as a strict receiver reads them: any CR or LF ends a line."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [
        line.split(b":", 1)[0].decode("latin-1").lower()
        for line in re.split(rb"\r\n|\r|\n", head)
        if line[:1] not in (b" ", b"\t")
    ]


def mail(subject: str, to: str = "ann@example.org") -> OutgoingEmail:
    return OutgoingEmail(
        to=to, subject=subject, text="Hello", html="<p>Hello</p>", unsubscribe_url="https://api.example.org/u?t=1"
    )


def test_an_encoded_word_with_a_line_break_adds_no_header() -> None:
    raw = to_mime(mail(f"Welcome to the {INJECTION}"), SENDER, None).as_bytes()
    assert sorted(names(raw)) == sorted(SET_HEADERS + MIME_HEADERS)
    assert b"\r\nBcc:" not in raw


@settings(max_examples=300)
@given(subject=texts)
def test_any_subject_keeps_exactly_the_headers_set(subject: str) -> None:
    raw = to_mime(mail(subject), SENDER, "help@example.org").as_bytes()
    assert sorted(names(raw)) == sorted([*SET_HEADERS, "reply-to", *MIME_HEADERS])


@settings(max_examples=200)
@given(local=texts)
def test_an_address_that_could_break_a_line_is_refused_not_sent(local: str) -> None:
    try:
        raw = to_mime(mail("Hello", to=f"a{local}@example.org"), SENDER, None).as_bytes()
    except UnsafeHeader:
        return  # not built: nothing can be sent
    assert sorted(names(raw)) == sorted(SET_HEADERS + MIME_HEADERS)


def test_group_syntax_the_email_package_cannot_parse_is_refused_not_raised() -> None:
    # Found by Hypothesis: the email package raises AttributeError on this address.
    with pytest.raises(UnsafeHeader):
        to_mime(mail("Hello", to="a:;@example.org"), SENDER, None)


@given(text=texts)
def test_header_text_holds_no_break_and_no_encoded_word(text: str) -> None:
    safe = header_text(text)
    assert "=?" not in safe
    assert not any(ch in safe for ch in "\r\n\x85\u2028\u2029\x0b\x0c")


def test_the_bytes_check_catches_an_added_line_or_a_bare_break() -> None:
    good = b"From: a@example.org\r\nSubject: Hi\r\n continued\r\n\r\nbody\r\n"
    check_header_lines(good, ["From", "Subject"])
    with pytest.raises(UnsafeHeader):
        check_header_lines(
            b"From: a@example.org\r\nSubject: Hi\r\nBcc: e@evil.example.org\r\n\r\n", ["From", "Subject"]
        )
    with pytest.raises(UnsafeHeader):
        check_header_lines(b"From: a@example.org\r\nSubject: Hi\nBcc: e@evil.example.org\r\n\r\n", ["From", "Subject"])
    with pytest.raises(UnsafeHeader):
        check_header_lines(b"From: a@example.org\r\nSubject: Hi\rBcc: x\r\n\r\n", ["From", "Subject"])


@pytest.mark.parametrize(
    "text",
    [INJECTION, "Group =?x", "a=?", "Line\u2028break", "Next\x85line", "Tab\x0bbed", "Bell\x07", "Rtl\u202eoverride"],
)
def test_single_line_text_refuses_encoded_words_and_breaks_in_validation_and_schema(text: str) -> None:
    assert refused_character(text) is not None
    assert re.match(SINGLE_LINE_PATTERN, text) is None


@pytest.mark.parametrize("text", ["Ann = Bob", "a==b", "Why? Because", "2+2=4?", "= ?", "Café ✓"])
def test_single_line_text_keeps_ordinary_equals_and_question_marks(text: str) -> None:
    assert refused_character(text) is None
    assert re.fullmatch(SINGLE_LINE_PATTERN, text) is not None


class _Clock:
    def now(self) -> object:
        from datetime import UTC, datetime

        return datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize("name", [f"Dana {INJECTION}", "Dana\u2028Cc: x", "Dana\x85"])
def test_an_organizer_name_that_could_reach_a_header_is_refused(name: str) -> None:
    service = OrganizerService(repo=None, clock=_Clock())  # type: ignore[arg-type]
    with pytest.raises(Invalid) as caught:
        service.record(name=name, email="dana@example.org")
    assert list(caught.value.fields) == ["name"]
