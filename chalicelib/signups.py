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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError

from chalicelib.clock import utc_now
from chalicelib.consent import CONSENT_VERSION
from chalicelib.errors import ApiError, conflict, not_found, pydantic_fields, validation_error
from chalicelib.groups import GroupService
from chalicelib.mail.backends import Mailer
from chalicelib.mail.message import render_email
from chalicelib.models.signups import SignupForm
from chalicelib.schedule import meeting_words
from chalicelib.settings import Settings
from chalicelib.signing import TokenError, bad_cursor, keyed_hash, make_token, read_cursor, read_token, sign_cursor
from chalicelib.storage.organizers import OrganizerRepository
from chalicelib.storage.signups import LIVE_STATUSES, SignupRepository, StateConflict

log = logging.getLogger("mbc.signups")

STATUSES = ("pending_confirmation", "pending_approval", "active", "unsubscribed", "rejected", "bounced")
PENDING_TTL = timedelta(days=7)
CSV_COLUMNS = (
    "id", "name", "email", "state", "status", "how_heard", "consent_at", "consent_version", "created_at",
    "confirmed_at", "approved_at", "approved_by", "rejected_at", "unsubscribed_at", "bounced_at",
)  # fmt: skip
PUBLIC_RECORD_FIELDS = (*CSV_COLUMNS, "updated_at", "rejected_by")


def email_hash(email: str) -> str:
    return keyed_hash(email, "email")


def signup_id_for(group_id: str, email: str) -> str:
    return keyed_hash(f"{group_id}:{email}", "signup")[:32]


@dataclass(frozen=True)
class MemberLink:
    group_id: str
    signup_id: str
    gen: str


class SignupService:
    def __init__(
        self,
        repo: SignupRepository,
        groups: GroupService,
        organizers: OrganizerRepository,
        mailer: Mailer,
        settings: Settings,
    ) -> None:
        self.repo = repo
        self.groups = groups
        self.organizers = organizers
        self.mailer = mailer
        self.settings = settings
        # Set by the container: sends what is already due to a member who just became active.
        self.on_activated: Callable[[str, str, datetime], object] | None = None

    def _activated(self, group_id: str, signup_id: str, now: datetime) -> None:
        if self.on_activated is None:
            return
        try:
            self.on_activated(group_id, signup_id, now)
        except Exception as exc:  # the scheduled run will catch up; approval must not fail
            log.error("late-joiner delivery failed signup=%s error=%s", signup_id, type(exc).__name__)

    # ---------------------------------------------------------------- signing up

    def parse_form(self, data: Any) -> SignupForm:
        if not isinstance(data, dict):
            raise validation_error({"body": "Must be an object of form fields."})
        try:
            form = SignupForm.model_validate(data)
        except ValidationError as exc:
            raise validation_error(pydantic_fields(exc)) from None
        if form.redirect is not None and not self.redirect_allowed(form.redirect):
            raise validation_error({"redirect": "Must be a page on the website's own origin."})
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
            keyed_hash(source_ip, "ip"), hour_start.strftime("%Y-%m-%dT%H"), int(reset.timestamp()) + 3600
        )
        if count > self.settings.signup_limit_per_ip_per_hour:
            retry = max(1, int((reset - now).total_seconds()))
            log.warning("signup rate limited by source ip count=%d", count)
            raise ApiError(
                429,
                "too_many_requests",
                "Too many signups from your network. Please try again later.",
                headers={"Retry-After": str(retry)},
            )

    def signup(self, group_id: str, form: SignupForm, source_ip: str, now: datetime | None = None) -> None:
        """Store or refresh the signup and send at most one email; the caller answers 202 either way."""
        now = now or utc_now()
        if form.website.strip():
            log.info("signup honeypot filled; ignored")
            return
        group = self.groups.get(group_id)
        if group["status"] != "active":
            raise ApiError(409, "group_paused", "This group is not taking signups right now.")
        self.check_ip(source_ip, now)
        address_hash = email_hash(form.email)
        sid = signup_id_for(group_id, form.email)
        if self.repo.is_suppressed(address_hash):
            log.info("signup for suppressed address; nothing sent signup=%s", sid)
            return
        stamp = now.isoformat()
        details = {
            "name": form.name,
            "state": form.state,
            "how_heard": form.how_heard,
            "consent_at": stamp,
            "consent_version": CONSENT_VERSION,
            "updated_at": stamp,
        }
        record = {
            "id": sid,
            "group_id": group_id,
            "email": form.email,
            "status": "pending_confirmation",
            "created_at": stamp,
            "gen": str(int(now.timestamp() * 1000)),
            "expires_at": int((now + PENDING_TTL).timestamp()),
            "version": 1,
            **details,
        }
        epoch = int(now.timestamp())
        if self.repo.put_new({k: v for k, v in record.items() if v is not None}, epoch):
            log.info("signup created signup=%s group=%s", sid, group_id)
            self._send_limited(address_hash, now, "confirm", record, group)
            return
        existing = self.repo.get(group_id, sid)
        if existing is None:  # erased between our two calls: the next post starts afresh
            return
        status = existing["status"]
        if status == "pending_confirmation":
            try:
                self.repo.update_details(group_id, sid, {k: v for k, v in details.items() if v is not None})
            except StateConflict:
                return
            self._send_limited(address_hash, now, "confirm", {**existing, **details}, group)
        elif status in ("active", "pending_approval"):
            self._send_limited(address_hash, now, "already_member", existing, group)
        else:  # rejected or bounced: say nothing to anyone
            log.info("signup repeated for closed record signup=%s status=%s", sid, status)

    def _send_limited(
        self, address_hash: str, now: datetime, kind: str, record: dict[str, Any], group: dict[str, Any]
    ) -> None:
        s = self.settings
        if not self.repo.claim_address_send(
            address_hash, now.strftime("%Y-%m-%d"), int(now.timestamp()),
            s.signup_email_min_interval_seconds, s.signup_emails_per_address_per_day,
        ):  # fmt: skip
            log.info("signup email suppressed by address limit signup=%s", record["id"])
            return
        link = MemberLink(group["id"], record["id"], record["gen"])
        extra: dict[str, Any] = (
            {"confirm_url": self.link("confirm", link), "hours": 72}
            if kind == "confirm"
            else {"pending": record["status"] == "pending_approval"}
        )
        mail = render_email(
            kind,
            record["email"],
            unsubscribe_url=self.link("unsubscribe", link),
            name=record["name"],
            group=group,
            **extra,
        )
        mail.tags = {"kind": kind}
        try:
            self.mailer.send(mail)
        except Exception as exc:
            log.error("signup email failed kind=%s signup=%s error=%s", kind, record["id"], type(exc).__name__)
            self.repo.release_address_send(address_hash, now.strftime("%Y-%m-%d"))
            raise ApiError(
                503,
                "email_unavailable",
                "We could not send the email right now. Please try again in a few minutes.",
                headers={"Retry-After": "120"},
            ) from None
        log.info("signup email sent kind=%s signup=%s", kind, record["id"])

    # ---------------------------------------------------------------- member links

    def link(self, purpose: str, member: MemberLink) -> str:
        token = make_token(purpose, {"g": member.group_id, "s": member.signup_id, "n": member.gen}, self.settings)
        return f"{self.settings.public_api_url}/signups/{purpose}?{urlencode({'token': token})}"

    def read_link(self, token: str | None, purpose: str) -> MemberLink:
        data = read_token(token, purpose, self.settings)
        try:
            return MemberLink(str(data["g"]), str(data["s"]), str(data["n"]))
        except KeyError:
            raise TokenError("invalid") from None

    def record_for(self, member: MemberLink) -> dict[str, Any] | None:
        record = self.repo.get(member.group_id, member.signup_id)
        if record is None or record.get("gen") != member.gen:
            return None
        return record

    def confirm(self, member: MemberLink, now: datetime | None = None) -> str:
        """Confirm the address; returns the resulting status. Harmless to repeat."""
        now = now or utc_now()
        record = self.record_for(member)
        if record is None:
            raise TokenError("gone")
        if record["status"] != "pending_confirmation":
            return str(record["status"])
        group = self.groups.get(member.group_id)
        target = "pending_approval" if group["requires_approval"] else "active"
        stamp = now.isoformat()
        try:
            updated = self.repo.transition(
                member.group_id, member.signup_id, ("pending_confirmation",), target,
                {"confirmed_at": stamp, "updated_at": stamp}, gen=member.gen, remove=("expires_at",),
            )  # fmt: skip
        except StateConflict:
            again = self.record_for(member)
            if again is None:
                raise TokenError("gone") from None
            return str(again["status"])
        log.info("signup confirmed signup=%s status=%s", member.signup_id, target)
        if target == "pending_approval":
            self._notify_organizers(group)
        else:
            self._welcome(updated, group, now)
            self._activated(member.group_id, member.signup_id, now)
        return target

    def unsubscribe(self, member: MemberLink, now: datetime | None = None) -> None:
        now = now or utc_now()
        record = self.record_for(member)
        if record is None or record["status"] == "unsubscribed":
            return
        stamp = now.isoformat()
        try:
            self.repo.transition(
                member.group_id, member.signup_id, LIVE_STATUSES, "unsubscribed",
                {"unsubscribed_at": stamp, "updated_at": stamp}, gen=member.gen, remove=("expires_at",),
            )  # fmt: skip
        except StateConflict:
            return
        log.info("signup unsubscribed signup=%s", member.signup_id)

    def erase(self, group_id: str, signup_id: str) -> bool:
        record = self.repo.get(group_id, signup_id)
        address_hash = email_hash(record["email"]) if record else ""
        deleted = self.repo.delete_person(group_id, signup_id, address_hash) if record else False
        log.info("signup erased signup=%s found=%s", signup_id, deleted)
        return deleted

    # ---------------------------------------------------------------- organizers

    def approve(self, group_id: str, signup_id: str, organizer_id: str, now: datetime | None = None) -> dict[str, Any]:
        now = now or utc_now()
        group = self.groups.get(group_id)
        record = self._existing(group_id, signup_id)
        if record["status"] == "active":
            return public_record(record)
        stamp = now.isoformat()
        try:
            updated = self.repo.transition(
                group_id, signup_id, ("pending_approval",), "active",
                {"approved_at": stamp, "approved_by": organizer_id, "updated_at": stamp},
            )  # fmt: skip
        except StateConflict:
            raise conflict(
                f"Only a confirmed signup awaiting approval can be approved (it is {record['status']})."
            ) from None
        log.info("signup approved signup=%s by=%s", signup_id, organizer_id)
        self._welcome(updated, group, now)
        self._activated(group_id, signup_id, now)
        return public_record(updated)

    def reject(self, group_id: str, signup_id: str, organizer_id: str, now: datetime | None = None) -> dict[str, Any]:
        now = now or utc_now()
        self.groups.get(group_id)
        record = self._existing(group_id, signup_id)
        if record["status"] == "rejected":
            return public_record(record)
        stamp = now.isoformat()
        try:
            updated = self.repo.transition(
                group_id, signup_id, ("pending_confirmation", "pending_approval", "active"), "rejected",
                {"rejected_at": stamp, "rejected_by": organizer_id, "updated_at": stamp}, remove=("expires_at",),
            )  # fmt: skip
        except StateConflict:
            raise conflict(f"This signup cannot be rejected (it is {record['status']}).") from None
        log.info("signup rejected signup=%s by=%s", signup_id, organizer_id)
        return public_record(updated)

    def _existing(self, group_id: str, signup_id: str) -> dict[str, Any]:
        record = self.repo.get(group_id, signup_id) if 1 <= len(signup_id) <= 64 else None
        if record is None:
            raise not_found("signup")
        return record

    def list_page(self, group_id: str, params: dict[str, str]) -> dict[str, Any]:
        self.groups.get(group_id)
        status, limit = _list_params(params)
        scope = f"signups:{group_id}:{status or 'all'}"
        start_key = None
        if params.get("cursor"):
            data = read_cursor(params["cursor"], "signups", self.settings)
            if data.get("s") != scope or not isinstance(data.get("k"), dict):
                raise bad_cursor()
            start_key = data["k"]
        records, last = self.repo.page(group_id, status, limit, start_key)
        cursor = sign_cursor({"s": scope, "k": last}, "signups", self.settings) if last else None
        return {"signups": [public_record(r) for r in records], "next_cursor": cursor}

    def csv_export(self, group_id: str, params: dict[str, str]) -> str:
        self.groups.get(group_id)
        status, _ = _list_params({k: v for k, v in params.items() if k == "status"})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        start: dict[str, Any] | None = None
        while True:
            records, start = self.repo.page(group_id, status, 500, start)
            for record in records:
                writer.writerow([csv_cell(record.get(col)) for col in CSV_COLUMNS])
            if not start:
                return out.getvalue()

    # ---------------------------------------------------------------- emails

    def _welcome(self, record: dict[str, Any], group: dict[str, Any], now: datetime) -> None:
        meeting = self.groups.next_meeting(group, now)
        link = MemberLink(group["id"], record["id"], record["gen"])
        mail = render_email(
            "welcome",
            record["email"],
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

    def _notify_organizers(self, group: dict[str, Any]) -> None:
        waiting = self.repo.count(group["id"], "pending_approval")
        recipients = [o["email"] for o in self.organizers.list() if o.get("status") == "active"]
        recipients = recipients or list(self.settings.organizer_notify_emails)
        url = f"{self.settings.public_api_url}/groups/{group['id']}/signups?status=pending_approval"
        for address in recipients:
            mail = render_email("organizer_notice", address, group=group, waiting=waiting, review_url=url)
            mail.tags = {"kind": "organizer_notice"}
            self.mailer.send(mail)
        log.info("organizer notice sent group=%s waiting=%d recipients=%d", group["id"], waiting, len(recipients))


def public_record(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in PUBLIC_RECORD_FIELDS}


def csv_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection): prefix risky leading characters with '."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r", "|", "%"):
        return "'" + text
    return text


def _list_params(params: dict[str, str]) -> tuple[str | None, int]:
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
        raise validation_error(errors)
    return status, limit
