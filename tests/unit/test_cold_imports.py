"""The import rule for cold start (docs/architecture.md): importing app.py loads no heavy library,
and a member's cold request loads only the modules its route needs, never the console, the
organizer API, announcements or the distribution.

Each public route family is served once in a fresh interpreter (tests/unit/cold_child.py): the
table is made on moto and filled with items written here beforehand, then the child imports app,
serves the one request through the Lambda handler and reports every ``chalicelib`` module loaded.
That set must lie within the route's allow-list below: a new import on a member's path is a
decision to write down here, not an accident."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.stacks import ROOT

HEAVY = (
    "pydantic",
    "pydantic_core",
    "botocore",
    "boto3",
    "jinja2",
    "icalendar",
    "dateutil",
    "email_validator",
    "itsdangerous",
)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # before the group's meeting of 2026-12-01 and the event
CHILD = Path(__file__).resolve().parent / "cold_child.py"


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_app_loads_no_heavy_library() -> None:
    loaded = _modules_after("import app")
    heavy = sorted({m.split(".")[0] for m in loaded} & set(HEAVY))
    assert heavy == []
    # Only light feature modules at module level: no service, storage or model module.
    features = {m for m in loaded if m.startswith("chalicelib.") and m.count(".") >= 2}
    assert not {m for m in features if m.rsplit(".", 1)[1] in ("service", "storage", "models", "views")}
    assert not {m for m in loaded if _organizer_only(m)}, "import app loaded an organizer-only module"
    # Issue 23: registering the routes reads no record TypedDict, member-link or signing code.
    assert not loaded & _lib("groups.records", "signups.links", "signing")


# ---------------------------------------------------------------- what a member's request may load


def _organizer_only(module: str) -> bool:
    """Code only organizers reach: the console and every feature's console pages, the organizer API,
    announcements, the distribution (its records aside: key prefixes), the activity log, organizers."""
    if module in ("chalicelib.distribution", "chalicelib.distribution.records"):
        return False
    areas = ("console", "announcements", "distribution", "activity", "organizers")
    return any(module == f"chalicelib.{a}" or module.startswith(f"chalicelib.{a}.") for a in areas) or module.rsplit(
        ".", 1
    )[-1] in ("console", "organizer_api")


def _lib(*names: str) -> set[str]:
    return {f"chalicelib.{name}" for name in names}


# What importing app.py loads: the app, the public route modules, the edge, the organizer routing
# table (names only: web/organizer_routes.py) and its lazy views (web/lazy.py).
# Issue 23: the routes check a group's id with groups/slugs.py (not the records' TypedDicts), and the
# member links (signups/links.py, signing.py) load on a member link's first request.
APP = {"app", "chalicelib"} | _lib(
    *("clock", "container", "db", "errors", "settings", "templating", "outbox", "outbox.mapping"),
    # The states' names (errors.py words a refused state with them); the bounded memo (templating's
    # kept public pages): both standard library only, a few lines each.
    *("constants", "memo"),
    *("events", "events.routes", "groups", "groups.slugs", "groups.routes", "joinlinks", "joinlinks.routes"),
    *("meetings", "meetings.routes", "signups", "signups.routes", "website", "website.routes"),
    *("web", "web.auth", "web.cors", "web.errors", "web.lazy", "web.openapi", "web.organizer_routes", "web.pages"),
    *("web.request", "web.responses", "web.routing"),
)
STORAGE = _lib("aws", "versioning")  # the first client; optimistic versions
EVENTS = STORAGE | _lib("constants", "events.records", "events.service", "events.storage", "events.views")
EVENTS |= _lib("signing")  # the next page's cursor
GROUP = STORAGE | _lib("groups.records", "groups.service", "groups.storage")
# meetings.zones: the zones members live on and how a moment is written (zoneinfo only).
SCHEDULE = GROUP | _lib(
    *(f"meetings.{m}" for m in ("meeting", "records", "schedule", "service", "storage", "wording", "zones"))
)
MEETINGS_ICS = SCHEDULE | _lib("joinlinks.details", "meetings.calendar")
# The signup service and the transaction part of an email it promises (outbox.promise).
SIGNUPS = GROUP | _lib(
    *("signups.addresses", "signups.consent", "signups.records", "signups.service", "signups.storage"),
    *("signups.core", "signups.intake", "signups.membership", "signups.erasure", "outbox.promise"),
    *("signups.intake_storage", "signups.listing_storage"),
    "outbox.records",
)
# A member link from an email: its signature (and the keyed hashes of addresses).
LINK = _lib("signing", "signups.links")
SIGNUPS |= LINK
# Telling the organizers about someone waiting for approval (a confirmation does that when the
# group asks for approval).
ORGANIZERS = _lib("organizers", "organizers.keys", "organizers.records", "organizers.scope", "organizers.storage")
# The form: the pydantic-free field and address checks (never the models: issue 23,
# tests/unit/test_cold_signup.py checks the libraries), and the pages a form post without JavaScript answers.
FORM_CHECKS = SIGNUPS | _lib("constants", "emails", "signups.public_forms", "text_rules")
SIGNUP_FORM = FORM_CHECKS | _lib("website.assets", "website.origins", "website.pages", "website.theme")
EMBED = _lib(
    *(f"website.{m}" for m in ("assets", "embed", "origins", "pages", "records", "service", "storage", "theme"))
)
# /j/: the link, the member and the window (one BatchGetItem), the opening record (the ledger's keys).
JOIN = _lib("aws") | _lib(
    "joinlinks.click", "joinlinks.records", "joinlinks.storage", "joinlinks.tokens", "joinlinks.views"
)
JOIN |= _lib("signing")  # the token's identity key, the opening's keyed hash
JOIN |= _lib("distribution", "distribution.records", "meetings.wording", "meetings.zones", "signups.records")
# Every member page is titled and signed with the chapter's name (its settings, standard library only).
PAGE = _lib("organization")

# route family -> the chalicelib modules its cold request may load beyond APP
ALLOWED: dict[str, set[str]] = {
    "events list": EVENTS,
    "one event": EVENTS,
    "one event's ics": EVENTS | _lib("events.feed"),
    "events calendar": EVENTS | _lib("events.feed"),
    "group view": SCHEDULE | PAGE | _lib("groups.views", "signups.consent"),  # the chapter names the group
    "group meetings": SCHEDULE,
    "group meetings ics": MEETINGS_ICS,
    "signup form post": SIGNUP_FORM,
    "signup json": SIGNUP_FORM,
    "resend page": GROUP | PAGE,
    "resend post": FORM_CHECKS | PAGE | _lib("groups.contact"),  # the page names whom to ask
    "confirm page": LINK | PAGE,  # the link's signature, then a page
    "confirm post": SIGNUPS | ORGANIZERS | _lib("signups.notices"),  # the organizers' batched notice
    "unsubscribe page": LINK | PAGE,
    "unsubscribe one-click": SIGNUPS,
    "erase page": LINK | PAGE,
    "erase post": set(),  # filled below
    "personal link": JOIN | PAGE,
    "personal link ics": JOIN | MEETINGS_ICS,
    "widget script": _lib("website.assets"),
    "site allowed": STORAGE | EMBED,  # the widget asks whether its website is allowed yet
    "embed page": EMBED | EVENTS | SCHEDULE | PAGE | _lib("groups.views", "signups.consent"),
    # "Manage my membership": her record, the group and its next meeting, a page.
    "manage page": SIGNUPS | SCHEDULE | PAGE | _lib("signups.manage", "groups.contact"),
    "embed form post": EMBED
    | SIGNUP_FORM
    | _lib("events.records", "meetings.wording", "meetings.zones", "website.forms"),
}
# A member erasing herself: every row about her goes, including those other features keep (the
# delivery ledger, announcement rows, her name in the activity log), through their services. The one
# member route that reaches organizer-side code, on purpose (docs/architecture.md, "Erasure").
ERASURE_REACHES = _lib(
    *("activity", "activity.log", "activity.records", "announcements", "announcements.records"),
    *("announcements.service", "announcements.storage", "distribution.ledger", "distribution.planner"),
    *("distribution.runner", "distribution.sending", "distribution.truth"),
)
ERASURE_REACHES |= _lib("organizers", "organizers.records", "organizers.scope")  # the log's Principal
ALLOWED["erase post"] = SIGNUPS | SCHEDULE | ERASURE_REACHES | _lib("groups.contact", "signups.member_mail")
ALLOWED["erase post"] |= _lib("joinlinks.details", "joinlinks.records", "joinlinks.service", "joinlinks.storage")
ALLOWED["erase post"] |= _lib("joinlinks.tokens", "meetings.calendar", "meetings.mail", "distribution.records")
ALLOWED["erase post"] |= _lib("distribution", "outbox.storage", "mail", "mail.backends", "mail.message", "metrics")
ALLOWED["erase post"] |= PAGE | _lib("groups.expect")  # the page; the join window's what-to-expect text
# The member routes that reach organizer-side code, on purpose; every other reaches none.
REACHES = {"erase post": ERASURE_REACHES, "confirm post": ORGANIZERS}


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
GROUP_PATH = "/groups/{group_id}"


class Seeded:
    """What the table holds for the children: a group, an event, an active member with a personal
    link, and the member links her emails carry."""

    def __init__(self, env: dict[str, str], table: dict[str, Any], items: list[Any], values: dict[str, str]) -> None:
        self.env, self.table, self.items, self.values = env, table, items, values


def _get(resource: str, path: str, query: str = "") -> dict[str, Any]:
    return {"method": "GET", "resource": resource, "path": path, "query": query, "headers": {}}


def _post(resource: str, path: str, body: str, content_type: str, query: str = "") -> dict[str, Any]:
    headers = {"content-type": content_type}
    return {"method": "POST", "resource": resource, "path": path, "query": query, "body": body, "headers": headers}


def _requests(v: dict[str, str]) -> dict[str, tuple[dict[str, Any], int]]:
    """route family -> (the request, the status it answers)."""
    group, event = f"/groups/{v['group']}", f"/events/{v['event']}"
    person = {"name": "Bea Example", "email": "bea@example.org", "state": "ID"}
    return {
        "events list": (_get("/events", "/events"), 200),
        "one event": (_get("/events/{event_id}", event), 200),
        "one event's ics": (_get("/events/{event_id}", event + ".ics"), 200),
        "events calendar": (_get("/events/calendar.ics", "/events/calendar.ics"), 200),
        "group view": (_get(GROUP_PATH, group), 200),
        "group meetings": (_get(GROUP_PATH + "/meetings", group + "/meetings"), 200),
        "group meetings ics": (_get(GROUP_PATH + "/meetings.ics", group + "/meetings.ics"), 200),
        "signup form post": (
            _post(GROUP_PATH + "/signups", group + "/signups", urlencode({**person, "consent": "yes"}), FORM),
            202,
        ),
        "signup json": (
            _post(GROUP_PATH + "/signups", group + "/signups", json.dumps({**person, "consent": True}), JSON),
            202,
        ),
        "resend page": (_get(GROUP_PATH + "/resend", group + "/resend"), 200),
        "resend post": (
            _post(GROUP_PATH + "/resend", group + "/resend", urlencode({"email": "bea@example.org"}), FORM),
            200,  # the page that says an email is on its way, if the address is known
        ),
        "confirm page": (_get("/signups/confirm", "/signups/confirm", v["confirm"]), 200),
        "confirm post": (_post("/signups/confirm", "/signups/confirm", "", FORM, v["confirm"]), 200),
        "unsubscribe page": (_get("/signups/unsubscribe", "/signups/unsubscribe", v["unsubscribe"]), 200),
        "unsubscribe one-click": (
            _post("/signups/unsubscribe", "/signups/unsubscribe", "List-Unsubscribe=One-Click", FORM, v["unsubscribe"]),
            200,
        ),
        "erase page": (_get("/signups/erase", "/signups/erase", v["erase"]), 200),
        "manage page": (_get("/signups/manage", "/signups/manage", v["manage"]), 200),
        "erase post": (_post("/signups/erase", "/signups/erase", "", FORM, v["erase"]), 200),
        "personal link": (_get("/j/{token}", f"/j/{v['join']}"), 200),
        "personal link ics": (_get("/j/{token}/meeting.ics", f"/j/{v['join']}/meeting.ics"), 200),
        "widget script": (_get("/widgets/mbc-connect.js", "/widgets/mbc-connect.js"), 200),
        "site allowed": (
            {**_get("/site/allowed", "/site/allowed"), "headers": {"origin": "https://chapter.example.org"}},
            200,
        ),
        "embed page": (_get("/embed/{group_id}", f"/embed/{v['group']}"), 200),
        "embed form post": (
            _post("/embed/{group_id}", f"/embed/{v['group']}", urlencode({**person, "consent": "yes"}), FORM),
            303,
        ),
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    from moto import mock_aws

    from chalicelib import container
    from chalicelib.signups.links import MemberLink
    from chalicelib.table import create_table_kwargs
    from tests.support.builders import add_members, event_body, group_body
    from tests.support.stacks import open_stack, stack_env

    env = stack_env(tmp_path_factory.mktemp("cold"), "mbc-cold")
    with pytest.MonkeyPatch.context() as mp, mock_aws():
        stack = open_stack(mp, env)
        stack.clock.set(NOW)
        c = stack.container
        group = c.groups.create(group_body())
        event = c.events.create(event_body())
        [member] = add_members(c, emails=["ann@example.org"])
        stack.client.put_item(**c.join_links.activation_item(member)["Put"])
        [pending] = add_members(c, emails=["cat@example.org"], status="pending_confirmation")

        def token(purpose: Any, record: Any) -> str:
            url = c.signups.link(purpose, MemberLink(group["id"], record["id"], record["gen"]))
            return urlencode({"token": parse_qs(urlsplit(url).query)["token"][0]})

        values = {
            "group": group["id"],
            "event": event["id"],
            "join": c.join_links.token(member),
            "confirm": token("confirm", pending),
            "unsubscribe": token("unsubscribe", member),
            "erase": token("erase", member),
            "manage": token("manage", member),
        }
        items = stack.client.scan(TableName=stack.table)["Items"]  # a test reads everything back
        table = create_table_kwargs(stack.table)
        container.reset()
    return Seeded({**os.environ, **env}, table, items, values)


def _serve(seeded: Seeded, request: dict[str, Any]) -> dict[str, Any]:
    spec = {"table": seeded.table, "items": seeded.items, "now": NOW.isoformat(), "request": request}
    out = subprocess.run(
        [sys.executable, str(CHILD)],
        input=json.dumps(spec),
        cwd=ROOT,
        env=seeded.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return result


VALUES = ("group", "event", "join", "confirm", "unsubscribe", "erase", "manage")


@pytest.mark.parametrize("family", sorted(_requests(dict.fromkeys(VALUES, "x"))))
def test_a_cold_public_request_loads_only_its_own_modules(seeded: Seeded, family: str) -> None:
    request, status = _requests(seeded.values)[family]
    served = _serve(seeded, request)
    assert served["status"] == status, served
    loaded = set(served["modules"])
    assert loaded >= APP  # the child really imported the app
    outside = sorted(loaded - APP - ALLOWED[family])
    assert outside == [], f"{family} loaded modules outside its allow-list: {', '.join(outside)}"
    organizer_side = {m for m in loaded if _organizer_only(m)}
    assert organizer_side <= REACHES.get(family, set()), organizer_side
    if family == "events list":  # the default listing reads no time zone (issue 23): zoneinfo stays out
        assert not served["zoneinfo"]


def test_every_route_family_has_an_allow_list() -> None:
    assert set(_requests(dict.fromkeys(VALUES, "x"))) == set(ALLOWED)


def test_the_guard_would_see_an_organizer_module() -> None:
    """The check itself: the modules organizers' routes load are caught, the public ones are not."""
    caught = [
        "chalicelib.console.views",
        "chalicelib.signups.console",
        "chalicelib.groups.organizer_api",
        "chalicelib.announcements.storage",
        "chalicelib.distribution.runner",
        "chalicelib.activity.log",
        "chalicelib.organizers.keys",
    ]
    assert all(_organizer_only(m) for m in caught)
    assert not any(_organizer_only(m) for m in APP | ALLOWED["personal link"] | ALLOWED["signup form post"])
