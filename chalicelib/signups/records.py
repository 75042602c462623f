"""Signup, abuse-counter and suppression items. Key prefixes are defined here and nowhere else.

- ``SIGNUPS#<group>`` / ``<signup_id>``: one record per group and address; the id is a keyed
  hash of the normalised address, so uniqueness is the primary key itself.
  ``gsi1`` = ``SIGNUPS#<group>#<status>`` / ``<created_at>#<id>`` lists by status.
- ``RATE#addr#<hash>`` / ``<day>`` and ``RATE#ip#<hash>`` / ``<hour>``: counters with TTL.
- ``SUPPRESS#<hash>`` / ``SUPPRESS``: addresses we must never mail (bounce, complaint).
- ``INTAKE#<address hash>#<group>`` / ``INTAKE``: a signup form as it arrived, processed by the
  outbox's stream handler, so the signup POST does the same storage work whatever the address's
  state. A later post of the same address replaces it. ``gsi1`` = ``INTAKE#pending`` /
  ``<received_at>#<address hash>`` lets the scheduled sweep find what the stream did not deliver.
- ``INTAKE#<address hash>#<group>`` / ``RESEND``: a "send me the link again" request, the same way
  (the request does the same storage work for every address; the handler decides).
  Once processed it is deleted, or, when it promised an email, replaced by a tombstone holding
  only the request id (``done``); a request whose write may have landed after it answered 503 is
  fenced off by ``withdrawn`` (see ``SignupService.submit``). Both expire within a day and go with
  erasure. The same for ``RESEND``.
- ``MEMBER#<group>#<signup_id>`` / ``OUTBOX#<outbox id>``: which outbox items were written about
  the person (written in the same transaction as the item), so erasure finds them with one
  consistent Query of a partition the person owns.
- ``NOTICE#<group>`` / ``<recipient>``: the organizers' "signups waiting" notices, batched: the
  last notice rendered to that organizer (``at``, ``by`` the outbox item), so notices of earlier
  batches that arrive later say nothing more (see ``SignupService._organizer_notices``). Expires.
- ``ERASURE#<group>#<signup_id>`` / ``ERASURE``: an erasure in progress (the signup record is
  already deleted; what it still has to find, by key: the address hash, the generation and link
  revision of the personal link). ``gsi1`` = ``ERASURE#pending`` / ``<started_at>#<group>#<id>``
  lets the scheduled run finish one that was interrupted. While it exists the address cannot
  start a new signup in the group. Deleted last.
- ``IMPORT#<group>`` / ``JOB#<job id>``: an organizer's list being imported (counts, the choices
  made, no names or addresses). ``IMPORT#<group>#<job id>`` / ``READY#<chunk>``: the people to add,
  a chunk at a time (emptied of them once the chunk is added, keeping the rows skipped and why),
  and ``SKIPPED#<chunk>``: the rows the preview refused, with why. Personal data that is not (yet)
  a member's: a draft expires after ``IMPORT_DRAFT_TTL`` and the rest ``IMPORT_RESULT_TTL`` after
  the import finished (DynamoDB TTL); the organizer can forget it at once (docs/operations.md).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, get_args

from chalicelib.db import key

SIGNUPS_PREFIX = "SIGNUPS#"
ADDRESS_RATE_PREFIX = "RATE#addr#"
IP_RATE_PREFIX = "RATE#ip#"
SUPPRESS_PREFIX = "SUPPRESS#"
SUPPRESS_SK = "SUPPRESS"
INTAKE_PREFIX = "INTAKE#"
INTAKE_SK = "INTAKE"
INTAKE_PENDING = "INTAKE#pending"
RESEND_SK = "RESEND"
MEMBER_PREFIX = "MEMBER#"
MEMBER_OUTBOX_PREFIX = "OUTBOX#"
NOTICE_PREFIX = "NOTICE#"
ERASURE_PREFIX = "ERASURE#"
ERASURE_SK = "ERASURE"
ERASURE_PENDING = "ERASURE#pending"
IMPORT_PREFIX = "IMPORT#"
IMPORT_JOB_PREFIX = "JOB#"
IMPORT_READY_PREFIX = "READY#"
IMPORT_SKIPPED_PREFIX = "SKIPPED#"

SignupStatus = Literal["pending_confirmation", "pending_approval", "active", "unsubscribed", "rejected", "bounced"]
# Each status in the organizers' words (the console's pages and filters).
STATUS_WORDS: dict[str, str] = {
    "pending_confirmation": "Waiting for them to confirm",
    "pending_approval": "Waiting for approval",
    "active": "Active member",
    "unsubscribed": "Left",
    "rejected": "Declined",
    "bounced": "Email bounced",
}
STATUSES: tuple[SignupStatus, ...] = get_args(SignupStatus)
# Statuses a person can still leave (unsubscribe) or be closed from (reject, bounce).
LIVE_STATUSES: tuple[SignupStatus, ...] = ("pending_confirmation", "pending_approval", "active")


class SignupRecord(TypedDict):
    id: str
    group_id: str
    email: str
    name: str
    state: str
    status: SignupStatus
    consent_at: str
    consent_version: str
    created_at: str
    updated_at: str
    # Changes whenever the record restarts (a new signup after leaving): links from an earlier
    # signup carry the old value.
    gen: str
    version: int
    # Grows when an organizer replaces the member's personal join link (the old one stops).
    link_rev: NotRequired[int]
    # The time she lives on (meetings/zones.py MEMBER_ZONES), as she or an organizer said; absent:
    # from her state (Montana: Mountain; Idaho: both zones shown). Never part of a link or a ledger key.
    timezone: NotRequired[str]
    how_heard: NotRequired[str]
    expires_at: NotRequired[int]
    confirmed_at: NotRequired[str]
    approved_at: NotRequired[str]
    approved_by: NotRequired[str]
    rejected_at: NotRequired[str]
    rejected_by: NotRequired[str]
    unsubscribed_at: NotRequired[str]
    bounced_at: NotRequired[str]
    bounce_reason: NotRequired[str]
    # Added by an organizer (console): consent recorded as "organizer", by whom; the person still
    # confirms their address before anything else is sent.
    consent_source: NotRequired[str]
    added_by: NotRequired[str]
    # The organizer's personal note in the decline email (deleted with the record).
    decline_note: NotRequired[str]
    # Imported from an organizer's list (``consent_source: "organizer_import"``): the list, and
    # the basis of consent the organizer recorded for it (a key of ``imports.BASES``) and since when.
    import_job: NotRequired[str]
    consent_basis: NotRequired[str]
    consent_basis_on: NotRequired[str]


class PublicSignup(TypedDict):
    """What organizers see of a record: the API's shape, and (but the last two) the CSV's columns.
    The one list of those fields: PUBLIC_FIELDS and CSV_COLUMNS are read from it."""

    id: str
    name: str
    email: str
    state: str
    timezone: str | None
    status: SignupStatus
    how_heard: str | None
    consent_at: str
    consent_version: str
    created_at: str
    confirmed_at: str | None
    approved_at: str | None
    approved_by: str | None
    rejected_at: str | None
    unsubscribed_at: str | None
    bounced_at: str | None
    updated_at: str | None
    rejected_by: str | None


class SignupPage(TypedDict):
    signups: list[PublicSignup]
    next_cursor: str | None


PUBLIC_FIELDS: tuple[str, ...] = tuple(PublicSignup.__annotations__)
CSV_COLUMNS = PUBLIC_FIELDS[:-2]


class IntakeRecord(TypedDict):
    """A signup form as posted (personal data: deleted once processed, and by TTL after a day)."""

    group_id: str
    request_id: str
    received_at: str
    name: str
    email: str
    state: str
    consent_version: str
    timezone: NotRequired[str]
    how_heard: NotRequired[str]
    expires_at: NotRequired[int]


class ResendRequest(TypedDict):
    """A "send me the link again" request as posted (deleted once processed, and by TTL)."""

    group_id: str
    request_id: str
    received_at: str
    email: str
    expires_at: int


class ErasureRecord(TypedDict):
    """An erasure in progress: keys and hashes only (no name, no address)."""

    group_id: str
    signup_id: str
    address_hash: str
    gen: str
    link_rev: int
    started_at: str


def signup_key(group_id: str, signup_id: str) -> dict[str, Any]:
    """A signup record's key (other features read the record by it: the join link's click path)."""
    return key(signup_partition(group_id), signup_id)


def erasure_key(group_id: str, signup_id: str) -> dict[str, Any]:
    return key(erasure_pk(group_id, signup_id), ERASURE_SK)


def member_pk(group_id: str, signup_id: str) -> str:
    return f"{MEMBER_PREFIX}{group_id}#{signup_id}"


def erasure_pk(group_id: str, signup_id: str) -> str:
    return f"{ERASURE_PREFIX}{group_id}#{signup_id}"


def intake_pk(address_hash: str, group_id: str) -> str:
    return f"{INTAKE_PREFIX}{address_hash}#{group_id}"


def signup_partition(group_id: str) -> str:
    return SIGNUPS_PREFIX + group_id


def status_index_key(group_id: str, status: str) -> str:
    return f"{SIGNUPS_PREFIX}{group_id}#{status}"


# ---------------------------------------------------------------- importing an organizer's list

ImportStatus = Literal["draft", "adding", "done"]
# members: add them as active members (they asked the organizer to join), with the "we have
# moved" email; invite: each confirms their address first (double opt-in), as a signup does.
ImportMode = Literal["members", "invite"]
SkipKind = Literal["problem", "already", "skipped"]


class ImportJob(TypedDict):
    """An organizer's list: counts and choices only (no names, no addresses)."""

    id: str
    group_id: str
    status: ImportStatus
    created_at: str
    created_by: str
    rows: int  # people in the file
    ready: int  # to be added when the preview was made
    problems: int  # refused by the checks (a bad address, no state, ...)
    already: int  # already in the group when the preview was made
    chunks: int
    encoding: str
    notes: list[str]
    expires_at: int
    version: int
    mode: NotRequired[ImportMode]
    basis: NotRequired[str]
    basis_on: NotRequired[str]
    committed_at: NotRequired[str]
    committed_by: NotRequired[str]
    added: NotRequired[int]
    skipped: NotRequired[int]
    chunks_done: NotRequired[int]
    finished_at: NotRequired[str]


class ImportPerson(TypedDict):
    line: int
    name: str
    email: str
    state: str
    zone_hint: NotRequired[str]


class ImportSkip(TypedDict):
    line: int
    name: str
    email: str
    why: str
    kind: SkipKind


class ImportChunk(TypedDict):
    number: int
    status: Literal["pending", "done"]
    people: list[ImportPerson]
    skipped: list[ImportSkip]
    added: NotRequired[int]


def import_jobs_pk(group_id: str) -> str:
    return f"{IMPORT_PREFIX}{group_id}"


def import_rows_pk(group_id: str, job_id: str) -> str:
    return f"{IMPORT_PREFIX}{group_id}#{job_id}"
