"""The signups feature's shared core: its dependencies, the outbox promise every state change
uses, and the record lookups. The service is composed of its responsibilities: ``intake.py``
(the form and "send me the link again"), ``membership.py`` (confirming, approving, declining,
leaving), ``erasure.py`` (deleting a person's data); ``service.py`` puts them together.

Privacy rules the feature keeps:
- the signup POST does the same work whatever the address's state (it stores the form; the
  outbox's handler processes it), so neither its answer nor its timing reveals who applied;
- every email a state change promises is an outbox item written in the same transaction as the
  change (``chalicelib/outbox/promise.py``): a request that fails has sent nothing;
- logs carry signup ids (keyed hashes) and counts, never names, addresses or tokens;
- erasure deletes every row about the person except a keyed hash needed for suppression, and can
  always be finished: it starts by writing a marker in the same transaction that deletes the
  record, and the marker goes last (``erasure.py``; the scheduled run finishes interrupted ones).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from chalicelib.clock import Clock
from chalicelib.db import Transaction
from chalicelib.errors import NotFound
from chalicelib.groups.service import GroupService
from chalicelib.outbox.promise import promised_email, promised_id
from chalicelib.outbox.records import AddressLimit
from chalicelib.settings import Settings
from chalicelib.signups.records import (
    PUBLIC_FIELDS,
    PublicSignup,
    SignupRecord,
)
from chalicelib.signups.storage import SignupRepository

if TYPE_CHECKING:
    from chalicelib.organizers.records import OrganizerRecord

PENDING_TTL = timedelta(days=7)
INTAKE_TTL = timedelta(days=1)
# Outbox items are kept 30 days after they finish; the references to them a little longer.
MEMBER_REF_TTL = timedelta(days=45)
# (group_id, signup_id): erase what other features hold about the person (the delivery ledger).
ErasureHook = Callable[[str, str], object]
# A member's personal-link row (a transaction item), written when they become active; and the
# transaction item that deletes it (when the record restarts, the old link's row goes with it).
LinkItem = Callable[[SignupRecord], dict[str, Any]]
# Legacy activity entries that name the person in their text: (group_id, name) -> rewritten count.
ActivityScrub = Callable[[str, str], int]
PROCESS_TRIES = 3


class SignupCore:
    """What every part of the service shares: the dependencies the container wires, the emails a
    change promises, and reading one record."""

    def __init__(
        self,
        *,
        repo: SignupRepository,
        groups: GroupService,
        organizers_for_group: Callable[[str], list[OrganizerRecord]],
        settings: Settings,
        clock: Clock,
        on_erased: ErasureHook | None = None,
        join_link_item: LinkItem | None = None,
        forget_join_link: Callable[[SignupRecord], object] | None = None,
        forget_join_link_item: LinkItem | None = None,
        scrub_activity: ActivityScrub | None = None,
        origin_allowed: Callable[[str], bool] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.repo = repo
        self.groups = groups
        # Who hears about a group's waiting signups (OrganizerService.for_group): a function, so a
        # member's request that never tells them builds no organizers' service (cold start).
        self.organizers_for_group = organizers_for_group
        self.settings = settings
        self.clock = clock
        self.on_erased = on_erased
        self.join_link_item = join_link_item
        self.forget_join_link = forget_join_link
        self.forget_join_link_item = forget_join_link_item
        self.scrub_activity = scrub_activity
        self.sleep = sleep or _sleep
        # Website origins: the deploy-time list, or (wired by the container) that plus the stored one.
        self.origin_allowed = origin_allowed or (lambda o: o in {w.lower() for w in settings.website_origins})

    def _promise(
        self,
        tx: Transaction,
        label: str,
        kind: str,
        now: datetime,
        group_id: str,
        record: SignupRecord | None = None,
        *,
        limit: AddressLimit | None = None,
        proposal: str | None = None,
        organizer_id: str | None = None,
        fallback: str | None = None,
        ref: str | None = None,
    ) -> None:
        """Add an outbox item to the transaction, and (if it is about a member) its reference in
        the member's own partition, so erasure finds it."""
        item = promised_email(
            table=self.repo.table,
            kind=kind,
            now=now,
            group_id=group_id,
            signup_id=record["id"] if record is not None else None,
            gen=record["gen"] if record is not None else None,
            limit=limit,
            proposal=proposal,
            organizer_id=organizer_id,
            fallback=fallback,
            ref=ref,
        )
        tx.add(label, item)
        if record is not None:
            outbox_id = promised_id(item)
            expires = int((now + MEMBER_REF_TTL).timestamp())
            tx.add(label + "_ref", self.repo.member_ref_item(group_id, record["id"], outbox_id, expires_at=expires))

    def _existing(self, group_id: str, signup_id: str) -> SignupRecord:
        record = self.repo.get(group_id, signup_id) if 1 <= len(signup_id) <= 64 else None
        if record is None:
            raise NotFound("signup")
        return record

    def get(self, group_id: str, signup_id: str) -> SignupRecord | None:
        """The record as stored (consistent read), or None."""
        return self.repo.get(group_id, signup_id)


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def public_record(record: SignupRecord) -> PublicSignup:
    values: dict[str, Any] = dict(record)
    return cast(PublicSignup, {k: values.get(k) for k in PUBLIC_FIELDS})
