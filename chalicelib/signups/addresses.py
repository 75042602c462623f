"""One spelling per email address, and the keyed hashes that stand for it in keys and logs."""

from __future__ import annotations

import unicodedata

from chalicelib.signing import keyed_hash


def normalize_email(value: str) -> str:
    """Unicode NFC, no surrounding space, lower case; ValueError if it is not an address."""
    from email_validator import EmailNotValidError, validate_email

    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > 254:
        raise ValueError("Must be at most 254 characters.")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("Must be a valid email address.") from None
    return str(checked.normalized).lower()


def email_hash(email: str) -> str:
    return keyed_hash(email, "email")


def signup_id_for(group_id: str, email: str) -> str:
    return keyed_hash(f"{group_id}:{email}", "signup")[:32]
