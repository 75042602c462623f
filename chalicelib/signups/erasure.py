"""Erasure: every row about a person in a group, resumable and idempotent (docs/architecture.md,
"Erasure: rows a person owns"; docs/operations.md)."""

from __future__ import annotations

import logging
from typing import cast

from chalicelib.errors import Conflict, NotFound
from chalicelib.signups.addresses import email_hash
from chalicelib.signups.core import PROCESS_TRIES, SignupCore
from chalicelib.signups.links import MemberLink
from chalicelib.signups.records import (
    ErasureRecord,
    SignupRecord,
)

log = logging.getLogger("mbc.signups")


class SignupErasure(SignupCore):
    def erase_self(self, member: MemberLink) -> None:
        """The link proves the mailbox: erase the person's current signup in this group."""
        self.erase(member.group_id, member.signup_id)

    def erase(self, group_id: str, signup_id: str) -> bool:
        """Every row about the person in this group; False if there was nothing to erase.

        Resumable and idempotent: the record is deleted in the same transaction that writes the
        erasure's marker (keys and hashes only), every later step deletes by key and may be
        repeated, and the marker goes last. A call after an interruption (the link again, the
        organizer, or the scheduled run) finishes the work."""
        if not 1 <= len(signup_id) <= 64:
            return False  # no signup has such an id
        found = False
        for _ in range(PROCESS_TRIES):
            record = self.repo.get(group_id, signup_id)
            if record is None:
                break
            if self.scrub_activity is not None:
                # Entries written before the log kept people by id name her in their text.
                self.scrub_activity(group_id, record["name"])
            marker: ErasureRecord = {
                "group_id": group_id,
                "signup_id": signup_id,
                "address_hash": email_hash(record["email"]),
                "gen": record["gen"],
                "link_rev": int(record.get("link_rev", 0)),
                "started_at": self.clock.now().isoformat(),
            }
            if self.repo.start_erasure(marker, version=int(record["version"])):
                found = True
                break
        else:
            raise Conflict("This signup is changing right now; please try again.")
        marker_found = self.repo.erasure(group_id, signup_id)
        if marker_found is None:
            log.info("signup erased signup=%s found=%s", signup_id, found)
            return found
        self._finish_erasure(marker_found)
        log.info("signup erased signup=%s found=True resumed=%s", signup_id, not found)
        return True

    def _finish_erasure(self, marker: ErasureRecord) -> None:
        """Every step deletes by key (or a consistent Query of a partition the person owns, or the
        member index for rows old enough to be in it) and may run again."""
        group_id, signup_id = marker["group_id"], marker["signup_id"]
        if self.forget_join_link is not None:
            # The personal link's lookup row, by the key the generation and revision give.
            stub = {"group_id": group_id, "id": signup_id, "gen": marker["gen"], "link_rev": marker["link_rev"]}
            self.forget_join_link(cast(SignupRecord, stub))
        if self.on_erased is not None:
            self.on_erased(group_id, signup_id)  # delivery ledger, openings, announcements, link rows
        self.repo.erase_member_refs(group_id, signup_id)  # outbox items about her
        self.repo.delete_address_counters(marker["address_hash"])
        self.repo.delete_intake(marker["address_hash"], group_id, received_before=marker["started_at"])
        self.repo.finish_erasure(group_id, signup_id)

    def finish_erasures(self) -> int:
        """The scheduled run: finish every erasure an interruption left (each marker read again)."""
        finished = 0
        for listed in self.repo.pending_erasures():
            marker = self.repo.erasure(listed["group_id"], listed["signup_id"])
            if marker is None:
                continue  # finished meanwhile (the index lags the deletion)
            self._finish_erasure(marker)
            finished += 1
        if finished:
            log.info("interrupted erasures finished count=%d", finished)
        return finished

    def erase_for_organizer(self, group_id: str, signup_id: str) -> None:
        self.groups.get(group_id)
        if not self.erase(group_id, signup_id):
            raise NotFound("signup")
