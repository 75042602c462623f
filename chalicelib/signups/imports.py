"""Importing an organizer's existing list: a checked draft, then the people added in the
background, a chunk at a time, by the outbox (docs/console.md "Import a list").

1. ``draft``: the parsed list (``importing.py``) is compared with the group's records and kept as
   a draft job: the people to add in chunks, and every row that will be skipped with why. Nothing
   is sent; nobody is added.
2. ``commit``: one transaction turns the draft (at the version the organizer saw) into an import
   under way, with the organizer's choices (add them as members, recording the basis of their
   consent and since when; or invite them to confirm), the activity entry, and the outbox item
   for the first chunk. A commit that fails has written and sent nothing.
3. ``process_chunk`` (the outbox's handler of ``member_import`` items): adds each person of one
   chunk in their own transaction (the record, their personal link, the email through the outbox),
   then, in one transaction, marks the chunk done (dropping its people, keeping the skipped rows
   and why), counts it on the job, and writes the outbox item for the next chunk. Idempotent and
   resumable: a person already added by this import counts as added; a chunk already done is not
   done again; a handler that dies is retried by the outbox (the sweep) and carries on.
   Chunks follow one another no faster than half the SES sending rate, so an import's emails
   leave room for everyone else's; each person's email also takes the address's daily slot.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from chalicelib.clock import Clock
from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.outbox.promise import promised_email
from chalicelib.outbox.records import OutboxRecord
from chalicelib.settings import Settings
from chalicelib.signups.addresses import email_hash, signup_id_for
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.signups.core import PENDING_TTL
from chalicelib.signups.import_storage import ImportRepository
from chalicelib.signups.importing import ParsedList
from chalicelib.signups.records import (
    ImportChunk,
    ImportJob,
    ImportMode,
    ImportPerson,
    ImportSkip,
    SignupRecord,
)
from chalicelib.signups.service import SignupService

log = logging.getLogger("mbc.signups")

CHUNK_SIZE = 25
SKIPPED_PER_ITEM = 200
IMPORT_DRAFT_TTL = timedelta(days=2)
IMPORT_RESULT_TTL = timedelta(days=7)
# The basis of consent an organizer records for people who asked to join: key -> (console, email).
BASES: dict[str, tuple[str, str]] = {
    "asked_coordinator": ("They asked the coordinator to join", "you asked the coordinator to join the group"),
    "signup_form": ("They signed up on a paper or online form before this system", "you signed up for the group"),
    "came_to_meetings": ("They have been coming to the meetings", "you have been coming to the group's meetings"),
}
MODES: tuple[ImportMode, ...] = ("members", "invite")
EARLIEST_BASIS = date(1990, 1, 1)
# A zone hint of the list -> the member's own time (the record's ``timezone``, meetings/zones.py).
HINT_ZONES = {"pacific": "America/Los_Angeles", "mountain": "America/Denver"}
MAIL_KIND = {"members": "new_system", "invite": "confirm"}

SKIP_WHY = {
    "active": "Already a member.",
    "pending_approval": "Already signed up: waiting for your approval (see Waiting).",
    "pending_confirmation": "Already signed up: has not confirmed their address yet.",
    "unsubscribed": "Left the group: only they can join again (with the signup form).",
    "rejected": "Was declined earlier.",
    "bounced": "Emails to this address bounced.",
    "suppressed": "Emails to this address bounced or were marked as spam.",
    "erasing": "Their data is being erased right now.",
}


class ImportService:
    def __init__(
        self,
        *,
        repo: ImportRepository,
        signups: SignupService,
        settings: Settings,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.signups = signups
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.monotonic = monotonic

    # ---------------------------------------------------------------- 1. the draft

    def draft(self, group_id: str, parsed: ParsedList, *, by: str) -> ImportJob:
        """Keep the checked list as a draft (nobody added, nothing sent); the job, to show."""
        self.signups.groups.get(group_id)
        now = self.clock.now()
        known = {record["id"]: record for record in self.signups.members(group_id)}
        people: list[ImportPerson] = []
        skipped: list[ImportSkip] = []
        for row in parsed.rows:
            raw = row.raw
            if row.person is None:
                skipped.append(_skip(row.line, raw["name"], raw["email"], row.why, "problem"))
                continue
            person = row.person
            existing = known.get(signup_id_for(group_id, person.email))
            why = _already(existing, now)
            if why is not None:
                skipped.append(_skip(row.line, person.name, person.email, why, "already"))
                continue
            entry: ImportPerson = {"line": row.line, "name": person.name, "email": person.email, "state": person.state}
            if person.zone_hint:
                entry["zone_hint"] = person.zone_hint
            people.append(entry)
        job_id = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        chunks = [
            cast(ImportChunk, {"number": n, "status": "pending", "people": people[i : i + CHUNK_SIZE], "skipped": []})
            for n, i in enumerate(range(0, len(people), CHUNK_SIZE))
        ]
        job: ImportJob = {
            "id": job_id,
            "group_id": group_id,
            "status": "draft",
            "created_at": now.isoformat(),
            "created_by": by,
            "rows": len(parsed.rows),
            "ready": len(people),
            "problems": sum(1 for s in skipped if s["kind"] == "problem"),
            "already": sum(1 for s in skipped if s["kind"] == "already"),
            "chunks": len(chunks),
            "encoding": parsed.encoding,
            "notes": list(parsed.notes),
            "expires_at": int((now + IMPORT_DRAFT_TTL).timestamp()),
            "version": 1,
        }
        parts = [skipped[i : i + SKIPPED_PER_ITEM] for i in range(0, len(skipped), SKIPPED_PER_ITEM)]
        self.repo.put_draft(job, chunks, parts)
        log.info(
            "import drafted job=%s group=%s rows=%d ready=%d skipped=%d",
            job_id,
            group_id,
            job["rows"],
            len(people),
            len(skipped),
        )
        return job

    def job(self, group_id: str, job_id: str) -> ImportJob:
        found = self.repo.job(group_id, job_id) if _plausible(job_id) else None
        if found is None:
            raise NotFound("import")
        return found

    def jobs(self, group_id: str) -> list[ImportJob]:
        return self.repo.jobs(group_id)

    def rows(self, group_id: str, job_id: str) -> tuple[list[ImportPerson], list[ImportSkip]]:
        """The people still to add (in file order) and every row skipped so far, refused first."""
        chunks, skipped = self.repo.rows(group_id, job_id)
        people = [p for c in chunks for p in c.get("people", [])]
        later = [s for c in chunks for s in c.get("skipped", [])]
        order = {"problem": 0, "already": 1, "skipped": 1}
        every = sorted([*skipped, *later], key=lambda s: (order.get(s["kind"], 2), s["line"]))
        return people, every

    # ---------------------------------------------------------------- 2. the organizer's go-ahead

    def check_choices(self, mode: str, basis: str, basis_on: str) -> tuple[ImportMode, str | None, str | None]:
        """The import form's choices, or Invalid naming each bad field."""
        errors: dict[str, str] = {}
        if mode not in MODES:
            errors["mode"] = "Please choose how these people joined."
        if mode == "members":
            if basis not in BASES:
                errors["basis"] = "Please choose how they asked to join."
            try:
                day = date.fromisoformat(basis_on.strip())
            except ValueError:
                errors["basis_on"] = "Please give the date (about) they asked, such as 2024-03-01."
            else:
                today = self.clock.now().date()
                if day > today:
                    errors["basis_on"] = "Please give a date that has passed."
                elif day < EARLIEST_BASIS:
                    errors["basis_on"] = f"Please give a date after {EARLIEST_BASIS.year}."
        if errors:
            raise Invalid(fields=errors)
        if mode == "members":
            return "members", basis, basis_on.strip()
        return "invite", None, None

    def commit(
        self,
        group_id: str,
        job_id: str,
        *,
        version: int,
        mode: ImportMode,
        basis: str | None,
        basis_on: str | None,
        by: str,
        also: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> ImportJob:
        """Start adding the draft's people (one transaction, with ``also``; the first chunk's outbox
        item in it). Conflict if it is no longer the draft the organizer saw."""
        job = self.job(group_id, job_id)
        if job["status"] != "draft" or job["version"] != version:
            raise Conflict("This list was already added (or changed); see what happened below.")
        now = self.clock.now()
        sets: dict[str, Any] = {
            "status": "adding" if job["chunks"] else "done",
            "mode": mode,
            "committed_at": now.isoformat(),
            "committed_by": by,
            "added": 0,
            "skipped": 0,
            "chunks_done": 0,
            "expires_at": int((now + IMPORT_RESULT_TTL).timestamp()),
        }
        if basis is not None and basis_on is not None:
            sets.update(basis=basis, basis_on=basis_on)
        if not job["chunks"]:
            sets["finished_at"] = now.isoformat()
        tx = Transaction().add("job", self.repo.start_item(group_id, job_id, version=version, sets=sets))
        if job["chunks"]:
            tx.add("next", self._chunk_item(now, group_id, job_id, 0))
        for label, item in also:
            tx.add(label, item)
        try:
            tx.commit(self.signups.repo.client)
        except TransactionCancelled as exc:
            if exc.failed("job"):
                raise Conflict("This list was already added (or changed); see what happened below.") from None
            raise
        log.info("import started job=%s group=%s mode=%s chunks=%d", job_id, group_id, mode, job["chunks"])
        return cast(ImportJob, {**job, **sets, "version": version + 1})

    def discard(self, group_id: str, job_id: str) -> None:
        """Forget a draft, or a finished import's list of skipped rows (never one under way)."""
        job = self.job(group_id, job_id)
        if job["status"] == "adding":
            raise Conflict("This list is being added right now; forget it once it is done.")
        self.repo.delete(group_id, job_id)
        log.info("import forgotten job=%s group=%s", job_id, group_id)

    # ---------------------------------------------------------------- 3. in the background

    def process_chunk(self, item: OutboxRecord) -> list[Any]:
        """The outbox's handler of ``member_import``: add one chunk, then queue the next. Sends no
        email itself (each person's is their own outbox item), so it always answers [] (done)."""
        started = self.monotonic()
        group_id = item["group_id"]
        job_id, _, number_text = item.get("ref", "").partition(":")
        job = self.repo.job(group_id, job_id) if _plausible(job_id) else None
        if job is None or job["status"] != "adding" or not number_text.isdigit():
            return []
        number = int(number_text)
        chunk = self.repo.chunk(group_id, job_id, number)
        if chunk is None or chunk["status"] != "pending":
            return []  # done already (its transaction queued the next one)
        added = 0
        skipped: list[ImportSkip] = []
        for person in chunk["people"]:
            why = self._add(group_id, person, job)
            if why is None:
                added += 1
            else:
                skipped.append(_skip(person["line"], person["name"], person["email"], why, "skipped"))
        now = self.clock.now()
        last = number + 1 >= job["chunks"]
        expires = int((now + IMPORT_RESULT_TTL).timestamp())
        tx = Transaction()
        tx.add(
            "chunk",
            self.repo.chunk_done_item(group_id, job_id, number, skipped=skipped, added=added, expires_at=expires),
        )
        tx.add(
            "job",
            self.repo.progress_item(
                group_id,
                job_id,
                added=added,
                skipped=len(skipped),
                finished_at=now.isoformat() if last else None,
                expires_at=expires,
            ),
        )
        if not last:
            tx.add("next", self._chunk_item(now, group_id, job_id, number + 1))
        # The pace: one chunk's emails at no more than half the sending rate.
        wait = len(chunk["people"]) / max(1.0, self.settings.max_send_rate / 2) - (self.monotonic() - started)
        if wait > 0 and not last:
            self.sleep(wait)
        try:
            tx.commit(self.signups.repo.client)
        except TransactionCancelled as exc:
            if exc.failed("chunk"):
                return []  # another run finished it meanwhile
            raise
        log.info(
            "import chunk added job=%s chunk=%d added=%d skipped=%d last=%s", job_id, number, added, len(skipped), last
        )
        return []

    def _chunk_item(self, now: datetime, group_id: str, job_id: str, number: int) -> dict[str, Any]:
        """The outbox item that has the background add one chunk (no email of its own)."""
        return promised_email(
            table=self.signups.repo.table, kind="member_import", now=now, group_id=group_id, ref=f"{job_id}:{number}"
        )

    def _add(self, group_id: str, person: ImportPerson, job: ImportJob) -> str | None:
        """Add one person (their own transaction: record, link, email). None when added (now, or by
        an earlier try of this import), else why they were skipped."""
        service = self.signups
        repo = service.repo
        if repo.is_suppressed(email_hash(person["email"])):
            return SKIP_WHY["suppressed"]
        now = self.clock.now()
        mode = job.get("mode", "invite")
        record = self._record(group_id, person, job, now)
        existing = repo.get(group_id, record["id"])
        if existing is not None and existing.get("import_job") == job["id"]:
            return None  # added by an earlier try of this chunk
        why = _already(existing, now)
        if why is not None:
            return why
        tx = Transaction()
        tx.add("signup", repo.imported_record_item(record, now_epoch=int(now.timestamp())))
        tx.add("erasure", repo.no_erasure_item(group_id, record["id"]))
        if existing is not None and service.forget_join_link_item is not None:
            tx.add("old_link", service.forget_join_link_item(existing))
        if mode == "members" and service.join_link_item is not None:
            tx.add("join_link", service.join_link_item(record))
        service._promise(tx, "mail", MAIL_KIND[mode], now, group_id, record, limit="daily")
        try:
            tx.commit(repo.client)
        except TransactionCancelled as exc:
            if exc.failed("erasure"):
                return SKIP_WHY["erasing"]
            if exc.failed("signup"):
                current = repo.get(group_id, record["id"])
                if current is not None and current.get("import_job") == job["id"]:
                    return None
                return _already(current, now) or SKIP_WHY["active"]
            raise
        return None

    def _record(self, group_id: str, person: ImportPerson, job: ImportJob, now: datetime) -> SignupRecord:
        stamp = now.isoformat()
        values: dict[str, Any] = {
            "id": signup_id_for(group_id, person["email"]),
            "group_id": group_id,
            "email": person["email"],
            "name": person["name"],
            "state": person["state"],
            "consent_at": stamp,
            "consent_version": CONSENT_VERSION,
            "consent_source": "organizer_import",
            "added_by": job.get("committed_by", job["created_by"]),
            "import_job": job["id"],
            "created_at": stamp,
            "updated_at": stamp,
            "gen": str(int(now.timestamp() * 1000)),
            "version": 1,
        }
        if person.get("zone_hint") in HINT_ZONES:
            # The list said which part of Idaho ("ID (north)", "Coeur d'Alene, ID", a time-zone
            # column): the time she lives on, as the signup form's choice would record it.
            values["timezone"] = HINT_ZONES[str(person.get("zone_hint"))]
        if job.get("mode") == "members":
            values.update(
                status="active",
                consent_basis=job.get("basis", ""),
                consent_basis_on=job.get("basis_on", ""),
                approved_at=stamp,
                approved_by=values["added_by"],
            )
        else:
            values.update(status="pending_confirmation", expires_at=int((now + PENDING_TTL).timestamp()))
        return cast(SignupRecord, values)


def _skip(line: int, name: str, email: str, why: str, kind: Any) -> ImportSkip:
    return {"line": line, "name": name, "email": email, "why": why, "kind": kind}


def _already(existing: SignupRecord | None, now: datetime) -> str | None:
    """Why someone with this record cannot be imported, or None (no record, or an expired
    unconfirmed signup an import may take the place of)."""
    if existing is None:
        return None
    if existing["status"] == "pending_confirmation" and existing.get("expires_at", 0) < int(now.timestamp()):
        return None
    return SKIP_WHY.get(existing["status"], SKIP_WHY["active"])


def _plausible(job_id: str) -> bool:
    return 1 <= len(job_id) <= 40 and all(c.isalnum() or c in "-T" for c in job_id)
