"""Small builders shared by tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from chalicelib.container import Container
from chalicelib.distribution.records import DeliveryRow
from chalicelib.distribution.runner import Distributor, RunReport
from chalicelib.groups.records import GroupRecord
from chalicelib.mail.backends import Mailer
from chalicelib.signups.addresses import signup_id_for
from chalicelib.signups.consent import CONSENT_VERSION
from chalicelib.signups.records import SignupRecord
from tests.support.stacks import Stack


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Helena MBC meetup",
        "description": "Coffee and conversation.",
        "starts_at": "2030-03-10T10:00:00-06:00",
        "ends_at": "2030-03-10T12:00:00-06:00",
        "format": "in_person",
        "states": ["MT"],
        "venue": {"name": "Library", "street": "120 S Last Chance Gulch", "city": "Helena", "postal_code": "59601"},
    }
    body.update(overrides)
    return body


def send(client: Any, method: str, path: str, body: Any = None, key: str | None = None, **headers: str) -> Any:
    hdrs = {"Content-Type": "application/json", **headers}
    if key:
        hdrs["Authorization"] = f"Bearer {key}"
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return getattr(client.http, method.lower())(path, headers=hdrs, body=raw)


def as_json(response: Any) -> Any:
    return json.loads(response.body)


GROUP_ID = "mbc-connection-group"
ZOOM_URL = "https://example.zoom.us/j/98765432100?pwd=SeCrEtLiNk"


def group_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": GROUP_ID,
        "name": "MBC Connection Group",
        "description": "Monthly video meeting.",
        "eligibility": "Adults living with MBC in Idaho or Montana.",
        "zoom_url": ZOOM_URL,
        "zoom_passcode": "424242",
    }
    body.update(overrides)
    return body


def signup_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Ann Example", "email": "ann@example.org", "state": "MT", "consent": True}
    body.update(overrides)
    return body


def outbox_messages(outbox: Any) -> list[Any]:
    """Parsed .eml files in the outbox, oldest first."""
    import email
    import email.policy
    from pathlib import Path

    folder = Path(outbox)
    if not folder.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def wait_for_messages(outbox: Any, to: str, *, count: int = 1, timeout: float = 15.0) -> list[Any]:
    """The messages to ``to`` once there are at least ``count`` (the outbox's handler sends them a
    moment after the request that promised them, as in AWS)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in outbox_messages(outbox) if m["To"] == to]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def plain_text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def link_in(message: Any, path: str) -> str:
    """The first link to ``path`` (e.g. /signups/confirm) in a message's plain text, as path?query."""
    import re

    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\?token=[A-Za-z0-9._\-]+)", plain_text(message))
    assert match, f"no {path} link in message"
    return match.group(1)


def erase_link_from_manage_page(api: Any, message: Any) -> str:
    """The erase link a member reaches from an email: its "Manage my membership" page's link, as path?query."""
    import html
    import re

    manage = link_in(message, "/signups/manage")
    page = api.http.get(manage, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.status_code
    match = re.search(
        r'href="https?://[^/"]+(/signups/manage\?token=[A-Za-z0-9._\-]+&amp;step=erase)"', page.body.decode()
    )
    assert match, "no erase link on the manage page"
    return html.unescape(match.group(1))


# ---------------------------------------------------------------- distribution

# The 2026-12-01 meeting starts 16:00 MST = 23:00Z and ends 00:30Z.
MEETING_DAY = "2026-12-01"
T_MINUS_1D = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
T_MINUS_30M = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)


def make_group(c: Container, **overrides: Any) -> GroupRecord:
    return c.groups.create(group_body(**overrides))


def add_members(
    c: Container,
    count: int = 0,
    *,
    prefix: str = "m",
    state: str = "MT",
    status: str = "active",
    emails: list[str] | None = None,
) -> list[SignupRecord]:
    """Records written straight to the table (as if they had signed up and been approved)."""
    made = []
    for n, email in enumerate(emails or [f"{prefix}{i}@example.org" for i in range(count)]):
        record = cast(
            SignupRecord,
            {
                "id": signup_id_for(GROUP_ID, email),
                "group_id": GROUP_ID,
                "email": email,
                "name": f"Member {n}",
                "state": state,
                "status": status,
                "created_at": "2026-11-01T00:00:00+00:00",
                "updated_at": "2026-11-01T00:00:00+00:00",
                "gen": "1",
                "version": 1,
                "consent_at": "2026-11-01T00:00:00+00:00",
                "consent_version": CONSENT_VERSION,
            },
        )
        assert c.signups.repo.put_new(record, now_epoch=0)
        made.append(record)
    return made


def distributor(stack: Stack, ses: Mailer, **overrides: Any) -> Distributor:
    """A distributor on the stack's table and clock, sending through ``ses`` (its own container)."""
    return stack.build(mailer=ses, **overrides).distributor


def run_at(stack: Stack, run: Distributor, moment: datetime, **kwargs: Any) -> RunReport:
    """One distribution run with the stack's clock at ``moment``."""
    stack.clock.set(moment)
    return run.run(**kwargs)


def ledger(stack: Stack, day: str = MEETING_DAY) -> list[DeliveryRow]:
    return stack.container.ledger.rows(GROUP_ID, day)


def personal_link(stack: Stack, email: str) -> str:
    """The personal join link a member's emails carry."""
    c = stack.container
    record = c.signups.get(GROUP_ID, signup_id_for(GROUP_ID, email))
    assert record is not None
    return c.join_links.link_url(record)
