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


def _fold(part: str) -> str:
    """NFKC where it is safe: when it turns the text into plain ASCII (full-width letters)."""
    folded = unicodedata.normalize("NFKC", part)
    return folded if folded.isascii() else unicodedata.normalize("NFC", part)


def normalize_email(value: str) -> str:
    """The one spelling of an address; ValueError (with the reason) if it cannot be delivered."""
    from email_validator import EmailNotValidError, validate_email

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
