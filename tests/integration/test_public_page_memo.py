"""Issue 23, warm public pages: a warm process keeps the public pages it made (the embed page as first
seen, its thank-you page, the resend page, a group's JSON and its meetings) per what they are made
of. These tests change what a page is made of between two requests and check that the second answer
shows the change, byte for byte what a fresh process would answer; and that nothing someone typed is
ever kept."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import container, templating
from chalicelib.groups import views as group_views
from chalicelib.meetings import meeting as meeting_memo
from tests.support.builders import GROUP_ID, event_body, group_body
from tests.support.stacks import Stack

EMBED = f"/embed/{GROUP_ID}"
HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return dict(container.current().groups.create(group_body()))


def forget() -> None:
    """What a fresh process starts with: no page, view or meeting kept."""
    templating._public_pages.clear()
    group_views._views.clear()
    meeting_memo._applied.clear()
    meeting_memo._starts.clear()


def fresh(api: Any, path: str, **headers: str) -> Any:
    forget()
    return api.http.get(path, headers=headers)


def body(response: Any) -> str:
    assert response.status_code == 200, response.body
    return str(response.body.decode("utf-8"))


def rename(name: str) -> None:
    groups = container.current().groups
    current = groups.get(GROUP_ID)
    groups.update(GROUP_ID, {"name": name, "version": current["version"]}, if_match=None)


def test_the_embed_page_is_kept_per_what_it_shows_and_a_change_shows_at_once(api: Any, group: dict[str, Any]) -> None:
    first = body(api.http.get(EMBED, headers=HTML))
    again = api.http.get(EMBED, headers=HTML)
    assert body(again) == first == body(fresh(api, EMBED, **HTML))
    again.headers["X-Probe"] = "changed"  # the middleware adds headers: each answer has its own
    assert "X-Probe" not in api.http.get(EMBED, headers=HTML).headers

    rename("Montana & Idaho Evening Circle")
    renamed = body(api.http.get(EMBED, headers=HTML))
    assert "Montana &amp; Idaho Evening Circle" in renamed and renamed != first
    assert renamed == body(fresh(api, EMBED, **HTML))

    container.current().events.create(event_body(title="Missoula <Picnic>", status="published"))
    with_event = body(api.http.get(f"{EMBED}?show=events", headers=HTML))
    assert "Missoula &lt;Picnic&gt;" in with_event
    assert with_event == body(fresh(api, f"{EMBED}?show=events", **HTML))


def test_the_more_link_carries_each_requests_own_cursor_escaped_as_jinja_would(
    api: Any, group: dict[str, Any], moto_stack: Stack
) -> None:
    for i in range(3):
        container.current().events.create(
            event_body(
                title=f"Event {i}", starts_at=f"2030-03-1{i}T10:00:00-06:00", ends_at=f"2030-03-1{i}T12:00:00-06:00"
            )
        )
    path = f"{EMBED}?show=events&events=1"
    kept = body(api.http.get(path, headers=HTML))
    moto_stack.clock.set(moto_stack.clock.now() + timedelta(seconds=5))
    later = body(api.http.get(path, headers=HTML))
    more = re.findall(r'href="([^"]*cursor=[^"]*)"', later)
    assert len(more) == 1 and "&amp;" in more[0]  # escaped in the attribute, as the template escapes it
    assert "\ue000" not in later  # no marker left behind
    assert later == body(fresh(api, path, **HTML))  # the same bytes a fresh process renders
    assert re.sub(r"cursor=[^\"&]*", "", later) == re.sub(r"cursor=[^\"&]*", "", kept)
    assert later != kept  # the cursor holds the instant of its first page: a new one each second


def test_what_someone_typed_is_never_kept(api: Any, group: dict[str, Any]) -> None:
    body(api.http.get(EMBED, headers=HTML))  # the form as everyone first sees it: kept
    assert templating._public_pages
    refused = api.http.post(  # the embed form posted with a bad address: the form again, as she typed it
        EMBED,
        headers=FORM,
        body=urlencode({"name": "Ann Typed-Name", "email": "not-an-address", "state": "MT"}).encode(),
    )
    assert refused.status_code == 400 and b"Ann Typed-Name" in refused.body and b"not-an-address" in refused.body
    assert not any(
        "Typed-Name" in str(kept) or "not-an-address" in str(kept) for kept in templating._public_pages.values()
    )
    assert "Ann Typed-Name" not in body(api.http.get(EMBED, headers=HTML))


def test_the_thanks_and_resend_pages_follow_the_group_and_the_address(api: Any, group: dict[str, Any]) -> None:
    thanks = f"{EMBED}/thanks"
    plain = body(api.http.get(thanks, headers=HTML))
    themed = body(api.http.get(f"{thanks}?accent=%236b2a5e", headers=HTML))
    assert themed != plain and themed == body(fresh(api, f"{thanks}?accent=%236b2a5e", **HTML))
    resend = f"/groups/{GROUP_ID}/resend"
    before = body(api.http.get(resend, headers=HTML))
    rename("Big Sky Circle")
    assert "Big Sky Circle" in body(api.http.get(thanks, headers=HTML))
    after = body(api.http.get(resend, headers=HTML))
    assert "Big Sky Circle" in after and after != before
    assert after == body(fresh(api, resend, **HTML))


def test_a_groups_json_is_chalices_own_serialization_and_follows_every_change(api: Any, group: dict[str, Any]) -> None:
    from chalice.app import Response

    from chalicelib.groups.views import public_view
    from chalicelib.organization import organization

    c = container.current()
    answer = api.http.get(f"/groups/{GROUP_ID}")
    record = c.groups.get(GROUP_ID)
    view = public_view(record, c.meetings.next_meeting(record), organization(c.settings))
    # What Chalice writes for the view as a dict (its separators and number handling), byte for byte.
    assert answer.body.decode() == Response(body=dict(view)).to_dict()["body"]
    rename("Renamed Group")
    assert json.loads(api.http.get(f"/groups/{GROUP_ID}").body)["name"] == "Renamed Group"


def test_meetings_follow_a_cancellation_and_its_undoing(api: Any, group: dict[str, Any]) -> None:
    path = f"/groups/{GROUP_ID}/meetings?count=3"
    first = json.loads(api.http.get(path).body)["meetings"]
    day = first[0]["date"]
    c = container.current()
    c.meetings.put_override(GROUP_ID, day, {"status": "cancelled", "notify": False}, organizer_id="org-1")
    cancelled = json.loads(api.http.get(path).body)["meetings"]
    assert cancelled[0]["status"] == "cancelled" and cancelled[1:] == first[1:]
    c.meetings.delete_override(GROUP_ID, day, organizer_id="org-1", notify=False)
    assert json.loads(api.http.get(path).body)["meetings"] == first
    assert api.http.get(path).body == fresh(api, path).body


def test_an_events_json_and_ics_are_what_the_api_wrote_before_and_follow_an_edit(
    api: Any, group: dict[str, Any]
) -> None:
    from chalice.app import Response

    c = container.current()
    event = c.events.create(event_body(title="Café \u2013 Coeur d'Alene <meetup>", status="published"))
    answer = api.http.get(f"/events/{event['id']}")
    # Chalice's own serialization of the event as parsed, byte for byte (non-ASCII escaped alike).
    assert answer.body.decode() == Response(body=json.loads(answer.body)).to_dict()["body"]
    assert answer.headers["ETag"] == f'"{event["version"]}"'
    ics = api.http.get(f"/events/{event['id']}.ics")
    assert 'filename="caf-coeur-d-alene-meetup.ics"' in ics.headers["Content-Disposition"]
    edited = c.events.update(event["id"], {"title": "Picnic", "version": event["version"]}, if_match=None)
    again = api.http.get(f"/events/{event['id']}")
    assert json.loads(again.body)["title"] == "Picnic" and again.headers["ETag"] == f'"{edited["version"]}"'
    assert "SUMMARY:Picnic" in api.http.get(f"/events/{event['id']}.ics").body.decode()
    draft = c.events.create(event_body(title="Not yet", status="draft"))
    assert api.http.get(f"/events/{draft['id']}").status_code == 404
    assert api.http.get(f"/events/{draft['id']}.ics").status_code == 404
