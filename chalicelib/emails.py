"""The one rule for email addresses, shared by every model, the CLI and the bounce handler.

Trimmed; Unicode NFC; full-width and other compatibility forms folded with NFKC where that gives
plain ASCII (a full-width ``user@example.com`` is the plain one), and the domain always;
lower case; valid by RFC 5322/6531 (email-validator, without DNS); a domain with a dot and a
top-level domain of two or more letters (or an IDN ``xn--`` label), so ``a@b.c`` and
``a@localhost`` are refused: nothing can be delivered there. "=?" is refused (an encoded word in a
header). (docs/api.md "Email addresses")
"""

from __future__ import annotations

import re
import unicodedata

_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")

# The common address decided without email-validator (its import compiles Unicode-wide regexes:
# about 30 ms of a cold signup): plain ASCII, a dot-atom local part of at most 64 characters, a
# domain of letters, digits and inner hyphens with a letters-only top-level domain that is not a
# special-use name, no Punycode and no "--". Anything else goes to email-validator. For the
# addresses it decides, the answer is email-validator's (tests/unit/test_public_forms.py, on
# generated addresses); SPECIAL_USE is email_validator.SPECIAL_USE_DOMAIN_NAMES (pinned by a test).
_ATEXT = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]"
_PLAIN_ADDRESS = re.compile(
    rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}"
)
SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def plain_address(text: str) -> str | None:
    """``text`` in its one spelling when it is a plain address this module can decide alone, else None."""
    if not text.isascii() or _PLAIN_ADDRESS.fullmatch(text) is None:
        return None
    local, _, domain = text.rpartition("@")
    labels = domain.split(".")
    if len(local) > 64 or len(domain) > 253 or "--" in domain or max(map(len, labels)) > 63:
        return None
    if labels[-1].lower() in SPECIAL_USE:
        return None
    return text.lower()


def _fold(part: str) -> str:
    """NFKC where it is safe: when it turns the text into plain ASCII (full-width letters)."""
    folded = unicodedata.normalize("NFKC", part)
    return folded if folded.isascii() else unicodedata.normalize("NFC", part)


def normalize_email(value: str) -> str:
    """The one spelling of an address; ValueError (with the reason) if it cannot be delivered."""
    text = value.strip()
    if not text:
        raise ValueError("Please fill this in.")  # an empty field is not a wrong address
    local, at, domain = text.rpartition("@")
    text = f"{_fold(local)}{at}{unicodedata.normalize('NFKC', domain)}" if at else _fold(text)
    if len(text) > 254:
        raise ValueError("Must be at most 254 characters.")
    if "=?" in text:
        # Valid in a local part, but a mail library reads it as an RFC 2047 encoded word in To: or
        # Reply-To: (where "=0D=0A" becomes a line break): no one's real address needs it.
        raise ValueError('Must be a valid email address (without "=?").')
    plain = plain_address(text)
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("Must be a valid email address.") from None
    normalized = str(checked.normalized).lower()
    ascii_domain = str(checked.ascii_domain or checked.domain).lower()
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not _TLD.match(labels[-1]):
        raise ValueError("Must be a valid email address with a full domain name, such as example.org.")
    return normalized
