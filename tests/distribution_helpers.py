"""Builders for distribution tests: a group, many active members, a distributor with a fake SES."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib import container
from chalicelib.consent import CONSENT_VERSION
from chalicelib.distribution import Distributor
from chalicelib.signups import signup_id_for
from chalicelib.storage.deliveries import DeliveryRepository
from tests.conftest import Stack
from tests.fakes import FakeSes
from tests.helpers import GROUP_ID, group_body

# The 2026-12-01 meeting starts 16:00 MST = 23:00Z and ends 00:30Z.
MEETING_DAY = "2026-12-01"
T_MINUS_1D = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
T_MINUS_30M = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)


def make_group(**overrides: Any) -> dict[str, Any]:
    return container.groups().create(group_body(**overrides))


def add_members(
    count: int, prefix: str = "m", state: str = "MT", status: str = "active", emails: list[str] | None = None
) -> list[dict[str, Any]]:
    repo = container.signups().repo
    made = []
    for n, email in enumerate(emails or [f"{prefix}{i}@example.org" for i in range(count)]):
        record = {
            "id": signup_id_for(GROUP_ID, email),
            "group_id": GROUP_ID,
            "email": email,
            "name": f"Member {n}",
            "state": state,
            "status": status,
            "created_at": "2026-11-01T00:00:00+00:00",
            "gen": "1",
            "version": 1,
            "consent_at": "2026-11-01T00:00:00+00:00",
            "consent_version": CONSENT_VERSION,
        }
        assert repo.put_new(record, 0)
        made.append(record)
    return made


def distributor(stack: Stack, ses: FakeSes, **kwargs: Any) -> Distributor:
    return Distributor(
        container.groups(),
        container.signups(),
        DeliveryRepository(stack.client, stack.table),
        ses,
        max_send_rate=kwargs.pop("rate", 10_000.0),
        sleep=kwargs.pop("sleep", lambda _s: None),
        **kwargs,
    )


def ledger(stack: Stack, day: str = MEETING_DAY) -> list[dict[str, Any]]:
    return DeliveryRepository(stack.client, stack.table).rows(GROUP_ID, day)
