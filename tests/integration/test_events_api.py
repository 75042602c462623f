"""The events API through chalice.test.Client (moto underneath)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.builders import as_json, event_body, send
from tests.support.stacks import Stack


def create(api: Any, key: str, **overrides: Any) -> dict[str, Any]:
    response = send(api, "POST", "/events", event_body(**overrides), key)
    assert response.status_code == 201, response.body
    return as_json(response)


def test_create_then_read_and_list(api: Any, organizer_key: str) -> None:
    event = create(api, organizer_key)
    assert event["version"] == 1
    assert event["timezone"] == "America/Denver"
    assert event["starts_at"] == "2030-03-10T10:00:00-06:00"
    fetched = api.http.get(f"/events/{event['id']}")
    assert fetched.status_code == 200
    assert as_json(fetched) == event
    listed = as_json(api.http.get("/events?state=MT&from=2030-03-01"))
    assert [e["id"] for e in listed["events"]] == [event["id"]]
    assert listed["next_cursor"] is None
    assert as_json(api.http.get("/events?state=ID&from=2030-03-01"))["events"] == []


def test_times_are_shown_in_the_event_zone(api: Any, organizer_key: str) -> None:
    event = create(
        api,
        organizer_key,
        states=["ID"],
        timezone="America/Los_Angeles",
        starts_at="2030-07-01T17:00:00Z",
        ends_at="2030-07-01T19:00:00Z",
    )
    assert event["starts_at"] == "2030-07-01T10:00:00-07:00"


def test_both_states_event_listed_under_each_and_once_overall(api: Any, organizer_key: str) -> None:
    both = create(api, organizer_key, states=["ID", "MT"], format="virtual", venue=None)
    mt_only = create(api, organizer_key, starts_at="2030-03-11T10:00:00-06:00", ends_at="2030-03-11T11:00:00-06:00")
    everything = [e["id"] for e in as_json(api.http.get("/events?from=2030-01-01"))["events"]]
    assert everything == [both["id"], mt_only["id"]]
    assert [e["id"] for e in as_json(api.http.get("/events?state=ID&from=2030-01-01"))["events"]] == [both["id"]]
    assert [e["id"] for e in as_json(api.http.get("/events?state=mt&from=2030-01-01"))["events"]] == [
        both["id"],
        mt_only["id"],
    ]


def test_filters_by_dates_and_format(api: Any, organizer_key: str) -> None:
    march = create(api, organizer_key)
    april = create(
        api,
        organizer_key,
        format="virtual",
        venue=None,
        starts_at="2030-04-10T10:00:00-06:00",
        ends_at="2030-04-10T11:00:00-06:00",
    )
    ids = lambda q: [e["id"] for e in as_json(api.http.get(f"/events?{q}"))["events"]]  # noqa: E731
    assert ids("from=2030-01-01&to=2030-03-31") == [march["id"]]
    assert ids("from=2030-03-11") == [april["id"]]
    assert ids("from=2030-01-01&format=virtual") == [april["id"]]
    assert ids("from=2030-03-10T11:00:00-06:00") == [march["id"], april["id"]]  # still running
    assert ids("from=2030-03-10") == [march["id"], april["id"]]


def test_default_from_is_now_so_past_events_are_hidden(api: Any, organizer_key: str) -> None:
    create(api, organizer_key, starts_at="2020-03-10T10:00:00-06:00", ends_at="2020-03-10T12:00:00-06:00")
    assert as_json(api.http.get("/events"))["events"] == []


def test_pagination_with_signed_cursor(api: Any, organizer_key: str) -> None:
    made = [
        create(
            api, organizer_key, starts_at=f"2030-05-{d:02d}T10:00:00-06:00", ends_at=f"2030-05-{d:02d}T11:00:00-06:00"
        )["id"]
        for d in range(1, 6)
    ]
    seen: list[str] = []
    url = "/events?from=2030-01-01&limit=2"
    page = as_json(api.http.get(url))
    while True:
        seen += [e["id"] for e in page["events"]]
        if not page["next_cursor"]:
            break
        page = as_json(api.http.get(f"{url}&cursor={page['next_cursor']}"))
    assert seen == made
    cursor = as_json(api.http.get(url))["next_cursor"]
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    bad = api.http.get(f"{url}&cursor={tampered}")
    assert bad.status_code == 400
    assert "cursor" in as_json(bad)["error"]["fields"]
    foreign = api.http.get(f"/events?state=ID&from=2030-01-01&limit=2&cursor={cursor}")
    assert foreign.status_code == 400
    assert api.http.get("/events?cursor=garbage").status_code == 400


def test_bad_query_parameters_are_named(api: Any) -> None:
    response = api.http.get("/events?state=WA&format=zoom&limit=500&from=yesterday&to=2030-13-01")
    assert response.status_code == 400
    assert set(as_json(response)["error"]["fields"]) == {"state", "format", "limit", "from", "to"}
    assert api.http.get("/events?from=2030-02-01&to=2030-01-01").status_code == 400


def test_patch_with_version_and_stale_version(api: Any, organizer_key: str) -> None:
    event = create(api, organizer_key)
    updated = send(api, "PATCH", f"/events/{event['id']}", {"version": 1, "title": "New title"}, organizer_key)
    assert updated.status_code == 200, updated.body
    assert as_json(updated)["version"] == 2
    assert as_json(updated)["title"] == "New title"
    stale = send(api, "PATCH", f"/events/{event['id']}", {"version": 1, "title": "Lost update"}, organizer_key)
    assert stale.status_code == 409
    assert as_json(api.http.get(f"/events/{event['id']}"))["title"] == "New title"
    via_header = send(api, "PATCH", f"/events/{event['id']}", {"title": "Third"}, organizer_key, **{"If-Match": '"2"'})
    assert via_header.status_code == 200
    assert as_json(via_header)["version"] == 3
    missing_version = send(api, "PATCH", f"/events/{event['id']}", {"title": "x"}, organizer_key)
    assert missing_version.status_code == 400
    assert "version" in as_json(missing_version)["error"]["fields"]
    unknown = send(api, "PATCH", "/events/doesnotexist", {"version": 1, "title": "x"}, organizer_key)
    assert unknown.status_code == 404


def test_bad_patch_changes_nothing(api: Any, organizer_key: str) -> None:
    event = create(api, organizer_key)
    bad = send(
        api,
        "PATCH",
        f"/events/{event['id']}",
        {"version": 1, "ends_at": "2030-03-01T00:00:00-06:00", "states": ["XX"], "nope": 1},
        organizer_key,
    )
    assert bad.status_code == 400
    assert as_json(api.http.get(f"/events/{event['id']}")) == event


def test_moving_an_event_moves_its_listing(api: Any, organizer_key: str) -> None:
    event = create(api, organizer_key)
    send(
        api,
        "PATCH",
        f"/events/{event['id']}",
        {"version": 1, "states": ["ID"], "timezone": "America/Boise"},
        organizer_key,
    )
    assert as_json(api.http.get("/events?state=MT&from=2030-01-01"))["events"] == []
    listed = as_json(api.http.get("/events?state=ID&from=2030-01-01"))["events"]
    assert [(e["id"], e["version"]) for e in listed] == [(event["id"], 2)]


def test_cancelled_stays_listed_and_flagged(api: Any, organizer_key: str) -> None:
    event = create(api, organizer_key)
    send(api, "PATCH", f"/events/{event['id']}", {"version": 1, "status": "cancelled"}, organizer_key)
    listed = as_json(api.http.get("/events?from=2030-01-01"))["events"]
    assert listed[0]["cancelled"] is True
    assert listed[0]["status"] == "cancelled"


def test_drafts_are_hidden_from_the_public(api: Any, organizer_key: str) -> None:
    draft = create(api, organizer_key, status="draft")
    assert as_json(api.http.get("/events?from=2030-01-01"))["events"] == []
    assert api.http.get(f"/events/{draft['id']}").status_code == 404
    assert api.http.get("/events?status=draft&from=2030-01-01").status_code == 401
    with_key = api.http.get(
        "/events?status=draft&from=2030-01-01", headers={"Authorization": f"Bearer {organizer_key}"}
    )
    assert [e["id"] for e in as_json(with_key)["events"]] == [draft["id"]]
    own = api.http.get(f"/events/{draft['id']}", headers={"Authorization": f"Bearer {organizer_key}"})
    assert own.status_code == 200


def test_delete(api: Any, organizer_key: str) -> None:
    event = create(api, organizer_key)
    stale = send(api, "DELETE", f"/events/{event['id']}", None, organizer_key, **{"If-Match": '"7"'})
    assert stale.status_code == 409
    gone = send(api, "DELETE", f"/events/{event['id']}", None, organizer_key)
    assert gone.status_code == 204
    assert api.http.get(f"/events/{event['id']}").status_code == 404
    assert as_json(api.http.get("/events?from=2030-01-01"))["events"] == []
    assert send(api, "DELETE", f"/events/{event['id']}", None, organizer_key).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer mbck_" + "x" * 40, "Basic abc"])
def test_writes_need_a_valid_key(api: Any, header: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    if header:
        headers["Authorization"] = header
    response = api.http.post("/events", headers=headers, body=json.dumps(event_body()).encode())
    assert response.status_code == 401
    assert as_json(api.http.get("/events?from=2000-01-01"))["events"] == []


def test_revoked_key_is_refused(api: Any, organizer_key: str, moto_stack: Stack) -> None:
    organizers = moto_stack.container.organizers
    org_id = organizers.organizer_for_header(f"Bearer {organizer_key}")
    assert org_id
    assert organizers.revoke(org_id)
    assert send(api, "POST", "/events", event_body(), organizer_key).status_code == 401


def test_body_errors(api: Any, organizer_key: str) -> None:
    malformed = send(api, "POST", "/events", b"{not json", organizer_key)
    assert malformed.status_code == 400
    assert as_json(malformed)["error"]["code"] == "invalid_json"
    wrong_type = api.http.post(
        "/events",
        headers={"Content-Type": "text/plain", "Authorization": f"Bearer {organizer_key}"},
        body=b"hello",
    )
    assert wrong_type.status_code == 415
    assert "error" in as_json(wrong_type)
    huge = send(api, "POST", "/events", event_body(description="x" * 70_000), organizer_key)
    assert huge.status_code == 413
    not_object = send(api, "POST", "/events", [1, 2], organizer_key)
    assert not_object.status_code == 400
    invalid = send(api, "POST", "/events", event_body(title="", venue=None), organizer_key)
    body = as_json(invalid)
    assert invalid.status_code == 400
    assert set(body["error"]["fields"]) == {"title"}
    assert as_json(api.http.get("/events?from=2000-01-01"))["events"] == []


def test_unknown_event_is_404_in_error_shape(api: Any) -> None:
    response = api.http.get("/events/nope")
    assert response.status_code == 404
    assert as_json(response)["error"]["code"] == "not_found"
    assert api.http.get("/events/" + "x" * 300).status_code == 404
