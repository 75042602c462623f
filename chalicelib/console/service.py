"""Console sign-in and sessions.

- **Sign-in request**: every address gets the same answer and the same storage work (the IP
  counter, the address's counters per requester and in all, one put of the request); the outbox's stream handler decides
  whether the address is an active organizer's and, only then, writes the sign-in link and its
  email (an outbox item) in one transaction.
- **Sign-in link**: valid ``SIGNIN_MINUTES`` and used once (a conditional update). The token is
  an HMAC of the link's id under the signing key: the table holds only its SHA-256, and the outbox
  item only the id.
- **Session**: a new random id at every sign-in (so a session id planted before sign-in is never
  promoted: no fixation); the cookie holds the id, the table its SHA-256. It ends after
  ``IDLE`` without use, after ``LIFETIME`` in any case, at sign-out, when the organizer signs out
  everywhere, or when the organizer is removed. Each session has its own CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.console.records import SIGNIN_REQUEST_PREFIX, SessionRecord, SignInRecord
from chalicelib.console.storage import ConsoleRepository
from chalicelib.db import Transaction, TransactionCancelled
from chalicelib.errors import Invalid, RateLimited
from chalicelib.organizers.keys import OrganizerService
from chalicelib.organizers.scope import Principal
from chalicelib.outbox.promise import promised_email
from chalicelib.settings import Settings
from chalicelib.signing import keyed_hash, signing_key

log = logging.getLogger("mbc.console")

SIGNIN_MINUTES = 15
IDLE = timedelta(hours=12)
LIFETIME = timedelta(days=7)
TOUCH_EVERY_SECONDS = 300
# Sign-in emails an hour to one address from one requester (a source network), and from everyone
# together. Someone who knows an organizer's address uses up only their own share: the owner's
# first request of the hour from her own network is sent even when the address's total is spent.
REQUESTS_PER_ADDRESS_PER_REQUESTER_PER_HOUR = 5
REQUESTS_PER_ADDRESS_PER_HOUR = 20
REQUESTS_PER_IP_PER_HOUR = 30
REQUEST_TTL = timedelta(hours=1)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Signed:
    """A live console session: who, and the session's CSRF token."""

    principal: Principal
    csrf: str
    session_hash: str
    # Where to go once signed in (an allowed console path), when the sign-in asked for a page.
    next: str | None = None


class ConsoleAccess:
    def __init__(
        self,
        *,
        repo: ConsoleRepository,
        organizers: OrganizerService,
        settings: Settings,
        clock: Clock,
        requests_per_ip: int = REQUESTS_PER_IP_PER_HOUR,
    ) -> None:
        self.repo = repo
        self.organizers = organizers
        self.settings = settings
        self.clock = clock
        self.requests_per_ip = requests_per_ip

    # ---------------------------------------------------------------- sign-in request

    def request_sign_in(self, email_text: str, *, source_ip: str, next_path: str | None = None) -> None:
        """Same answer, same storage work, whatever the address (four writes)."""
        from chalicelib.emails import normalize_email

        try:
            email = normalize_email(email_text)
        except ValueError as exc:
            raise Invalid(fields={"email": str(exc)}) from None
        now = self.clock.now()
        hour_start = now.replace(minute=0, second=0, microsecond=0)
        reset = hour_start + timedelta(hours=1)
        hour, ttl = hour_start.strftime("%Y-%m-%dT%H"), int(reset.timestamp()) + 3600
        if self.repo.count_ip(keyed_hash(source_ip, "console-ip"), hour=hour, ttl=ttl) > self.requests_per_ip:
            log.warning("console sign-in rate limited by source ip")
            raise RateLimited(
                "Too many sign-in requests from your network. Please try again later.",
                retry_after=int((reset - now).total_seconds()),
            )
        address = keyed_hash(email, "console-email")
        # Both counters, always (the same storage work for every address); the requester is a
        # keyed hash of the address and the source network together, never logged.
        mine = self.repo.count_address(keyed_hash(f"{email}\n{source_ip}", "console-email-ip"), hour=hour, ttl=ttl)
        everyone = self.repo.count_address(address, hour=hour, ttl=ttl)
        over_total = everyone > REQUESTS_PER_ADDRESS_PER_HOUR and mine > 1
        if mine > REQUESTS_PER_ADDRESS_PER_REQUESTER_PER_HOUR or over_total:
            # The same answer (the page says how many links an hour we send); the links already
            # sent are still good for a few minutes.
            log.info("console sign-in request over the address limit; nothing sent")
            return
        self.repo.put_request(
            address,
            {
                "email": email,
                "request_id": secrets.token_hex(8),
                "received_at": now.isoformat(),
                "expires_at": int((now + REQUEST_TTL).timestamp()),
                **({"next": next_path} if next_path else {}),
            },
        )

    def process_request(self, values: dict[str, Any]) -> None:
        """The stream handler's part: an active organizer's address gets a link (the link item and
        its email in one transaction); any other address gets nothing. The request is dropped."""
        now = self.clock.now()
        tx = Transaction()
        organizer = self.organizers.by_email(str(values.get("email", "")))
        if organizer is not None:
            signin_id = secrets.token_hex(12)
            record: SignInRecord = {
                "signin_id": signin_id,
                "org_id": organizer["id"],
                "created_at": now.isoformat(),
                "expires_at": int((now + timedelta(minutes=SIGNIN_MINUTES)).timestamp()),
            }
            if values.get("next"):
                record["next"] = str(values["next"])[:300]
            tx.add("signin", self.repo.new_signin_item(sha256(self.token_for(signin_id)), record))
            tx.add("mail", self.mail_item("console_signin", now, organizer_id=organizer["id"], ref=signin_id))
        tx.add("request", self.repo.request_done_item(str(values["pk"]), str(values.get("request_id", ""))))
        try:
            tx.commit(self.repo.client)
        except TransactionCancelled:
            return  # a newer request of the address replaced this one: it is processed on its own
        log.info("console sign-in request processed link=%s", organizer is not None)

    def mail_item(self, kind: str, now: datetime, *, organizer_id: str, ref: str = "") -> dict[str, Any]:
        """The transaction part for an email to an organizer this change promises (the outbox's)."""
        return promised_email(
            table=self.repo.table, kind=kind, now=now, group_id="", organizer_id=organizer_id, ref=ref or None
        )

    def token_for(self, signin_id: str) -> str:
        digest = hmac.new(signing_key(self.settings), f"console-signin:{signin_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign_in_url(self, signin_id: str) -> str:
        return f"{self.settings.public_api_url}/console/sign-in/link?token={self.token_for(signin_id)}"

    # ---------------------------------------------------------------- the link

    def link_is_live(self, token: str | None) -> bool:
        if not token or len(token) > 100:
            return False
        found = self.repo.get_signin(sha256(token))
        return bool(
            found and "used_at" not in found and int(found.get("expires_at", 0)) > int(self.clock.now().timestamp())
        )

    def start_session(self, token: str | None, *, replacing: str | None = None) -> tuple[str, Signed] | None:
        """Use the link once and start a new session (a new random id); None if the link is
        unknown, used or expired. ``replacing``: a session id the browser had (ended here)."""
        if not token or len(token) > 100:
            return None
        now = self.clock.now()
        used = self.repo.consume_signin(sha256(token), now_epoch=int(now.timestamp()), when=now.isoformat())
        if used is None:
            return None
        organizer = self.organizers.get(used["org_id"])
        if organizer is None or organizer["status"] != "active":
            return None
        if replacing:
            self.repo.delete_session(sha256(replacing))
        session_id = secrets.token_urlsafe(32)
        record: SessionRecord = {
            "org_id": organizer["id"],
            "csrf": secrets.token_urlsafe(32),
            "created_at": now.isoformat(),
            "last_seen": int(now.timestamp()),
            "expires_at": int((now + LIFETIME).timestamp()),
        }
        self.repo.put_session(sha256(session_id), record)
        log.info("console session started org=%s", organizer["id"])
        return session_id, Signed(Principal.of(organizer), record["csrf"], sha256(session_id), used.get("next"))

    # ---------------------------------------------------------------- sessions

    def session(self, session_id: str | None) -> Signed | None:
        """The live session behind a cookie value, with the organizer as they are now."""
        if not session_id or len(session_id) > 100:
            return None
        session_hash = sha256(session_id)
        record = self.repo.get_session(session_hash)
        now = int(self.clock.now().timestamp())
        if record is None or record["expires_at"] <= now or record["last_seen"] + IDLE.total_seconds() <= now:
            return None
        organizer = self.organizers.get(record["org_id"])
        if organizer is None or organizer["status"] != "active":
            return None
        if organizer.get("sessions_valid_after", "") >= record["created_at"]:
            return None  # signed out everywhere since
        if now - record["last_seen"] >= TOUCH_EVERY_SECONDS:
            self.repo.touch_session(session_hash, now_epoch=now)
        return Signed(Principal.of(organizer), record["csrf"], session_hash)

    @staticmethod
    def csrf_ok(signed: Signed, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(signed.csrf.encode(), str(submitted).encode())

    def sign_out(self, signed: Signed) -> None:
        self.repo.delete_session(signed.session_hash)

    def sign_out_everywhere(self, signed: Signed) -> None:
        self.organizers.sign_out_everywhere(signed.principal.org_id)
        self.repo.delete_session(signed.session_hash)

    def pending_requests_prefix(self) -> str:
        return SIGNIN_REQUEST_PREFIX
