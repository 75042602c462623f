"""Console items. Key prefixes are defined here and nowhere else.

- ``SIGNINREQ#<address hash>`` / ``SIGNINREQ``: a sign-in request as it arrived (the address, for an
  hour at most). The outbox's stream handler decides whether the address is an organizer's, so the
  request does the same storage work for every address. It shares the pending-forms index with
  signups' intake (``gsi1`` = ``INTAKE#pending``), so the scheduled sweep processes what the
  stream missed.
- ``SIGNIN#<sha256 of token>`` / ``SIGNIN``: a sign-in link, valid 15 minutes, used once (consumed
  with a condition). The token itself is never stored: the email's handler derives it from
  ``signin_id`` with the signing key.
- ``SESSION#<sha256 of session id>`` / ``SESSION``: a console session (the cookie holds the id).
- ``RATE#console-ip#<hash>`` / ``<hour>`` and ``RATE#console-addr#<hash>`` / ``<hour>``: sign-in
  request counters (TTL).
All expire by TTL (``expires_at``).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

SIGNIN_REQUEST_PREFIX = "SIGNINREQ#"
SIGNIN_REQUEST_SK = "SIGNINREQ"
SIGNIN_PREFIX = "SIGNIN#"
SIGNIN_SK = "SIGNIN"
SESSION_PREFIX = "SESSION#"
SESSION_SK = "SESSION"
IP_RATE_PREFIX = "RATE#console-ip#"
ADDRESS_RATE_PREFIX = "RATE#console-addr#"

COOKIE_NAME = "mbc_console"


class SignInRecord(TypedDict):
    signin_id: str
    org_id: str
    created_at: str
    expires_at: int
    # The console page to open after signing in (a path under /console on the routing table's
    # allow-list, e.g. "/groups/<id>/waiting"): the page the organizer asked for before signing in.
    next: NotRequired[str]


class SessionRecord(TypedDict):
    org_id: str
    csrf: str
    created_at: str
    last_seen: int
    expires_at: int
