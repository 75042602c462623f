"""Events on the real engine: transactions, conditional writes, races, and
only Query/GetItem on read paths."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.errors import StaleVersion
from chalicelib.events.views import parse_listing
from tests.support.builders import as_json, event_body, send
from tests.support.stacks import Stack, make_client


def listed(stack: Stack, params: dict[str, str]) -> dict[str, Any]:
    listing = parse_listing(params, is_organizer=False, now=stack.clock.now())
    return stack.container.events.list_events(listing, cursor=params.get("cursor"))


def test_full_flow_on_both_engines(any_stack: Stack) -> None:
    _, key = any_stack.container.organizers.create(name="Org", email="org@example.org")
    with make_client(any_stack) as api:
        made = send(api, "POST", "/events", event_body(states=["ID", "MT"]), key)
        assert made.status_code == 201
        event = as_json(made)
        patched = send(api, "PATCH", f"/events/{event['id']}", {"version": 1, "states": ["ID"]}, key)
        assert patched.status_code == 200
        assert as_json(api.http.get("/events?state=MT&from=2030-01-01"))["events"] == []
        assert len(as_json(api.http.get("/events?state=ID&from=2030-01-01"))["events"]) == 1
        assert send(api, "DELETE", f"/events/{event['id']}", None, key).status_code == 204
    # Nothing is left behind: no event item, no listing rows.
    leftovers = any_stack.client.query(
        TableName=any_stack.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "EVLIST#PUB#ALL"}},
    )["Items"]
    assert leftovers == []


@pytest.mark.parametrize("trial", range(5))
def test_two_patches_with_the_same_version_exactly_one_wins(ddb_stack: Stack, trial: int) -> None:
    service = ddb_stack.container.events
    event = service.create(event_body())
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def patch(title: str) -> None:
        barrier.wait()
        try:
            outcomes.append(service.update(event["id"], {"version": 1, "title": title}, if_match=None)["title"])
        except StaleVersion:
            outcomes.append(409)

    threads = [threading.Thread(target=patch, args=(f"title {n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1, outcomes
    assert outcomes.count(409) == 1
    stored = service.get(event["id"])
    assert stored["version"] == 2
    assert stored["title"] == winners[0]
    events = listed(ddb_stack, {"from": "2030-01-01"})["events"]
    assert [(e["title"], e["version"]) for e in events] == [(winners[0], 2)]


def test_read_paths_never_scan(ddb_stack: Stack) -> None:
    calls: list[str] = []
    ddb_stack.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    _, key = ddb_stack.container.organizers.create(name="Org", email="org@example.org")
    with make_client(ddb_stack) as api:
        for day in range(1, 4):
            send(api, "POST", "/events", event_body(starts_at=f"2030-03-0{day}T10:00:00-06:00"), key)
        calls.clear()
        api.http.get("/events?from=2030-01-01")
        assert calls == ["Query"]
        calls.clear()
        api.http.get("/events?state=MT&from=2030-01-01&limit=1")
        assert calls == ["Query"]
        calls.clear()
        api.http.get("/events/calendar.ics")
        assert calls == ["Query"]
    assert "Scan" not in calls


def test_recently_ended_events_do_not_cost_another_query(ddb_stack: Stack) -> None:
    """The range starts 14 days before `from` (events run up to 14 days); events that ended in
    those days are filtered out after DynamoDB's Limit: the page still needs one Query."""
    service = ddb_stack.container.events
    for day in range(1, 13):  # ended before 2030-03-20
        service.create(event_body(starts_at=f"2030-03-{day:02d}T17:00:00Z", ends_at=f"2030-03-{day:02d}T18:00:00Z"))
    for day in range(21, 24):
        service.create(event_body(starts_at=f"2030-03-{day:02d}T17:00:00Z", ends_at=f"2030-03-{day:02d}T18:00:00Z"))
    calls: list[str] = []
    ddb_stack.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    page = listed(ddb_stack, {"from": "2030-03-20", "limit": "2"})
    assert [e["starts_at"][:10] for e in page["events"]] == ["2030-03-21", "2030-03-22"]
    assert calls == ["Query"]
    calls.clear()
    rest = listed(ddb_stack, {"from": "2030-03-20", "limit": "2", "cursor": page["next_cursor"]})
    assert [e["starts_at"][:10] for e in rest["events"]] == ["2030-03-23"]
    assert rest["next_cursor"] is None
    assert calls == ["Query"]
