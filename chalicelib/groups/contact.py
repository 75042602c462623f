"""Who members can write to about a group: a named person and an address (the group's
``contact_name`` / ``contact_email`` settings, else the stage's reply-to or sender address)."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache

from chalicelib.groups.records import GroupRecord
from chalicelib.settings import Settings


@dataclass(frozen=True)
class Contact:
    name: str | None
    email: str

    @property
    def words(self) -> str:
        """'Maria Lopez (maria@example.org)', or the address alone."""
        return f"{self.name} ({self.email})" if self.name else self.email


def contact_of(group: GroupRecord | None, settings: Settings) -> Contact:
    name = (group.get("contact_name") if group else None) or None
    email = group.get("contact_email") if group else None
    if email:
        return Contact(name, str(email))
    return Contact(name, _address(settings.mail_reply_to or settings.mail_from))


@lru_cache(maxsize=8)
def _address(header: str) -> str:
    """The address in a From or Reply-To value ('MBC Network <hello@example.org>'): parsed once."""
    return parseaddr(header)[1]
