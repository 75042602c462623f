"""Organizers adding members by hand, one at a time (a list: ``importing.py`` and ``imports.py``).

Each person added becomes a signup in ``pending_confirmation`` with consent recorded as given to the
organizer (``consent_source: "organizer"``, ``added_by``, ``consent_at``), and gets the confirmation
email through the outbox in the same transaction. Nobody is sent the link before they confirm; when
they do, the adder's choice counts as the approval (docs/console.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.errors import Conflict
from chalicelib.signups.addresses import email_hash, signup_id_for
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.signups.core import PENDING_TTL
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.service import SignupService
from chalicelib.validation import refused_character

log = logging.getLogger("mbc.signups")

STATES = {"ID": "ID", "IDAHO": "ID", "MT": "MT", "MONTANA": "MT"}


@dataclass
class Person:
    name: str
    email: str
    state: str
    # The time she lives on, when she said (meetings/zones.py); None: it follows her state.
    timezone: str | None = None


def check_person(name: str, email: str, state: str) -> tuple[Person | None, dict[str, str]]:
    """One person's details, checked as the signup form checks them."""
    from chalicelib.emails import normalize_email

    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        errors["name"] = "Give a name of 1 to 100 characters."
    elif refused_character(name):
        errors["name"] = "Use letters, spaces and punctuation only."
    elif name[0] in "=+-@|%":
        errors["name"] = "A name cannot start with = + - @ | or %."
    try:
        normalized = normalize_email(email)
    except ValueError as exc:
        errors["email"] = str(exc)
        normalized = ""
    code = STATES.get(state.strip().upper())
    if code is None:
        errors["state"] = "Choose Idaho or Montana."
    if errors:
        return None, errors
    return Person(name, normalized, cast(str, code)), {}


class SignupAdmin:
    def __init__(self, signups: SignupService) -> None:
        self.signups = signups

    def add(
        self, group_id: str, person: Person, *, added_by: str, also: Sequence[tuple[str, dict[str, Any]]] = ()
    ) -> SignupRecord:
        """Add one person (pending their confirmation); Conflict if the address is already in the group."""
        service = self.signups
        group = service.groups.get(group_id)
        now = service.clock.now()
        if service.repo.is_suppressed(email_hash(person.email)):
            raise Conflict(
                "Emails to this address bounced or were marked as spam, so we cannot add it.",
                fields={"email": "This address cannot receive our emails."},
            )
        record = cast(
            SignupRecord,
            {
                "id": signup_id_for(group["id"], person.email),
                "group_id": group["id"],
                "email": person.email,
                "name": person.name,
                "state": person.state,
                "status": "pending_confirmation",
                "consent_at": now.isoformat(),
                "consent_version": CONSENT_VERSION,
                "consent_source": "organizer",
                "added_by": added_by,
                "created_at": now.isoformat(),
                "updated_at": now.isoformat(),
                "gen": str(int(now.timestamp() * 1000)),
                "expires_at": int((now + ADDED_TTL).timestamp()),
                "version": 1,
                **({"timezone": person.timezone} if person.timezone else {}),
            },
        )
        # A record it replaces (the person left): its personal link's row goes with it.
        existing = service.repo.get(group["id"], record["id"])
        tx = Transaction()
        service.add_new_record(tx, record, existing, now=now)
        service._promise(tx, "mail", "confirm", now, group["id"], record, limit="daily")
        for label, item in also:
            tx.add(label, item)
        try:
            tx.commit(service.repo.client)
        except TransactionCancelled as exc:
            if exc.failed("erasure"):
                raise Conflict(
                    "This person's data is being erased right now; add them again in a few minutes.",
                    fields={"email": "Being erased; try again in a few minutes."},
                ) from None
            if exc.failed("signup"):
                raise Conflict(
                    "This address is already in the group (or waiting to confirm).",
                    fields={"email": "Already in the group."},
                ) from None
            raise
        log.info("member added by organizer signup=%s by=%s", record["id"], added_by)
        return record


# An organizer-added person has as long as a signup to confirm.
ADDED_TTL: timedelta = PENDING_TTL
