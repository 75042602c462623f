"""Event validation rules, without any AWS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.errors import pydantic_fields
from chalicelib.events.models import EventInput
from tests.support.builders import event_body


def fields_of(body: dict[str, object]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        EventInput.model_validate(body)
    return pydantic_fields(info.value)


def test_valid_event_gets_default_timezone_by_state() -> None:
    assert EventInput.model_validate(event_body()).timezone == "America/Denver"
    assert EventInput.model_validate(event_body(states=["ID"])).timezone == "America/Boise"
    assert EventInput.model_validate(event_body(states=["ID", "MT"])).timezone == "America/Denver"
    north = EventInput.model_validate(
        event_body(
            states=["ID"],
            timezone="America/Los_Angeles",
            starts_at="2030-03-10T10:00:00-07:00",
            ends_at="2030-03-10T12:00:00-07:00",
        )
    )
    assert north.timezone == "America/Los_Angeles"


def test_every_bad_field_is_named() -> None:
    fields = fields_of(
        event_body(
            title="",
            starts_at="tomorrow",
            format="carrier pigeon",
            states=[],
            online_url="http://insecure.example.org",
            contact_email="not-an-email",
            timezone="Mars/Olympus",
        )
    )
    assert set(fields) >= {"title", "starts_at", "format", "states", "online_url", "contact_email", "timezone"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2030-03-10T09:00:00-06:00"}, "ends_at"),
        ({"ends_at": "2030-03-30T09:00:00-06:00"}, "ends_at"),
        ({"venue": None}, "venue"),
        ({"format": "virtual"}, "venue"),
        ({"states": ["MT", "MT"]}, "states"),
        ({"starts_at": "2030-03-10T10:00:00"}, "starts_at"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 5001}, "description"),
        ({"status": "archived"}, "status"),
        ({"colour": "pink"}, "colour"),
        ({"registration_url": "javascript:alert(1)"}, "registration_url"),
        ({"title": "two\nlines"}, "title"),
        ({"venue": {"name": "A", "street": "B", "city": "C", "postal_code": "ABCDE"}}, "venue.postal_code"),
        ({"states": ["WA"]}, "states.0"),
    ],
)
def test_rules(overrides: dict[str, object], field: str) -> None:
    assert field in fields_of(event_body(**overrides))


def test_virtual_event_without_venue_and_hybrid_with_one() -> None:
    virtual = EventInput.model_validate(
        event_body(format="virtual", venue=None, online_url="https://zoom.example.org/j/1")
    )
    assert virtual.venue is None
    hybrid = EventInput.model_validate(event_body(format="hybrid"))
    assert hybrid.venue is not None


def test_fourteen_days_is_the_longest_event() -> None:
    ok = EventInput.model_validate(event_body(ends_at="2030-03-24T10:00:00-06:00"))
    assert ok.ends_at > ok.starts_at


def test_an_offset_that_is_not_the_zones_at_that_instant_is_refused_naming_the_field() -> None:
    winter = event_body(starts_at="2027-01-12T10:00:00-06:00", ends_at="2027-01-12T12:00:00-07:00")
    assert fields_of(winter) == {"starts_at": "-06:00 is not Mountain time on 2027-01-12; use -07:00."}
    north = event_body(
        states=["ID"],
        timezone="America/Los_Angeles",
        starts_at="2027-07-01T10:00:00-06:00",
        ends_at="2027-07-01T12:00:00-06:00",
    )
    assert set(fields_of(north)) == {"starts_at", "ends_at"}
    assert "use -07:00" in fields_of(north)["ends_at"]
    # UTC names the instant unambiguously; the zone's own offset in summer and winter is accepted.
    assert EventInput.model_validate(event_body(starts_at="2027-01-12T17:00:00Z", ends_at="2027-01-12T19:00:00Z"))
    assert EventInput.model_validate(
        event_body(starts_at="2027-07-12T10:00:00-06:00", ends_at="2027-07-12T12:00:00-06:00")
    )
