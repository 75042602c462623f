"""The keyed hashes that stand for an email address in keys and logs (never the address itself)."""

from __future__ import annotations

from chalicelib.signing import keyed_hash


def email_hash(email: str) -> str:
    return keyed_hash(email, "email")


def signup_id_for(group_id: str, email: str) -> str:
    return keyed_hash(f"{group_id}:{email}", "signup")[:32]
