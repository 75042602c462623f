"""Demo data for `make run`, written once (a marker item records that it ran)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.events import EventService
from chalicelib.models.common import utc_now

MARKER = {"pk": {"S": "META"}, "sk": {"S": "SEED"}}


def _at(days: int, hour: int, zone: str, duration_hours: float) -> tuple[str, str]:
    tz = ZoneInfo(zone)
    day = (utc_now().astimezone(tz) + timedelta(days=days)).date()
    start = datetime.combine(day, time(hour), tz)
    return start.isoformat(), (start + timedelta(hours=duration_hours)).isoformat()


def demo_events() -> list[dict[str, Any]]:
    def event(days: int, hour: int, zone: str, hours: float, **fields: Any) -> dict[str, Any]:
        starts, ends = _at(days, hour, zone, hours)
        return {"starts_at": starts, "ends_at": ends, "timezone": zone, **fields}

    return [
        event(
            7,
            10,
            "America/Denver",
            3,
            title="Bozeman MBC coffee meetup",
            description="An informal morning for people living with MBC and their supporters.",
            format="in_person",
            states=["MT"],
            venue={
                "name": "Community Room, Bozeman Public Library",
                "street": "626 E Main St",
                "city": "Bozeman",
                "postal_code": "59715",
            },
            accessibility="Step-free entrance; quiet room available.",
            tags=["meetup"],
        ),
        event(
            12,
            11,
            "America/Boise",
            2,
            title="Boise lunch and learn: clinical trials",
            description="A patient navigator explains how to find and weigh clinical trials.",
            format="hybrid",
            states=["ID"],
            venue={"name": "Garden Room", "street": "1000 W Fort St", "city": "Boise", "postal_code": "83702"},
            online_url="https://example.org/webinar/trials",
            tags=["education"],
        ),
        event(
            15,
            18,
            "America/Denver",
            1.5,
            title="Virtual talk: living well with MBC",
            description="An oncology social worker on fatigue, work and family. Open to both states.",
            format="virtual",
            states=["ID", "MT"],
            registration_url="https://example.org/register/living-well",
            tags=["webinar"],
        ),
        event(
            20,
            10,
            "America/Los_Angeles",
            2,
            title="Coeur d'Alene lakeside walk",
            description="A gentle, accessible walk for people living with MBC in north Idaho (Pacific time).",
            format="in_person",
            states=["ID"],
            venue={
                "name": "McEuen Park pavilion",
                "street": "420 E Front Ave",
                "city": "Coeur d'Alene",
                "postal_code": "83814",
            },
        ),
        event(
            40,
            15,
            "America/Denver",
            48,
            title="Montana MBC weekend retreat",
            description="Two days of rest, gentle movement and conversation. Meals provided.",
            format="in_person",
            states=["MT"],
            venue={
                "name": "Feathered Pipe Ranch",
                "street": "2409 Colorado Gulch Rd",
                "city": "Helena",
                "postal_code": "59601",
            },
            registration_url="https://example.org/register/retreat",
        ),
    ]


def seed(client: Any, table: str, events: EventService) -> bool:
    """Write the demo data unless it was written before. Returns True if it seeded now."""
    if client.get_item(TableName=table, Key=MARKER).get("Item"):
        return False
    for body in demo_events():
        events.create(body)
    client.put_item(TableName=table, Item={**MARKER, "at": {"S": utc_now().isoformat()}})
    return True
