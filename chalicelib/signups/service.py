"""Connection Group signups: the service the routes, the console and other features call.

It is composed of the feature's responsibilities (``core.py`` has the privacy rules they keep):
``intake.py`` (the form, "send me the link again"), ``membership.py`` (confirming, approval,
declining, leaving), ``erasure.py`` (a person's data, on request); here: the organizers' reads,
the per-address email limits, the parts other features add to their transactions, and bounces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, cast

from chalicelib.db import Transaction
from chalicelib.errors import Invalid, InvalidCursor
from chalicelib.outbox.records import OutboxRecord
from chalicelib.signing import read_cursor, sign_cursor
from chalicelib.signups.addresses import email_hash, signup_id_for
from chalicelib.signups.core import public_record
from chalicelib.signups.erasure import SignupErasure
from chalicelib.signups.intake import SignupIntake
from chalicelib.signups.membership import SignupMembership
from chalicelib.signups.records import (
    CSV_COLUMNS,
    LIVE_STATUSES,
    STATUSES,
    SignupPage,
    SignupRecord,
    SignupStatus,
)
from chalicelib.signups.storage import StateConflict

# The console's lists: people per page; at most this many people, and bytes as the response
# carries them, in one CSV download (Lambda refuses a response over 6 MB).
FIND_PAGE = 50
MAX_CSV_ROWS = 5000
MAX_CSV_BYTES = 4_000_000

# Emails that bring a member her link: a confirmation email (to the same address, before she was a
# member) never holds them back by the spacing.
MEMBER_KINDS = frozenset({"your_link", "already_member"})


class SignupService(SignupIntake, SignupMembership, SignupErasure):
    """The feature's one service: intake, membership and erasure (each in its own module), and
    what is here."""

    # ---------------------------------------------------------------- per-address email limits

    def address_may_be_mailed(self, email: str, item: OutboxRecord) -> bool | datetime:
        """Take one of the address's email slots (the per-address limits): True; or the time the
        item may go (the spacing: it waits, and is sent then); or False (held back for good: the
        daily cap, or another email waits for the address already and brings the same news).
        A confirmation email never holds back her link once she is a member."""
        s, now = self.settings, self.clock.now()
        limit = item.get("limit")
        answer = self.repo.claim_address_send(
            email_hash(email),
            day=now.strftime("%Y-%m-%d"),
            now_epoch=int(now.timestamp()),
            min_interval=s.signup_email_min_interval_seconds if limit == "spaced" else 0,
            per_day=s.signup_emails_per_address_per_day,
            confirmation=item["kind"] == "confirm",
            count_confirmations=item["kind"] not in MEMBER_KINDS,
            outbox_id=item["id"],
        )
        if answer is True or answer is False:
            return answer
        return datetime.fromtimestamp(answer, tz=now.tzinfo)

    def may_send_notice(self, item: OutboxRecord) -> bool:
        """May this batched "signups waiting" notice go (``signups/notices.py``)? Claims it."""
        from chalicelib.signups.notices import may_send_notice

        return may_send_notice(self.repo, self.clock, item)

    def address_slot_back(self, email: str) -> None:
        """Give back a slot ``address_may_be_mailed`` took for an email SES did not accept: only an
        email SES accepted spends one (a retry after a throttle or a pause is not held back)."""
        self.repo.release_address_send(email_hash(email), day=self.clock.now().strftime("%Y-%m-%d"))

    # ---------------------------------------------------------------- organizers' reads

    def count(self, group_id: str, status: SignupStatus) -> int:
        """How many records of a group have this status (from the status index: it may lag a
        change by a moment; for what a page shows, never for a decision)."""
        return self.repo.count(group_id, status)

    def members(self, group_id: str, *, status: SignupStatus | None = None) -> Iterator[SignupRecord]:
        """Every record of a group (optionally of one status), page by page."""
        return self.repo.all(group_id, status=status)

    def members_now(self, group_id: str, *, status: SignupStatus) -> Iterator[SignupRecord]:
        """The same, read consistently from the records themselves (never the index alone): for a
        decision such as "every active member has it"."""
        return self.repo.all_consistent(group_id, status=status)

    def email_refs(self, group_id: str, signup_id: str) -> list[str]:
        """The outbox items written about this person (ids, newest first): her member page asks
        the outbox for each one's outcome."""
        return self.repo.email_refs(group_id, signup_id)

    def list_page(self, group_id: str, params: dict[str, str]) -> SignupPage:
        self.groups.get(group_id)
        status, limit = _list_params(params)
        scope = f"signups:{group_id}:{status or 'all'}"
        start_key = None
        if params.get("cursor"):
            data = read_cursor(params["cursor"], "signups", self.settings)
            if data.get("s") != scope or not isinstance(data.get("k"), dict):
                raise InvalidCursor()
            start_key = data["k"]
        records, last = self.repo.page(group_id, status=status, limit=limit, start_key=start_key)
        cursor = sign_cursor({"s": scope, "k": last}, "signups", self.settings) if last else None
        return {"signups": [public_record(r) for r in records], "next_cursor": cursor}

    def csv_export(self, group_id: str, params: dict[str, str]) -> str:
        self.groups.get(group_id)
        status, _ = _list_params({k: v for k, v in params.items() if k == "status"})
        return self._csv(self.repo.all(group_id, status=status))

    def _csv(self, records: Iterable[SignupRecord]) -> str:
        import csv  # organizers' export only: not loaded by a member's cold request
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for record in records:
            values: dict[str, Any] = dict(record)
            writer.writerow([csv_cell(values.get(col)) for col in CSV_COLUMNS])
        return out.getvalue()

    # ------------------------------------------- the console's lists (issue 21 item 10a)

    def find(
        self, group_id: str, *, show: str, q: str, cursor: str | None, limit: int = FIND_PAGE
    ) -> tuple[list[SignupRecord], str | None]:
        """One page of the group's people the console shows: ``show`` is "current" (members and
        people waiting), "all" or one status; ``q`` a name (any order, accents or not) or part of
        an address. ``cursor`` (signed, for this group and filter) continues a page."""
        statuses, words, email = _find_filter(show, q)
        scope = f"find:{group_id}:{show}:{q}"
        start_key = None
        whole = _whole_address(q) if not cursor else None
        if whole is not None:
            # Her whole address (pasted to answer "did she get the link?"): one read of her record,
            # wherever it lies among thousands, not a page at a time.
            # Not hers (or the start of a longer address): the search below, page by page.
            record = self.repo.get(group_id, signup_id_for(group_id, whole))
            if record is not None and (statuses is None or record["status"] in statuses):
                return [record], None
        if cursor:
            data = read_cursor(cursor, "signups", self.settings)
            if data.get("s") != scope or not isinstance(data.get("k"), dict):
                raise InvalidCursor()
            start_key = data["k"]
        records, last = self.repo.find_page(
            group_id, statuses=statuses, words=words, email=email, limit=limit, start_key=start_key
        )
        return records, sign_cursor({"s": scope, "k": last}, "signups", self.settings) if last else None

    def find_csv(self, group_id: str, *, show: str, q: str) -> tuple[str, bool]:
        """The CSV of the people ``find`` shows with this filter (every page), and whether some
        were left out: at most ``MAX_CSV_ROWS`` people and ``MAX_CSV_BYTES`` as the Lambda response
        carries it (JSON, non-ASCII escaped), so the download never nears Lambda's 6 MB limit."""
        import csv  # organizers' export only
        import io
        import json

        statuses, words, email = _find_filter(show, q)
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(CSV_COLUMNS)
        rows = carried = 0
        start: dict[str, Any] | None = None
        while True:
            page, start = self.repo.find_page(
                group_id, statuses=statuses, words=words, email=email, limit=500, start_key=start
            )
            for record in page:
                values: dict[str, Any] = dict(record)
                line = io.StringIO()
                csv.writer(line, lineterminator="\r\n").writerow([csv_cell(values.get(c)) for c in CSV_COLUMNS])
                text = line.getvalue()
                carried += len(json.dumps(text)) - 2
                if rows >= MAX_CSV_ROWS or carried > MAX_CSV_BYTES:
                    return out.getvalue(), True
                out.write(text)
                rows += 1
            if not start:
                return out.getvalue(), False

    # ------------------------------------------- parts of other features' transactions

    def still_member_item(
        self, group_id: str, signup_id: str, *, gen: str, link_rev: int | None = None
    ) -> dict[str, Any]:
        """Transaction item for a delivery ledger's claim: the member is still active in the same
        signup (and, with ``link_rev``, still has that personal link)."""
        return self.repo.still_member_item(group_id, signup_id, gen=gen, link_rev=link_rev)

    def link_renewed_item(self, record: SignupRecord, *, now: datetime) -> dict[str, Any]:
        """Transaction item: the member's personal link moves to its next revision (the join
        links' replacement), only if the record is still as read."""
        return self.repo.link_renewed_item(record, now=now.isoformat())

    def promise_member_email(
        self,
        tx: Transaction,
        *,
        label: str,
        kind: str,
        record: SignupRecord,
        now: datetime,
        organizer_id: str | None = None,
        ref: str | None = None,
    ) -> None:
        """Add an email about this member to another feature's transaction: the outbox item and
        its reference in her own partition (erasure finds it), labelled ``label`` and ``label_ref``.
        ``organizer_id`` and ``ref``: who asked, and what the handler needs (a meeting's date)."""
        self._promise(tx, label, kind, now, record["group_id"], record, organizer_id=organizer_id, ref=ref)

    # ---------------------------------------------------------------- bounces

    def suppress_address(self, email: str, *, reason: str) -> int:
        """Never mail this address again; close its live signups in every group. Returns how many closed."""
        stamp = self.clock.now().isoformat()
        self.repo.suppress(email_hash(email), reason=reason, when=stamp)
        closed = 0
        for group in self.groups.all():
            try:
                self.repo.transition(
                    group["id"],
                    signup_id_for(group["id"], email),
                    from_statuses=LIVE_STATUSES,
                    to_status="bounced",
                    set_values={"bounced_at": stamp, "updated_at": stamp, "bounce_reason": reason},
                    remove=("expires_at", "proposal"),
                )
                closed += 1
            except StateConflict:
                continue  # no such signup, or already closed
        return closed


def csv_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection): prefix risky leading characters with '."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r", "|", "%"):
        return "'" + text
    return text


def _find_filter(show: str, q: str) -> tuple[tuple[SignupStatus, ...] | None, list[str], str | None]:
    from chalicelib.signups.search import fold, query_words

    if show == "current":
        statuses: tuple[SignupStatus, ...] | None = LIVE_STATUSES
    elif show == "all":
        statuses = None
    elif show in STATUSES:
        statuses = (show,)
    else:
        raise Invalid(fields={"status": "Choose what to show from the list."})
    q = q.strip()[:100]
    if not q:
        return statuses, [], None
    if "@" in q:
        return statuses, [], fold(q)
    return statuses, query_words(q), fold(q)  # her name's words, or part of her address


def _whole_address(q: str) -> str | None:
    """The address ``q`` spells in full (its one spelling), or None: a name or part of an address."""
    from chalicelib.emails import normalize_email

    text = q.strip()
    if "@" not in text or " " in text:
        return None
    try:
        return normalize_email(text)
    except ValueError:
        return None


def _list_params(params: dict[str, str]) -> tuple[SignupStatus | None, int]:
    errors: dict[str, str] = {}
    status = params.get("status")
    if status is not None and status not in STATUSES:
        errors["status"] = "Must be one of " + ", ".join(STATUSES) + "."
    limit = 50
    if params.get("limit") is not None:
        raw = params["limit"].strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 200:
            errors["limit"] = "Must be a whole number from 1 to 200."
        else:
            limit = int(raw)
    if errors:
        raise Invalid(fields=errors)
    return cast(SignupStatus | None, status), limit
