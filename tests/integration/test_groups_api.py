"""Groups: organizer settings (with secrets) and the public view (without)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.builders import GROUP_ID, ZOOM_URL, as_json, group_body, send


@pytest.fixture
def group(api: Any, organizer_key: str) -> dict[str, Any]:
    response = send(api, "POST", "/groups", group_body(), organizer_key)
    assert response.status_code == 201, response.body
    return as_json(response)


def test_defaults_and_public_view_without_secrets(api: Any, group: dict[str, Any]) -> None:
    assert group["requires_approval"] is True
    assert group["schedule"] == {
        "rrule": "FREQ=MONTHLY;BYDAY=1TU",
        "start_time": "16:00",
        "timezone": "America/Denver",
        "duration_minutes": 90,
        "starts_on": "2026-01-01",
    }
    assert group["reminder_leads_minutes"] == [1440, 60]
    public = api.http.get(f"/groups/{GROUP_ID}")
    assert public.status_code == 200
    text = public.body.decode()
    assert ZOOM_URL not in text
    assert "424242" not in text
    body = as_json(public)
    assert body["schedule_text"] == "First Tuesday of every month, 4:00 PM Mountain / 3:00 PM Pacific"
    assert body["next_meeting"]["when_text"].endswith(" at 4:00 PM Mountain / 3:00 PM Pacific")
    assert [c["value"] for c in body["timezone_choices"]] == ["America/Denver", "America/Los_Angeles", ""]
    # The words the widget signs each event's time with (never "PST"): zones.py's, one list.
    assert body["zone_names"]["America/Los_Angeles"] == "Pacific"
    assert body["zone_names"]["America/Denver"] == body["zone_names"]["America/Boise"] == "Mountain"
    assert body["next_meeting"]["starts_at"].endswith(("16:00:00-07:00", "16:00:00-06:00"))
    assert body["consent_version"]
    assert api.http.get("/groups/nope").status_code == 404


def test_settings_need_a_key_and_are_versioned(api: Any, organizer_key: str, group: dict[str, Any]) -> None:
    assert api.http.get(f"/groups/{GROUP_ID}/settings").status_code == 401
    settings = as_json(
        api.http.get(f"/groups/{GROUP_ID}/settings", headers={"Authorization": f"Bearer {organizer_key}"})
    )
    assert settings["zoom_url"] == ZOOM_URL
    changed = send(
        api,
        "PATCH",
        f"/groups/{GROUP_ID}/settings",
        {"version": 1, "schedule": {"duration_minutes": 60}, "reminder_leads_minutes": [60, 2880]},
        organizer_key,
    )
    assert changed.status_code == 200, changed.body
    doc = as_json(changed)
    assert doc["version"] == 2
    assert doc["schedule"]["duration_minutes"] == 60
    assert doc["schedule"]["rrule"] == "FREQ=MONTHLY;BYDAY=1TU"
    assert doc["reminder_leads_minutes"] == [2880, 60]
    stale = send(api, "PATCH", f"/groups/{GROUP_ID}/settings", {"version": 1, "name": "x"}, organizer_key)
    assert stale.status_code == 409


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"zoom_url": "http://zoom.example.org/j/1"}, "zoom_url"),
        ({"schedule": {"rrule": "FREQ=SECONDLY"}}, "schedule.rrule"),
        ({"schedule": {"rrule": "nonsense"}}, "schedule.rrule"),
        ({"schedule": {"start_time": "25:00"}}, "schedule.start_time"),
        ({"schedule": {"timezone": "Nowhere/Land"}}, "schedule.timezone"),
        ({"reminder_leads_minutes": [60, 60]}, "reminder_leads_minutes"),
        ({"id": "other"}, "id"),
        ({"status": "deleted"}, "status"),
    ],
)
def test_bad_settings_are_named_and_change_nothing(
    api: Any, organizer_key: str, group: dict[str, Any], patch: dict[str, Any], field: str
) -> None:
    response = send(api, "PATCH", f"/groups/{GROUP_ID}/settings", {"version": 1, **patch}, organizer_key)
    assert response.status_code == 400
    assert field in as_json(response)["error"]["fields"]
    after = as_json(api.http.get(f"/groups/{GROUP_ID}/settings", headers={"Authorization": f"Bearer {organizer_key}"}))
    assert after == group


def test_group_ids_are_unique_slugs(api: Any, organizer_key: str, group: dict[str, Any]) -> None:
    assert send(api, "POST", "/groups", group_body(), organizer_key).status_code == 409
    bad = send(api, "POST", "/groups", group_body(id="Not A Slug"), organizer_key)
    assert bad.status_code == 400
    assert "id" in as_json(bad)["error"]["fields"]
