"""Connection Group signups: double opt-in, approval, leaving and erasure.

Privacy rules this module keeps:
- the API answers a signup the same way whatever the address's state, so it never
  reveals who is a member;
- logs carry signup ids (keyed hashes) and counts, never names, addresses or tokens;
- erasure deletes every row about the person except a keyed hash needed for suppression.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from chalicelib.clock import Clock
from chalicelib.errors import (
    Conflict,
    EmailUnavailable,
    GroupPaused,
    Invalid,
    InvalidCursor,
    NotFound,
    RateLimited,
    validate_model,
)
from chalicelib.groups.records import GroupRecord
from chalicelib.groups.service import GroupService
from chalicelib.mail.backends import Mailer
from chalicelib.mail.message import render_email
from chalicelib.meetings.schedule import meeting_words
from chalicelib.meetings.service import MeetingService
from chalicelib.organizers.keys import OrganizerService
from chalicelib.settings import Settings
from chalicelib.signing import keyed_hash, read_cursor, sign_cursor
from chalicelib.signups.addresses import email_hash, signup_id_for
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.signups.links import MemberLink, Purpose, link_problem, member_url, read_member_link
from chalicelib.signups.records import (
    CSV_COLUMNS,
    LIVE_STATUSES,
    PUBLIC_FIELDS,
    STATUSES,
    PublicSignup,
    SignupPage,
    SignupRecord,
    SignupStatus,
)
from chalicelib.signups.storage import SignupRepository, StateConflict

log = logging.getLogger("mbc.signups")

PENDING_TTL = timedelta(days=7)
# What the caller of ``confirm`` is told happened.
ConfirmOutcome = SignupStatus

# (group_id, signup_id): send whatever is already due to a member who just became active.
ActivationHook = Callable[[str, str], object]
# (group_id, signup_id): erase what other features hold about the person (the delivery ledger).
ErasureHook = Callable[[str, str], object]


class SignupService:
    def __init__(
        self,
        *,
        repo: SignupRepository,
        groups: GroupService,
        meetings: MeetingService,
        organizers: OrganizerService,
        mailer: Mailer,
        settings: Settings,
        clock: Clock,
        on_activated: ActivationHook | None = None,
        on_erased: ErasureHook | None = None,
    ) -> None:
        self.repo = repo
        self.groups = groups
        self.meetings = meetings
        self.organizers = organizers
        self.mailer = mailer
        self.settings = settings
        self.clock = clock
        self.on_activated = on_activated
        self.on_erased = on_erased

    def _activated(self, group_id: str, signup_id: str) -> None:
        if self.on_activated is None:
            return
        try:
            self.on_activated(group_id, signup_id)
        except Exception as exc:  # last resort: the scheduled run will catch up; approval must not fail
            log.error("late-joiner delivery failed signup=%s error=%s", signup_id, type(exc).__name__)

    # ---------------------------------------------------------------- signing up

    def parse_form(self, data: dict[str, Any]) -> Any:
        from chalicelib.signups.models import SignupForm

        form = validate_model(SignupForm, data)
        if form.redirect is not None and not self.redirect_allowed(form.redirect):
            raise Invalid(fields={"redirect": "Must be a page on the website's own origin."})
        return form

    def redirect_allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.username or parts.password:
            return False
        return f"{parts.scheme}://{parts.netloc}".lower() in {o.lower() for o in self.settings.website_origins}

    def check_ip(self, source_ip: str, now: datetime) -> None:
        """Per-source-IP limit on signups (a 429 here reveals nothing about any address)."""
        hour_start = now.replace(minute=0, second=0, microsecond=0)
        reset = hour_start + timedelta(hours=1)
        count = self.repo.count_ip(
            keyed_hash(source_ip, "ip"), hour=hour_start.strftime("%Y-%m-%dT%H"), ttl=int(reset.timestamp()) + 3600
        )
        if count > self.settings.signup_limit_per_ip_per_hour:
            log.warning("signup rate limited by source ip count=%d", count)
            raise RateLimited(
                "Too many signups from your network. Please try again later.",
                retry_after=int((reset - now).total_seconds()),
            )

    def signup(self, group_id: str, form: Any, *, source_ip: str) -> None:
        """Store or refresh the signup and send at most one email; the caller answers 202 either way."""
        now = self.clock.now()
        if form.website.strip():
            log.info("signup honeypot filled; ignored")
            return
        group = self.groups.get(group_id)
        if group["status"] != "active":
            raise GroupPaused()
        self.check_ip(source_ip, now)
        address_hash = email_hash(form.email)
        sid = signup_id_for(group_id, form.email)
        if self.repo.is_suppressed(address_hash):
            log.info("signup for suppressed address; nothing sent signup=%s", sid)
            return
        stamp = now.isoformat()
        details: dict[str, Any] = {
            "name": form.name,
            "state": form.state,
            "how_heard": form.how_heard,
            "consent_at": stamp,
            "consent_version": CONSENT_VERSION,
            "updated_at": stamp,
        }
        details = {k: v for k, v in details.items() if v is not None}
        record = cast(
            SignupRecord,
            {
                "id": sid,
                "group_id": group_id,
                "email": form.email,
                "status": "pending_confirmation",
                "created_at": stamp,
                "gen": str(int(now.timestamp() * 1000)),
                "expires_at": int((now + PENDING_TTL).timestamp()),
                "version": 1,
                **details,
            },
        )
        if self.repo.put_new(record, now_epoch=int(now.timestamp())):
            log.info("signup created signup=%s group=%s", sid, group_id)
            self._send_limited(address_hash, now=now, kind="confirm", record=record, group=group)
            return
        existing = self.repo.get(group_id, sid)
        if existing is None:  # erased between our two calls: the next post starts afresh
            return
        status = existing["status"]
        if status == "pending_confirmation":
            try:
                self.repo.update_details(group_id, sid, details)
            except StateConflict:
                return
            refreshed = cast(SignupRecord, {**existing, **details})
            self._send_limited(address_hash, now=now, kind="confirm", record=refreshed, group=group)
        elif status in ("active", "pending_approval"):
            self._send_limited(address_hash, now=now, kind="already_member", record=existing, group=group)
        else:  # rejected or bounced: say nothing to anyone
            log.info("signup repeated for closed record signup=%s status=%s", sid, status)

    def _send_limited(
        self, address_hash: str, *, now: datetime, kind: str, record: SignupRecord, group: GroupRecord
    ) -> None:
        s = self.settings
        day = now.strftime("%Y-%m-%d")
        if not self.repo.claim_address_send(
            address_hash,
            day=day,
            now_epoch=int(now.timestamp()),
            min_interval=s.signup_email_min_interval_seconds,
            per_day=s.signup_emails_per_address_per_day,
        ):
            log.info("signup email suppressed by address limit signup=%s", record["id"])
            return
        link = MemberLink(group["id"], record["id"], record["gen"])
        extra: dict[str, Any] = (
            {"confirm_url": self.link("confirm", link), "hours": 72}
            if kind == "confirm"
            else {"pending": record["status"] == "pending_approval"}
        )
        mail = render_email(
            f"signups/email/{kind}",
            to=record["email"],
            unsubscribe_url=self.link("unsubscribe", link),
            name=record["name"],
            group=group,
            **extra,
        )
        mail.tags = {"kind": kind}
        try:
            self.mailer.send(mail)
        except Exception as exc:  # deliberate: any send failure gives the address slot back, then a 503
            log.error("signup email failed kind=%s signup=%s error=%s", kind, record["id"], type(exc).__name__)
            self.repo.release_address_send(address_hash, day=day)
            raise EmailUnavailable(retry_after=120) from None
        log.info("signup email sent kind=%s signup=%s", kind, record["id"])

    # ---------------------------------------------------------------- member links

    def link(self, purpose: Purpose, member: MemberLink) -> str:
        return member_url(purpose, member, self.settings)

    def read_link(self, token: str | None, purpose: Purpose) -> MemberLink:
        return read_member_link(token, purpose, self.settings)

    def record_for(self, member: MemberLink) -> SignupRecord | None:
        record = self.repo.get(member.group_id, member.signup_id)
        if record is None or record["gen"] != member.gen:
            return None
        return record

    def confirm(self, member: MemberLink) -> ConfirmOutcome:
        """Confirm the address; returns the resulting status. Harmless to repeat."""
        now = self.clock.now()
        record = self.record_for(member)
        if record is None:
            raise link_problem("gone")
        if record["status"] != "pending_confirmation":
            return record["status"]
        group = self.groups.get(member.group_id)
        target: SignupStatus = "pending_approval" if group["requires_approval"] else "active"
        stamp = now.isoformat()
        try:
            updated = self.repo.transition(
                member.group_id,
                member.signup_id,
                from_statuses=("pending_confirmation",),
                to_status=target,
                set_values={"confirmed_at": stamp, "updated_at": stamp},
                gen=member.gen,
                remove=("expires_at",),
            )
        except StateConflict:
            again = self.record_for(member)
            if again is None:
                raise link_problem("gone") from None
            return again["status"]
        log.info("signup confirmed signup=%s status=%s", member.signup_id, target)
        if target == "pending_approval":
            self._notify_organizers(group)
        else:
            self._welcome(updated, group)
            self._activated(member.group_id, member.signup_id)
        return target

    def unsubscribe(self, member: MemberLink) -> None:
        record = self.record_for(member)
        if record is None or record["status"] == "unsubscribed":
            return
        stamp = self.clock.now().isoformat()
        try:
            self.repo.transition(
                member.group_id,
                member.signup_id,
                from_statuses=LIVE_STATUSES,
                to_status="unsubscribed",
                set_values={"unsubscribed_at": stamp, "updated_at": stamp},
                gen=member.gen,
                remove=("expires_at",),
            )
        except StateConflict:
            return
        log.info("signup unsubscribed signup=%s", member.signup_id)

    def erase_self(self, member: MemberLink) -> None:
        if self.record_for(member) is not None:
            self.erase(member.group_id, member.signup_id)

    def erase(self, group_id: str, signup_id: str) -> bool:
        """Every row about the person in this group; False if there was no record."""
        record = self.repo.get(group_id, signup_id)
        if record is None:
            log.info("signup erased signup=%s found=False", signup_id)
            return False
        deleted = self.repo.delete(group_id, signup_id)
        if self.on_erased is not None:
            self.on_erased(group_id, signup_id)
        self.repo.delete_address_counters(email_hash(record["email"]))
        log.info("signup erased signup=%s found=%s", signup_id, deleted)
        return deleted

    def erase_for_organizer(self, group_id: str, signup_id: str) -> None:
        self.groups.get(group_id)
        if not self.erase(group_id, signup_id):
            raise NotFound("signup")

    # ---------------------------------------------------------------- organizers

    def approve(self, group_id: str, signup_id: str, *, organizer_id: str) -> PublicSignup:
        group = self.groups.get(group_id)
        record = self._existing(group_id, signup_id)
        if record["status"] == "active":
            return public_record(record)
        stamp = self.clock.now().isoformat()
        try:
            updated = self.repo.transition(
                group_id,
                signup_id,
                from_statuses=("pending_approval",),
                to_status="active",
                set_values={"approved_at": stamp, "approved_by": organizer_id, "updated_at": stamp},
            )
        except StateConflict:
            raise Conflict(
                f"Only a confirmed signup awaiting approval can be approved (it is {record['status']})."
            ) from None
        log.info("signup approved signup=%s by=%s", signup_id, organizer_id)
        self._welcome(updated, group)
        self._activated(group_id, signup_id)
        return public_record(updated)

    def reject(self, group_id: str, signup_id: str, *, organizer_id: str) -> PublicSignup:
        self.groups.get(group_id)
        record = self._existing(group_id, signup_id)
        if record["status"] == "rejected":
            return public_record(record)
        stamp = self.clock.now().isoformat()
        try:
            updated = self.repo.transition(
                group_id,
                signup_id,
                from_statuses=("pending_confirmation", "pending_approval", "active"),
                to_status="rejected",
                set_values={"rejected_at": stamp, "rejected_by": organizer_id, "updated_at": stamp},
                remove=("expires_at",),
            )
        except StateConflict:
            raise Conflict(f"This signup cannot be rejected (it is {record['status']}).") from None
        log.info("signup rejected signup=%s by=%s", signup_id, organizer_id)
        return public_record(updated)

    def _existing(self, group_id: str, signup_id: str) -> SignupRecord:
        record = self.repo.get(group_id, signup_id) if 1 <= len(signup_id) <= 64 else None
        if record is None:
            raise NotFound("signup")
        return record

    def get(self, group_id: str, signup_id: str) -> SignupRecord | None:
        """The record as stored (consistent read), or None."""
        return self.repo.get(group_id, signup_id)

    def members(self, group_id: str, *, status: SignupStatus | None = None) -> Iterator[SignupRecord]:
        """Every record of a group (optionally of one status), page by page."""
        return self.repo.all(group_id, status=status)

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
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for record in self.repo.all(group_id, status=status):
            values: dict[str, Any] = dict(record)
            writer.writerow([csv_cell(values.get(col)) for col in CSV_COLUMNS])
        return out.getvalue()

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
                    remove=("expires_at",),
                )
                closed += 1
            except StateConflict:
                continue  # no such signup, or already closed
        return closed

    # ---------------------------------------------------------------- emails

    def _welcome(self, record: SignupRecord, group: GroupRecord) -> None:
        meeting = self.meetings.next_meeting(group)
        link = MemberLink(group["id"], record["id"], record["gen"])
        mail = render_email(
            "signups/email/welcome",
            to=record["email"],
            unsubscribe_url=self.link("unsubscribe", link),
            erase_url=self.link("erase", link),
            name=record["name"],
            group=group,
            meeting=meeting,
            meeting_text=meeting_words(meeting.starts_at, group["schedule"]["timezone"], record.get("state"))
            if meeting
            else None,
        )
        mail.tags = {"kind": "welcome"}
        self.mailer.send(mail)
        log.info("welcome sent signup=%s", record["id"])

    def _notify_organizers(self, group: GroupRecord) -> None:
        waiting = self.repo.count(group["id"], "pending_approval")
        recipients = self.organizers.active_emails() or list(self.settings.organizer_notify_emails)
        url = f"{self.settings.public_api_url}/groups/{group['id']}/signups?status=pending_approval"
        for address in recipients:
            mail = render_email(
                "signups/email/organizer_notice", to=address, group=group, waiting=waiting, review_url=url
            )
            mail.tags = {"kind": "organizer_notice"}
            self.mailer.send(mail)
        log.info("organizer notice sent group=%s waiting=%d recipients=%d", group["id"], waiting, len(recipients))


def public_record(record: SignupRecord) -> PublicSignup:
    values: dict[str, Any] = dict(record)
    return cast(PublicSignup, {k: values.get(k) for k in PUBLIC_FIELDS})


def csv_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection): prefix risky leading characters with '."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r", "|", "%"):
        return "'" + text
    return text


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
