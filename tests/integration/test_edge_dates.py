"""Dates at the calendar's edges get a 400 naming the field, never a 500 (issue 19, section 4).

``9999-12-31T22:00:00-07:00`` is year 10000 in UTC and ``0001-01-01T00:30:00+01:00`` is year 0:
converting either overflows. Every date or instant an organizer sends (events over the API and the
console, a moved meeting, a meeting's date in the path, a schedule's first day, the CLI's --now) is
held to the years 2000 to 2100, and numbers are not read as epoch seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import cli, errors
from tests.support.builders import GROUP_ID, as_json, event_body, group_body, send
from tests.support.console import Console
from tests.support.stacks import Stack, make_client

EDGES = ["9999-12-31T22:00:00-07:00", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00Z"]
EPOCHS: list[Any] = [1796000000, 1767225600.5, 0, -1]  # 1796000000: 2026-11-29, near a meeting


@pytest.fixture
def world(moto_stack: Stack) -> Iterator[tuple[Stack, Any, str]]:
    moto_stack.clock.set(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    c = moto_stack.container
    c.groups.create(group_body())
    _, key = c.organizers.create(name="Ada Admin", email="ada@example.org", role="admin")
    with make_client(moto_stack) as client:
        yield moto_stack, client, key


def fields_of(response: Any) -> dict[str, str]:
    assert response.status_code == 400, (response.status_code, response.body)
    return dict(as_json(response)["error"]["fields"])


@pytest.mark.parametrize("moment", EDGES + EPOCHS)
def test_an_event_at_the_calendars_edge_is_refused_by_field(world: tuple[Stack, Any, str], moment: Any) -> None:
    _, api, key = world
    refused = fields_of(send(api, "POST", "/events", event_body(starts_at=moment), key))
    assert "starts_at" in refused
    ends = fields_of(send(api, "POST", "/events", event_body(ends_at=moment), key))
    assert "ends_at" in ends
    made = as_json(send(api, "POST", "/events", event_body(), key))
    for name in ("starts_at", "ends_at"):
        patched = send(api, "PATCH", f"/events/{made['id']}", {"version": 1, name: moment}, key)
        assert name in fields_of(patched)


def test_the_end_of_the_year_9999_in_mountain_time_is_refused_as_ends_at(world: tuple[Stack, Any, str]) -> None:
    _, api, key = world
    body = event_body(starts_at="2030-03-10T10:00:00-06:00", ends_at="9999-12-31T23:00:00-07:00")
    assert list(fields_of(send(api, "POST", "/events", body, key))) == ["ends_at"]


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        ("1999-12-31T23:59:59+00:00", False),
        ("2000-01-01T00:00:00+00:00", True),
        ("2100-12-31T23:59:59+00:00", True),
        ("2101-01-01T00:00:00+00:00", False),
        ("2100-12-31T20:00:00-07:00", False),  # 2101 in UTC
        ("2000-01-01T00:30:00+01:00", False),  # 1999 in UTC
    ],
)
def test_the_year_range_is_2000_to_2100_in_utc(world: tuple[Stack, Any, str], moment: str, accepted: bool) -> None:
    _, api, key = world
    moment_utc = datetime.fromisoformat(moment).astimezone(UTC)
    end = moment_utc.replace(hour=23, minute=59, second=59) if accepted else None
    body = event_body(starts_at=moment, ends_at=end.isoformat() if end and end > moment_utc else moment, timezone="UTC")
    response = send(api, "POST", "/events", body, key)
    fields = as_json(response)["error"]["fields"] if response.status_code == 400 else {}
    assert ("starts_at" not in fields) is accepted, fields


@pytest.mark.parametrize("moment", EDGES + EPOCHS)
def test_a_meeting_moved_to_the_calendars_edge_is_refused(world: tuple[Stack, Any, str], moment: Any) -> None:
    _, api, key = world
    response = send(api, "PUT", f"/groups/{GROUP_ID}/meetings/2026-12-01", {"starts_at": moment}, key)
    assert list(fields_of(response)) == ["starts_at"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-07", "2101-01-04"])
def test_a_meeting_date_at_the_calendars_edge_is_not_found(world: tuple[Stack, Any, str], day: str) -> None:
    _, api, key = world
    for method, body in (("PUT", {"note": "hello"}), ("DELETE", None)):
        response = send(api, method, f"/groups/{GROUP_ID}/meetings/{day}", body, key)
        assert response.status_code == 404, (method, response.body)
    for method, path in (("GET", "deliveries"), ("POST", "deliveries/requeue")):
        response = send(api, method, f"/groups/{GROUP_ID}/meetings/{day}/{path}", None, key)
        assert response.status_code in (400, 404), (path, response.body)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", 1767225600])
def test_a_schedule_starting_at_the_calendars_edge_is_refused(world: tuple[Stack, Any, str], day: Any) -> None:
    _, api, key = world
    body = {"version": 1, "schedule": {"starts_on": day}}
    assert "schedule.starts_on" in fields_of(send(api, "PATCH", f"/groups/{GROUP_ID}/settings", body, key))


def test_the_console_event_form_refuses_the_calendars_edge(world: tuple[Stack, Any, str]) -> None:
    stack, api, _ = world
    console = Console(api)
    console.sign_in(stack, "ada@example.org")
    fields = {
        "title": "Edge picnic",
        "start_time": "22:00",
        "end_time": "23:00",
        "timezone": "America/Denver",
        "states": "MT",
        "format": "virtual",
        "status": "published",
    }
    for day in ("9999-12-31", "0001-01-01"):
        response = console.post("/console/events/new", {**fields, "date": day})
        assert response.status_code == 400, response.body
        assert "between the years 2000 and 2100" in response.body.decode()


@pytest.mark.parametrize("now", EDGES)
def test_the_clis_now_at_the_calendars_edge_is_bad_input(now: str) -> None:
    with pytest.raises(errors.Invalid) as caught:
        cli.parse_now(now)
    assert caught.value.fields == {"--now": "Must be between the years 2000 and 2100."}
