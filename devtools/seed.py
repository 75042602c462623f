"""Demo data for `make run`, written once (a marker item records that it ran)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.container import Container

CONNECTION_GROUP = {
    "id": "mbc-connection-group",
    "name": "MBC Connection Group",
    "description": "A monthly video meeting for people living with metastatic breast cancer in Idaho and Montana: "
    "share what is working, ask questions, and spend an hour with people who understand.",
    "eligibility": "Adults living with metastatic (stage IV) breast cancer who live in Idaho or Montana.",
    "schedule": {
        "rrule": "FREQ=MONTHLY;BYDAY=1TU",
        "start_time": "16:00",
        "timezone": "America/Denver",
        "duration_minutes": 90,
    },
    # A placeholder: set the real link with PATCH /groups/mbc-connection-group/settings.
    "zoom_url": "https://example.zoom.us/j/00000000000?pwd=placeholder",
    "zoom_passcode": "000000",
    "requires_approval": True,
    "reminder_leads_minutes": [1440, 60],
    "status": "active",
}


def _marker(name: str) -> dict[str, Any]:
    return {"pk": {"S": "META"}, "sk": {"S": f"SEED#{name}"}}


def _at(days: int, hour: int, zone: str, duration_hours: float) -> tuple[str, str]:
    tz = ZoneInfo(zone)
    day = (datetime.now(UTC).astimezone(tz) + timedelta(days=days)).date()
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


def seed(c: Container) -> bool:
    """Write each piece of demo data unless it was written before. Returns True if anything was seeded."""
    seeded = False
    client, table = c.dynamodb, c.table
    for name in ("events", "group"):
        if client.get_item(TableName=table, Key=_marker(name)).get("Item"):
            continue
        if name == "events":
            for body in demo_events():
                c.events.create(body)
        else:
            c.groups.create(CONNECTION_GROUP)
        client.put_item(TableName=table, Item={**_marker(name), "at": {"S": datetime.now(UTC).isoformat()}})
        seeded = True
    return seeded
