"""Changing the time a member lives on (meetings/zones.py): from her join page (her personal link
proves who she is) or by an organizer in the console (optimistic locking, with the activity entry
in the same transaction). Only the record's ``timezone`` changes: never its generation or link
revision, so her links keep working, and the delivery ledger (keyed by meeting, member and
message) never sends a message twice because her zone changed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from chalicelib.clock import Clock
from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.errors import Conflict, Invalid, NotFound, StaleVersion
from chalicelib.meetings.zones import MemberZone, parse_zone
from chalicelib.signups.records import LIVE_STATUSES, SignupRecord, SignupStatus
from chalicelib.signups.storage import SignupRepository

log = logging.getLogger("mbc.signups")

TRIES = 3
STALE = "This member was changed meanwhile; please look again."


def read_zone(value: object) -> MemberZone | None:
    """A posted zone, or a 400 naming the field."""
    try:
        return parse_zone(value)
    except ValueError as exc:
        raise Invalid(fields={"timezone": str(exc)}) from None


class MemberZones:
    def __init__(self, *, repo: SignupRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def set_zone(
        self,
        group_id: str,
        signup_id: str,
        zone: MemberZone | None,
        *,
        gen: str | None = None,
        version: int | None = None,
        statuses: tuple[SignupStatus, ...] = LIVE_STATUSES,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> SignupRecord:
        """Set her zone (None: "not sure", it follows her state again) while her signup is live.
        ``gen``: the signup a link was made for; ``version``: the version an organizer's page read
        (a record changed since is refused: StaleVersion). Without ``version``, a record that
        changed meanwhile (an approval, her own second click) is read again and the choice applied
        to it. Returns the record as it now stands."""
        for _ in range(1 if version is not None else TRIES):
            record = self.repo.get(group_id, signup_id) if 1 <= len(signup_id) <= 64 else None
            if record is None or record["status"] not in statuses or (gen is not None and record["gen"] != gen):
                raise NotFound("signup")
            if version is not None and int(record["version"]) != version:
                raise StaleVersion(STALE)
            when = self.clock.now().isoformat()
            tx = Transaction().add(
                "signup",
                self.repo.zone_item(
                    group_id,
                    signup_id,
                    zone=zone,
                    when=when,
                    statuses=statuses,
                    gen=record["gen"],
                    version=int(record["version"]),
                ),
            )
            for label, item in also:
                tx.add(label, item)
            try:
                tx.commit(self.repo.client)
            except TransactionCancelled as exc:
                if exc.failed("signup"):
                    continue  # changed meanwhile: look again (or, with a version, refuse)
                raise Conflict("This change could not be saved; please try again.") from None
            log.info("member zone set signup=%s", signup_id)
            updated: dict[str, Any] = {**record, "updated_at": when, "version": int(record["version"]) + 1}
            if zone:
                updated["timezone"] = zone
            else:
                updated.pop("timezone", None)
            return cast(SignupRecord, updated)
        raise StaleVersion(STALE)
