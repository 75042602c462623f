"""The website's server side (issue 15): the widget files, the iframe embed page (theme, frame
ancestors, events, its form without JavaScript), the outcomes of a plain form post as pages,
the consent version a person saw, and one event as an .ics download."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from chalicelib import container
from chalicelib.organization import organization
from chalicelib.settings import Settings
from chalicelib.signups.consent import CONSENT_VERSION, consent_text
from tests.support.builders import GROUP_ID, as_json, event_body, group_body, outbox_messages, send, signup_body
from tests.support.stacks import ROOT, Stack, make_client

EMBED = f"/embed/{GROUP_ID}"
SIGNUPS = f"/groups/{GROUP_ID}/signups"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
STATIC = ROOT / "chalicelib" / "website" / "static"


@pytest.fixture
def group(moto_stack: Stack) -> dict[str, Any]:
    return dict(container.current().groups.create(group_body()))


def html(response: Any) -> str:
    return str(response.body.decode("utf-8"))


def text_of(page: str) -> str:
    """The page's text, tags dropped and entities decoded (what a person reads)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def csp(response: Any) -> dict[str, str]:
    parts = [p.strip() for p in response.headers["Content-Security-Policy"].split(";")]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts}


def local(url: str) -> str:
    """An absolute API URL (PUBLIC_API_URL is http://api.test in these tests) as a path for the client."""
    assert url.startswith("http://api.test/"), url
    return url.removeprefix("http://api.test")


def post_form(api: Any, path: str, fields: dict[str, str], **headers: str) -> Any:
    return api.http.post(path, headers={**FORM, **headers}, body=urlencode(fields).encode())


def good_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "name": "Nora Frame",
        "email": "nora@example.org",
        "state": "ID",
        "consent": "on",
        "consent_version": CONSENT_VERSION,
        "website": "",
    }
    fields.update(overrides)
    return fields


# ---------------------------------------------------------------- the widget files


def test_widget_files_are_served_with_a_version_and_caching(api: Any) -> None:
    script = api.http.get("/widgets/mbc-connect.js")
    assert script.status_code == 200
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == "public, max-age=300"
    assert script.body.decode() == (STATIC / "mbc-connect.js").read_text()
    version = script.headers["ETag"].strip('"')
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert api.http.get("/widgets/mbc-connect.js", headers={"If-None-Match": f'"{version}"'}).status_code == 304
    pinned = api.http.get(f"/widgets/{version}/mbc-connect.js")
    assert pinned.status_code == 200
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    styles = api.http.get(f"/widgets/{version}/mbc-connect.css")
    assert styles.headers["Content-Type"] == "text/css; charset=utf-8"
    assert styles.body.decode() == (STATIC / "mbc-connect.css").read_text()
    older = api.http.get("/widgets/0123456789ab/mbc-connect.css")
    assert older.status_code == 302
    assert older.headers["Location"] == f"http://api.test/widgets/{version}/mbc-connect.css"
    assert api.http.get("/widgets/latest/mbc-connect.js").status_code == 404


def test_the_copies_in_web_are_the_served_files() -> None:
    for name in ("mbc-connect.js", "mbc-connect.css"):
        assert (ROOT / "web" / name).read_bytes() == (STATIC / name).read_bytes(), (
            f"web/{name} differs from chalicelib/website/static/{name}: copy the served file over"
        )


def test_the_plain_html_form_shows_the_current_consent_statement() -> None:
    snippet = (ROOT / "web" / "signup-form.html").read_text()
    # As GET /groups/{id} gives it under make run (the chapter's name escaped as the page holds it).
    assert consent_text(Settings().org_name).replace("&", "&amp;") in snippet
    assert f'name="consent_version" value="{CONSENT_VERSION}"' in snippet


# ---------------------------------------------------------------- the embed page


def test_embed_page_may_be_framed_by_the_allowed_origins_only(
    api: Any, group: dict[str, Any], organizer_key: str
) -> None:
    page = api.http.get(EMBED)
    assert page.status_code == 200
    policy = csp(page)
    assert policy["frame-ancestors"] == "https://www.example.org"
    assert policy["default-src"] == "'none'"
    assert "script-src" not in policy  # nothing runs: default-src 'none'
    assert policy["form-action"] == "'self' http://api.test"
    assert "X-Frame-Options" not in page.headers
    body = html(page)
    assert "Join the MBC Connection Group" in body
    assert consent_text(organization(container.current().settings).name).replace("&", "&amp;") in body
    assert f'name="consent_version" value="{CONSENT_VERSION}"' in body
    put = send(api, "PUT", "/site/origins", {"origins": ["https://staging.example.org"], "version": 0}, organizer_key)
    assert put.status_code == 200
    assert csp(api.http.get(EMBED))["frame-ancestors"] == "https://www.example.org https://staging.example.org"
    # The API's other pages are never framed.
    member_page = api.http.get("/signups/confirm?token=x", headers={"Accept": "text/html"})
    assert "frame-ancestors 'none'" in member_page.headers["Content-Security-Policy"]


def test_every_signup_form_links_to_get_your_link_again(api: Any, group: dict[str, Any]) -> None:
    """Members who lost their email find "send me the link again" next to the form: the frame, the
    plain HTML form and the script's form all link to the API's page, which answers 200."""
    resend = f"/groups/{GROUP_ID}/resend"
    link = re.compile(r'<a href="([^"]+)"[^>]*>Already a member\? Get your link again')
    framed = link.search(html(api.http.get(f"{EMBED}?show=signup")))
    assert framed and framed.group(1) == f"http://api.test{resend}"
    assert 'target="_blank"' in framed.group(0)  # the page refuses to be framed: a new tab
    refused = html(post_form(api, EMBED, good_fields(email="nope")))
    assert link.search(refused)  # also when the form comes back with errors
    plain = link.search((ROOT / "web" / "signup-form.html").read_text())
    assert plain and plain.group(1) == f"https://api.example.org{resend}"
    script = (STATIC / "mbc-connect.js").read_text()
    assert 'config.api + "/groups/" + encodeURIComponent(group.id) + "/resend"' in script
    assert "Already a member? Get your link again" in script
    page = api.http.get(resend)
    assert page.status_code == 200
    assert "Get your meeting link again" in text_of(html(page))
    assert f'action="http://api.test{resend}"' in html(page)


def test_theme_parameters_become_validated_custom_properties(api: Any, group: dict[str, Any]) -> None:
    page = api.http.get(f"{EMBED}?accent=%236B2A5E&on_accent=fff&radius=8px&font=Atkinson%20Hyperlegible")
    assert page.status_code == 200
    [style] = re.findall(r"<style>(.*?)</style>", html(page), re.S)
    assert style == (
        ":root{--mbc-accent:#6b2a5e;--mbc-on-accent:#fff;--mbc-font:Atkinson Hyperlegible, system-ui, sans-serif;"
        "--mbc-radius:8px}"
    )
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp(page)["style-src"]  # exactly this style, nothing else inline
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    # Links between the embed's pages keep the theme.
    assert 'action="http://api.test/embed/mbc-connection-group?accent=%236b2a5e&amp;on_accent=%23fff' in html(page)

    bad = api.http.get(f"{EMBED}?accent=red&radius=100px&font=x%3By%7D&show=everything&events=99&state=WA&event=a.b")
    assert bad.status_code == 400
    assert bad.headers["Content-Type"].startswith("text/html")
    words = text_of(html(bad))
    for name in ("accent", "radius", "font", "show", "events", "state", "event"):
        assert f"{name}:" in words, name
    assert "<style>" not in html(bad)
    injected = api.http.get(f"{EMBED}?accent=" + "%23fff%3B%7Dbody%7Bdisplay%3Anone")
    assert injected.status_code == 400
    assert "display:none" not in html(injected)


def test_embed_form_without_javascript_shows_errors_in_place_then_thanks(
    api: Any, moto_stack: Stack, group: dict[str, Any]
) -> None:
    refused = post_form(api, f"{EMBED}?accent=%236b2a5e", good_fields(email="not-an-email", consent=""))
    assert refused.status_code == 400
    page = html(refused)
    assert 'value="Nora Frame"' in page  # the answers are kept
    assert re.search(r'id="mbc-email"[^>]*aria-invalid="true"[^>]*autofocus', page)
    assert re.search(r'<p class="mbc-error" id="mbc-email-error">[^<]+</p>', page)
    assert re.search(r'<p class="mbc-error" id="mbc-consent-error">You must agree', page)
    assert 'href="#mbc-email"' in page  # the summary links to the field
    assert "--mbc-accent:#6b2a5e" in page  # still themed
    assert "frame-ancestors https://www.example.org" in refused.headers["Content-Security-Policy"]
    assert list(container.current().signups.members(GROUP_ID)) == []

    done = post_form(api, f"{EMBED}?accent=%236b2a5e&show=signup", good_fields())
    assert done.status_code == 303
    thanks_url = done.headers["Location"]
    assert thanks_url == "http://api.test/embed/mbc-connection-group/thanks?accent=%236b2a5e&show=signup"
    thanks = api.http.get(local(thanks_url))
    assert thanks.status_code == 200
    assert "Check your email" in text_of(html(thanks))
    assert 'href="http://api.test/embed/mbc-connection-group?accent=%236b2a5e&amp;show=signup"' in html(thanks)
    moto_stack.drain()
    [record] = container.current().signups.members(GROUP_ID)
    assert record["consent_version"] == CONSENT_VERSION
    assert record["state"] == "ID"
    assert [m["To"] for m in outbox_messages(moto_stack.outbox)] == ["nora@example.org"]


def test_embed_form_outcomes_that_are_not_field_errors(moto_stack: Stack, group: dict[str, Any]) -> None:
    moto_stack.settings = replace(moto_stack.settings, signup_limit_per_ip_per_hour=1)
    moto_stack.rebuild()
    with make_client(moto_stack) as api:
        assert post_form(api, EMBED, good_fields()).status_code == 303
        limited = post_form(api, f"{EMBED}?radius=2px", good_fields(email="b@example.org"))
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        words = text_of(html(limited))
        assert re.search(r"Please try again in about \d+ minutes?\.", words)
        assert "Back to the form" in words
        assert 'href="http://api.test/embed/mbc-connection-group?radius=2px"' in html(limited)
        stale = post_form(api, EMBED, good_fields(consent_version="2020-01-01"))
        assert stale.status_code == 400
        assert "Please reload the form" in text_of(html(stale))
        assert "Reload the form" in text_of(html(stale))
        odd = api.http.post(EMBED, headers={"Content-Type": "multipart/form-data; boundary=x"}, body=b"--x--")
        assert odd.status_code == 415
        assert "could not be read" in text_of(html(odd))
        container.current().groups.update(GROUP_ID, {"status": "paused", "version": 1}, if_match=None)
        paused = post_form(api, EMBED, good_fields(email="c@example.org"))
        assert paused.status_code == 409
        assert "Signups are paused" in text_of(html(paused))
        assert "not taking signups" in text_of(html(api.http.get(EMBED)))
        assert 'method="post"' not in html(api.http.get(EMBED))  # no form while paused
        unknown = api.http.get("/embed/no-such-group")
        assert unknown.status_code == 404
        assert unknown.headers["Content-Type"].startswith("text/html")
        assert "what you typed is still in the form" not in text_of(html(unknown))  # nothing was typed


def test_embed_events_page_by_page_with_details(api: Any, group: dict[str, Any], organizer_key: str) -> None:
    made = []
    for day in range(1, 8):
        body = event_body(
            title=f"Meetup {day}",
            starts_at=f"2030-03-{day:02d}T10:00:00-07:00",
            ends_at=f"2030-03-{day:02d}T12:00:00-07:00",
            description="First line\nSecond line",
            states=["ID"] if day % 2 else ["MT"],
        )
        made.append(as_json(send(api, "POST", "/events", body, organizer_key)))
    virtual = event_body(
        title="Online talk",
        format="virtual",
        venue=None,
        online_url="https://example.org/talk",
        starts_at="2030-04-01T09:00:00-07:00",
        ends_at="2030-04-01T10:00:00-07:00",
        timezone="America/Los_Angeles",  # held from north Idaho: Pacific time
    )
    as_json(send(api, "POST", "/events", virtual, organizer_key))
    cancelled = as_json(send(api, "POST", "/events", event_body(title="Called off", status="cancelled"), organizer_key))

    first = html(api.http.get(f"{EMBED}?show=events&events=3"))
    assert re.findall(r"<h3>(.*?)</h3>", first) == ["Meetup 1", "Meetup 2", "Meetup 3"]
    assert "Join the" not in first  # show=events only
    assert "Showing 3 upcoming events in Idaho and Montana." in first
    assert '<p class="mbc-description">First line\nSecond line</p>' in first  # line breaks kept (pre-line)
    # Each event's time in its own zone, in words (never "MST"): chalicelib/meetings/zones.py.
    assert "Friday, March 1, 2030, 10:00 AM \u2013 12:00 PM Mountain" in first
    whens = re.findall(r'<p class="mbc-when"><time [^>]*>(.*?)</time>', first)
    assert len(whens) == 3 and not any(re.search(r"\b(MT|PT|MST|MDT|PST|PDT)\b", w) for w in whens)
    osm = re.search(r'href="(https://www\.openstreetmap\.org/search\?query=[^"]+)"', first)
    assert osm and "Helena" in unescape(osm.group(1)).replace("%20", " ")
    assert f'href="http://api.test/events/{made[0]["id"]}.ics"' in first
    google = re.search(r'href="(https://calendar\.google\.com/calendar/render\?[^"]+)"', first)
    assert google
    query = parse_qs(urlsplit(unescape(google.group(1))).query)
    assert query["dates"] == ["20300301T170000Z/20300301T190000Z"]
    assert query["text"] == ["Meetup 1"]
    assert query["details"] == ["First line\nSecond line"]
    assert query["ctz"] == ["America/Boise"]  # an Idaho event, in its own zone
    assert "webcal://api.test/events/calendar.ics?state=ID" in first
    assert "webcal://api.test/groups/mbc-connection-group/meetings.ics" in first

    more = re.search(r'<a class="mbc-button mbc-button-quiet mbc-more" href="([^"]+)">More events</a>', first)
    assert more
    second = html(api.http.get(local(unescape(more.group(1)))))
    assert re.findall(r"<h3>(.*?)</h3>", second) == ["Meetup 4", "Meetup 5", "Meetup 6"]
    assert "Back to the first events" in second
    idaho = html(api.http.get(f"{EMBED}?show=events&state=id&events=20"))
    assert re.findall(r"<h3>(.*?)</h3>", idaho) == ["Meetup 1", "Meetup 3", "Meetup 5", "Meetup 7"]
    opened = html(api.http.get(f"{EMBED}?show=events&events=1&event={made[5]['id']}"))
    assert re.findall(r"<h3>(.*?)</h3>", opened) == ["Meetup 6", "Meetup 1"]  # the one asked for, first
    assert opened.count("<details open>") == 1
    everything = html(api.http.get(f"{EMBED}?show=events&events=20"))
    online = everything.split("<h3>Online talk</h3>")[1].split("</li>")[0]
    assert '<p class="mbc-where">Online</p>' in online
    assert "Monday, April 1, 2030, 9:00 AM \u2013 10:00 AM Pacific" in online
    assert "openstreetmap" not in online
    assert 'href="https://example.org/talk"' in online
    called_off = everything.split("<h3>Called off</h3>")[1].split("</li>")[0]
    assert "Cancelled" in called_off
    assert ".ics" not in called_off and "calendar.google.com" not in called_off
    assert cancelled["id"] in everything
    bad_cursor = api.http.get(f"{EMBED}?show=events&cursor=nonsense")
    assert bad_cursor.status_code == 400
    assert "Back to the first events" in text_of(html(bad_cursor))


# ---------------------------------------------------------------- a plain HTML form post


def test_plain_form_post_outcomes_are_pages_with_a_way_back(moto_stack: Stack, group: dict[str, Any]) -> None:
    page = "https://www.example.org/join?x=1"
    with make_client(moto_stack) as api:
        done = post_form(api, SIGNUPS, good_fields(), Referer=page)
        assert done.status_code == 303
        assert done.headers["Location"] == "http://api.test/embed/mbc-connection-group/thanks?" + urlencode(
            {"back": page}
        )
        thanks = html(api.http.get(local(done.headers["Location"])))
        assert f'href="{page}"' in thanks and "Back to the website" in thanks
        elsewhere = post_form(api, SIGNUPS, good_fields(email="e@example.org"), Referer="https://evil.example.com/")
        assert "back=" not in elsewhere.headers["Location"]
        sneaky = html(api.http.get(f"/embed/{GROUP_ID}/thanks?back=https%3A%2F%2Fevil.example.com%2F"))
        assert "evil.example.com" not in sneaky and "Back to the form" in sneaky

        refused = post_form(api, SIGNUPS, good_fields(name="", email="nope", state="WA"), Referer=page)
        assert refused.status_code == 400
        assert refused.headers["Content-Type"].startswith("text/html")
        words = text_of(html(refused))
        assert "Please check the form" in words
        assert "Your name:" in words and "Email address:" in words and "State you live in:" in words
        assert "Must be a valid email address." in words
        assert f'href="{page.replace("&", "&amp;")}"' in html(refused)
        assert "Back button" in words
        assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]

        missing = api.http.post("/groups/no-such-group/signups", headers=FORM, body=urlencode(good_fields()).encode())
        assert missing.status_code == 404 and "not set up correctly" in text_of(html(missing))
        big = api.http.post(SIGNUPS, headers=FORM, body=b"name=" + b"x" * 70_000)
        assert big.status_code == 413 and "too large" in text_of(html(big))
        multipart = api.http.post(SIGNUPS, headers={"Content-Type": "multipart/form-data; boundary=x"}, body=b"--x--")
        assert multipart.status_code == 415 and "could not be read" in text_of(html(multipart))

        container.current().groups.update(GROUP_ID, {"status": "paused", "version": 1}, if_match=None)
        paused = post_form(api, SIGNUPS, good_fields(email="p@example.org"))
        assert paused.status_code == 409 and "Signups are paused" in text_of(html(paused))


def test_plain_form_post_rate_limit_page_says_how_long(moto_stack: Stack, group: dict[str, Any]) -> None:
    moto_stack.settings = replace(moto_stack.settings, signup_limit_per_ip_per_hour=1)
    moto_stack.rebuild()
    with make_client(moto_stack) as api:
        post_form(api, SIGNUPS, good_fields())
        limited = post_form(api, SIGNUPS, good_fields(email="second@example.org"))
        assert limited.status_code == 429
        retry = int(limited.headers["Retry-After"])
        minutes = -(-retry // 60)
        assert f"Please try again in about {minutes} minute" in text_of(html(limited))


def test_json_clients_keep_the_json_contract(api: Any, group: dict[str, Any]) -> None:
    as_form = post_form(api, SIGNUPS, good_fields(email="nope"), Accept="application/json")
    assert as_form.status_code == 400
    assert as_json(as_form)["error"]["fields"] == {"email": "Must be a valid email address."}
    ok = post_form(api, SIGNUPS, good_fields(), Accept="application/json")
    assert (ok.status_code, as_json(ok)) == (202, {"status": "check_your_email"})
    redirected = post_form(
        api,
        SIGNUPS,
        good_fields(email="r@example.org", redirect="https://www.example.org/t"),
        Accept="application/json",
    )
    assert (redirected.status_code, redirected.headers["Location"]) == (303, "https://www.example.org/t")
    plain = send(api, "POST", SIGNUPS, b"x", **{"Content-Type": "text/plain", "Accept": "application/json"})
    assert plain.status_code == 415 and as_json(plain)["error"]["code"] == "unsupported_media_type"
    bad = send(api, "POST", SIGNUPS, signup_body(email="nope"))
    assert bad.status_code == 400 and as_json(bad)["error"]["code"] == "validation_error"


def test_storage_outage_on_the_embed_page_is_a_page(moto_stack: Stack) -> None:
    from chalicelib.aws import dynamodb_client

    dead = replace(moto_stack.settings, dynamodb_endpoint="http://127.0.0.1:9")
    moto_stack.settings = dead
    moto_stack.rebuild(dynamodb=dynamodb_client(dead))
    with make_client(moto_stack) as client:
        http = client._client.http  # no outbox drain after each request: storage is down
        body = urlencode(good_fields()).encode()
        for response in (
            http.get(EMBED),
            http.post(EMBED, headers=FORM, body=body),
            http.post(SIGNUPS, headers=FORM, body=body),
        ):
            assert response.status_code == 503
            assert response.headers["Content-Type"].startswith("text/html")
            assert int(response.headers["Retry-After"]) > 0
            assert "try again" in text_of(html(response)).lower()


# ---------------------------------------------------------------- the consent version


def test_the_consent_version_recorded_is_the_one_shown(
    api: Any, moto_stack: Stack, group: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = as_json(api.http.get(f"/groups/{GROUP_ID}"))["consent_version"]
    assert send(api, "POST", SIGNUPS, signup_body(consent_version=shown)).status_code == 202
    stale = send(api, "POST", SIGNUPS, signup_body(email="old@example.org", consent_version="2020-01-01"))
    assert stale.status_code == 400
    assert "reload the page" in as_json(stale)["error"]["fields"]["consent_version"]
    assert send(api, "POST", SIGNUPS, signup_body(email="none@example.org")).status_code == 202  # older clients
    # A new statement: a page still showing the old one is refused; the new one is recorded as posted.
    monkeypatch.setattr("chalicelib.signups.public_forms.CONSENT_VERSION", "2027-02-01")  # the rule's one copy
    assert send(api, "POST", SIGNUPS, signup_body(email="late@example.org", consent_version=shown)).status_code == 400
    assert (
        send(api, "POST", SIGNUPS, signup_body(email="new@example.org", consent_version="2027-02-01")).status_code
        == 202
    )
    moto_stack.drain()
    versions = {r["email"]: r["consent_version"] for r in container.current().signups.members(GROUP_ID)}
    assert versions == {
        "ann@example.org": shown,
        "none@example.org": CONSENT_VERSION,
        "new@example.org": "2027-02-01",
    }


# ---------------------------------------------------------------- one event to a calendar


def test_one_event_as_an_ics_download(api: Any, organizer_key: str) -> None:
    event = as_json(send(api, "POST", "/events", event_body(title="Helena MBC meetup!"), organizer_key))
    draft = as_json(send(api, "POST", "/events", event_body(status="draft"), organizer_key))
    one = api.http.get(f"/events/{event['id']}.ics")
    assert one.status_code == 200
    assert one.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert one.headers["Content-Disposition"] == 'attachment; filename="helena-mbc-meetup.ics"'
    text = one.body.decode()
    assert text.count("BEGIN:VEVENT") == 1
    assert f"UID:event-{event['id']}@mbc-connect" in text
    feed = api.http.get("/events/calendar.ics").body.decode()
    vevent = re.search(r"BEGIN:VEVENT.*?END:VEVENT", text, re.S)
    assert vevent and vevent.group(0) in feed  # the very VEVENT of the feed
    assert api.http.get(f"/events/{draft['id']}.ics").status_code == 404
    assert api.http.get("/events/nope.ics").status_code == 404
    assert api.http.get(f"/events/{event['id']}").headers["Content-Type"] == "application/json"


def test_openapi_documents_the_website_routes(api: Any) -> None:
    paths = as_json(api.http.get("/openapi.json"))["paths"]
    for path in ("/embed/{group_id}", "/embed/{group_id}/thanks", "/widgets/mbc-connect.js", "/site/origins"):
        assert path in paths
    assert "consent_version" in json.dumps(
        as_json(api.http.get("/openapi.json"))["components"]["schemas"]["SignupForm"]
    )
    assert Path(ROOT / "docs" / "api.md").exists()
