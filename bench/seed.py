"""Fast seeding with the app's own item layout.

The app's services and repositories, wired by the composition root (``chalicelib.container.build``)
on a capturing client, build every item (``EventService.create``, ``SignupRepository.put_new``);
the captured items are then written with BatchWriteItem from a few threads. So the items are
byte-for-byte what the app writes, without one round trip (or one transaction) per item.
``check_identical_layout`` proves it against the real create path.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.container import Container

GROUP_ID = "mbc-connection-group"
ZOOM_URL = "https://example.zoom.us/j/98765432100?pwd=SeCrEtLiNk"
GROUP_BODY: dict[str, Any] = {
    "id": GROUP_ID,
    "name": "MBC Connection Group",
    "description": "A monthly video meeting for people living with metastatic breast cancer in Idaho and Montana.",
    "eligibility": "Adults living with metastatic (stage IV) breast cancer who live in Idaho or Montana.",
    "zoom_url": ZOOM_URL,
    "zoom_passcode": "424242",
    "requires_approval": False,
}
# Event density of the calendar: one event every two days, ahead and in the last 14 days.
SPACING = timedelta(days=2)
UPCOMING = 60
LOOKBACK = timedelta(days=14)
RECENT = timedelta(days=44)
HISTORY_SLOTS = 20_000  # history events sit on a fixed grid, so a table can grow in steps
VENUE = {"name": "Public library", "street": "120 S Last Chance Gulch", "city": "Helena", "postal_code": "59601"}


class CaptureClient:
    """Stands in for the DynamoDB client while the app builds items; keeps every Put."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        for entry in TransactItems:
            if set(entry) != {"Put"}:
                raise AssertionError(f"seeding expects only Puts, got {sorted(entry)}")
            self.items.append(entry["Put"]["Item"])
        return {}

    def put_item(self, Item: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.items.append(Item)
        return {}


def services(client: Any, table: str) -> Container:
    """A container of the app's services on ``client`` and ``table`` (the other settings: the environment's)."""
    from chalicelib import container
    from chalicelib.settings import get_settings

    return container.build(settings=dataclasses.replace(get_settings(), table_name=table), dynamodb=client)


def batch_write(client: Any, table: str, items: list[dict[str, Any]], threads: int = 4) -> None:
    batches = [items[i : i + 25] for i in range(0, len(items), 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        request = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while request:
            resp = client.batch_write_item(RequestItems=request)
            request = resp.get("UnprocessedItems") or {}

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(write, batches))


# ------------------------------------------------------------------ events


def event_body(n: int, starts: datetime, hours: float) -> dict[str, Any]:
    """A realistic event: formats, states and statuses vary with n."""
    fmt = ("in_person", "virtual", "hybrid")[n % 3]
    states = (["MT"], ["ID"], ["ID", "MT"])[n % 3 if n % 7 else 2]
    body: dict[str, Any] = {
        "title": f"MBC community meetup #{n}",
        "description": "Coffee, conversation and a short talk from a visiting oncology nurse. " * 3,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "format": fmt,
        "states": states,
        "tags": ["support", "community"],
        "contact_email": "events@example.org",
        "registration_url": "https://www.example.org/register",
        "status": "cancelled" if n % 19 == 0 else ("draft" if n % 23 == 0 else "published"),
    }
    if fmt != "virtual":
        body["venue"] = VENUE
    if fmt != "in_person":
        body["online_url"] = "https://example.zoom.us/j/123456789"
    return body


def calendar_bodies(now: datetime) -> list[dict[str, Any]]:
    """The calendar around ``now``, identical at every table size: UPCOMING events ahead (one every
    two days), a multi-day retreat running now, and the past 44 days' events at the same density
    (ended; 7 of them inside GET /events' 14-day lookback, all inside the feed's 30+14 days)."""
    base = now.replace(hour=17, minute=0, second=0, microsecond=0)
    bodies = [event_body(i, base + SPACING * (i + 1), 2) for i in range(UPCOMING)]
    bodies.append(event_body(1000, base - timedelta(days=2), 24 * 4))  # a retreat, still running
    recent = int(RECENT / SPACING)
    bodies += [event_body(2000 + i, base - SPACING * (i + 1), 2) for i in range(recent)]
    return bodies


def history_bodies(count: int, now: datetime, offset: int = 0) -> list[dict[str, Any]]:
    """``count`` past events (older than the 14-day lookback and the feed's 30 days), spread back to 2001."""
    newest = now - timedelta(days=45)
    oldest = datetime(2001, 1, 1, 17, tzinfo=UTC)
    span = (newest - oldest) / HISTORY_SLOTS
    return [event_body(10_000 + offset + i, newest - span * (offset + i), 2) for i in range(count)]


def event_items(bodies: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    capture = CaptureClient()
    events = services(capture, table).events
    for body in bodies:
        events.create(body)
    return capture.items


def seed_events(client: Any, table: str, bodies: list[dict[str, Any]]) -> int:
    items = event_items(bodies, table)
    batch_write(client, table, items)
    return len(bodies)


def check_identical_layout(client: Any, table: str, now: datetime) -> None:
    """The fast path writes exactly what EventService.create writes (same keys, same attributes)."""
    events = services(client, table).events
    body = event_body(3, now + timedelta(days=400), 2)
    real = events.create(body)
    fast = event_items([body], table)
    doc = json.loads(next(i for i in fast if i["sk"]["S"] == "EVENT")["doc"]["S"])
    swap = {doc["id"]: real["id"], doc["created_at"]: real["created_at"]}

    def normal(item: dict[str, Any]) -> str:
        text = json.dumps(item, sort_keys=True)
        for old, new in swap.items():
            text = text.replace(old, new)
        return text

    stored = []
    for item in fast:
        key = json.loads(normal({"pk": item["pk"], "sk": item["sk"]}))
        stored.append(json.dumps(client.get_item(TableName=table, Key=key)["Item"], sort_keys=True))
    if sorted(stored) != sorted(normal(i) for i in fast):
        raise AssertionError("the fast seeding path does not write what EventService.create writes")
    # Remove the probe again, through the app's own delete path.
    events.delete(real["id"], if_match=None)


# ------------------------------------------------------------------ groups and members


def create_group(client: Any, table: str) -> dict[str, Any]:
    return dict(services(client, table).groups.create(dict(GROUP_BODY)))


_member_numbers = itertools.count()


def member_records(count: int, prefix: str = "m") -> list[dict[str, Any]]:
    from chalicelib.signups.addresses import signup_id_for
    from chalicelib.signups.consent import CONSENT_VERSION

    records = []
    for _ in range(count):
        n = next(_member_numbers)
        email = f"{prefix}{n}@example.org"
        records.append(
            {
                "id": signup_id_for(GROUP_ID, email),
                "group_id": GROUP_ID,
                "email": email,
                "name": f"Member {n}",
                "state": "MT" if n % 3 else "ID",
                "status": "active",
                "created_at": "2026-11-01T00:00:00+00:00",
                "updated_at": "2026-11-01T00:05:00+00:00",
                "gen": "1",
                "version": 1,
                "consent_at": "2026-11-01T00:00:00+00:00",
                "consent_version": CONSENT_VERSION,
                "confirmed_at": "2026-11-01T00:05:00+00:00",
            }
        )
    return records


def seed_members(client: Any, table: str, count: int, prefix: str = "m") -> list[dict[str, Any]]:
    """``count`` active members, each item built by SignupRepository.put_new."""
    from chalicelib.signups.storage import SignupRepository

    capture = CaptureClient()
    repo = SignupRepository(capture, table)
    records = member_records(count, prefix)
    for record in records:
        repo.put_new(record, now_epoch=0)
    batch_write(client, table, capture.items)
    return records


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
