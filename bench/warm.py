"""Warm requests through the Lambda handler (``app.app(event, context)``) against DynamoDB Local,
side by side with a raw-boto3 floor that makes the very same DynamoDB calls, and the number of
DynamoDB calls and consumed capacity per request."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import CallCounter, CallLog, median, percentile, replay
from bench.lambda_event import LambdaContext, rest_event

_emails = itertools.count()


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    resource: str
    path: str
    # The fewest DynamoDB calls the table design allows for this request (see docs/benchmarks.md).
    design_min: int
    query: str = ""
    body: Callable[[], tuple[bytes, dict[str, str]]] | None = None
    writes: bool = False  # the floor replays it on a twin table (conditional writes must not collide)
    expect: int = 200
    # The concrete path of request n, when it changes from one request to the next (personal links).
    path_of: Callable[[int], str] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def event(self, n: int) -> dict[str, Any]:
        body, headers = self.body() if self.body else (None, {})
        headers = {**dict(self.headers), **headers}
        # A new client address per request: the per-IP signup limit (20/hour in prod) must not kick in.
        ip = f"198.51.{(n // 250) % 250}.{n % 250 + 1}"
        path = self.path_of(n) if self.path_of else self.path
        return rest_event(self.method, self.resource, path, self.query, body, headers, source_ip=ip)


def signup_body() -> tuple[bytes, dict[str, str]]:
    n = next(_emails)
    body = {"name": f"Bench Person {n}", "email": f"bench{n}@example.org", "state": "MT", "consent": True}
    return json.dumps(body).encode(), {"content-type": "application/json", "origin": "https://www.example.org"}


def routes(event_id: str, group_id: str) -> list[Route]:
    return [
        Route("GET /events", "GET", "/events", "/events", 1),
        Route("GET /events/{id}", "GET", "/events/{event_id}", f"/events/{event_id}", 1),
        Route("GET /events/calendar.ics", "GET", "/events/calendar.ics", "/events/calendar.ics", 1),
        Route("GET /groups/{id}", "GET", "/groups/{group_id}", f"/groups/{group_id}", 2),
        Route("GET /groups/{id}/meetings", "GET", "/groups/{group_id}/meetings", f"/groups/{group_id}/meetings", 2),
        Route("GET /openapi.json", "GET", "/openapi.json", "/openapi.json", 0),
        Route(
            "POST /groups/{id}/signups",
            "POST",
            "/groups/{group_id}/signups",
            f"/groups/{group_id}/signups",
            3,
            body=signup_body,
            writes=True,
            expect=202,
        ),
    ]


def resend_body() -> tuple[bytes, dict[str, str]]:
    n = next(_emails)
    return json.dumps({"email": f"resend{n}@example.org"}).encode(), {
        "content-type": "application/json",
        "origin": "https://www.example.org",
    }


def all_routes(ctx: dict[str, Any], group_id: str) -> list[Route]:
    """Every public route the warm section measures (``ctx``: what runner.prepare_app returned, with
    ``seed_public``'s personal links): the API's reads and the signup POST (``routes``), then the
    group's calendar, a personal link (303 to the room, its calendar entry), "send me the link again",
    the embed page, the widget files and "is this website allowed"."""
    tokens: list[str] = ctx["join_tokens"]

    def link(suffix: str = "") -> Callable[[int], str]:
        return lambda n: f"/j/{tokens[n % len(tokens)]}{suffix}"

    site = (("origin", "https://www.example.org"),)
    return [
        *routes(ctx["event_id"], group_id),
        Route(
            "GET /groups/{id}/meetings.ics",
            "GET",
            "/groups/{group_id}/meetings.ics",
            f"/groups/{group_id}/meetings.ics",
            2,
        ),
        Route("GET /j/{token} (303)", "GET", "/j/{token}", "/j/x", 4, path_of=link(), expect=303),
        Route(
            "GET /j/{token}/meeting.ics",
            "GET",
            "/j/{token}/meeting.ics",
            "/j/x/meeting.ics",
            6,
            path_of=link("/meeting.ics"),
        ),
        Route("GET /groups/{id}/resend", "GET", "/groups/{group_id}/resend", f"/groups/{group_id}/resend", 1),
        Route(
            "POST /groups/{id}/resend",
            "POST",
            "/groups/{group_id}/resend",
            f"/groups/{group_id}/resend",
            3,
            body=resend_body,
            writes=True,
            expect=202,
        ),
        Route("GET /embed/{id}", "GET", "/embed/{group_id}", f"/embed/{group_id}", 3),
        Route("GET /embed/{id}/thanks", "GET", "/embed/{group_id}/thanks", f"/embed/{group_id}/thanks", 1),
        Route(
            "GET /events/{id}.ics",
            "GET",
            "/events/{event_id}",
            f"/events/{ctx['event_id']}.ics",
            1,
        ),
        Route(
            "GET /signups/manage",
            "GET",
            "/signups/manage",
            "/signups/manage",
            ctx["manage_calls"],
            query=f"token={ctx['manage_token']}",
        ),
        Route("GET /widgets/mbc-connect.js", "GET", "/widgets/mbc-connect.js", "/widgets/mbc-connect.js", 0),
        Route("GET /site/allowed", "GET", "/site/allowed", "/site/allowed", 0, headers=site),
    ]


# "Manage my membership" (a member's page from any email's footer): see DESIGN_NOTES.
MANAGE_CALLS = 3


# A personal link may be opened 20 times a minute (chalicelib/joinlinks/click.py), and the floor's
# replay of the request's counter update counts too: each link serves at most this many timed requests
# a minute.
USES_PER_LINK = 8


def seed_public(ctx: dict[str, Any], requests: int) -> None:
    """What the member-facing routes need, written with the app's own repositories: active members
    with personal links (enough for ``requests`` requests a minute), and the group's window with a
    meeting whose room is open now (so ``/j/{token}`` answers 303). The links' tokens go in ``ctx``."""
    from datetime import UTC, datetime, timedelta

    from bench import seed
    from chalicelib import container
    from chalicelib.joinlinks.service import link_of, window_of
    from chalicelib.joinlinks.storage import JoinLinkRepository
    from chalicelib.joinlinks.tokens import join_token, token_hash
    from chalicelib.meetings.meeting import Meeting

    c = container.current()
    client, table = ctx["client"], c.settings.table_name
    members = seed.seed_members(client, table, requests // USES_PER_LINK + 10, prefix="link")
    repo = JoinLinkRepository(client, table)
    tokens = []
    for member in members:
        token = join_token(
            group_id=member["group_id"], signup_id=member["id"], gen=member["gen"], link_rev=0, settings=c.settings
        )
        client.put_item(**repo.new_link_item(token_hash(token), link_of(member))["Put"])  # type: ignore[arg-type]
        tokens.append(token)
    now = datetime.now(UTC)  # real clock: the warm requests run against the app on the real clock
    group = c.groups.get(seed.GROUP_ID)
    start = now - timedelta(minutes=5)
    meeting = Meeting(start.date().isoformat(), start, now + timedelta(days=1), "scheduled", None, start)
    repo.put_window(window_of(group, [meeting], computed_at=now.isoformat()), seen_rev=repo.window_rev(seed.GROUP_ID))
    ctx["join_tokens"] = tokens
    from chalicelib.signing import make_token

    first = members[0]
    ctx["manage_token"] = make_token(
        "manage", {"g": first["group_id"], "s": first["id"], "n": first["gen"]}, c.settings
    )
    ctx["manage_calls"] = MANAGE_CALLS


DESIGN_NOTES = {
    "GET /events": "one Query on the listing partition (table.py: every list read is a single Query)",
    "GET /events/{id}": "one GetItem",
    "GET /events/calendar.ics": "one Query on the listing partition",
    "GET /groups/{id}": "GetItem group + Query its meeting overrides (separate partitions)",
    "GET /groups/{id}/meetings": "GetItem group + Query its meeting overrides",
    "GET /openapi.json": "none (generated from the models, cached per container)",
    "POST /groups/{id}/signups": "GetItem group, UpdateItem per-IP counter, PutItem the form (an `INTAKE#` "
    "item): the same three whatever the address (the outbox's stream handler processes the form later)",
    "GET /groups/{id}/meetings.ics": "GetItem group + Query its meeting overrides",
    "GET /j/{token} (303)": "GetItem the link, BatchGetItem the member and the group's window, UpdateItem the "
    "link's per-minute counter, PutItem the opening (once per member and meeting; conditional after that)",
    "GET /j/{token}/meeting.ics": "as opening the link (GetItem, BatchGetItem, UpdateItem, and PutItem the "
    "opening while the room is open, as here), then GetItem group + Query its meeting overrides (the "
    "series needs the group's schedule and the next 12 meetings, which the window item does not hold)",
    "GET /groups/{id}/resend": "GetItem group",
    "POST /groups/{id}/resend": "GetItem group, UpdateItem per-IP counter, PutItem the request: the same "
    "three whatever the address",
    "GET /embed/{id}": "GetItem group + Query its meeting overrides + Query the events' listing partition",
    "GET /embed/{id}/thanks": "GetItem group",
    "GET /events/{id}.ics": "one GetItem",
    "GET /signups/manage": "3: GetItem the group, GetItem her record, Query the group's meeting overrides "
    "(her next meeting); the page's way back comes from the group already read",
    "GET /widgets/mbc-connect.js": "none (a file of the package)",
    "GET /site/allowed": "none once the stored origins are read (cached per container)",
}
# The signup POST's calls, in order, for every address (issue 12; tests/integration/test_fail_safe.py).
SIGNUP_OPERATIONS = ["GetItem", "UpdateItem", "PutItem"]


class StubSes:
    """SES v2 client stand-in for warm requests: no network, answers at once."""

    def __init__(self) -> None:
        self.sent = 0

    def send_email(self, **kwargs: Any) -> dict[str, str]:
        self.sent += 1
        return {"MessageId": f"stub-{self.sent}"}


def install_app_container() -> StubSes:
    """Build the app's container from the environment, as a Lambda container would, except that the
    mailer is the real SesMailer (MIME building included) on a stubbed SES client; install it as the
    process's container (what the routes use through ``container.current()``)."""
    from chalicelib import container
    from chalicelib.mail.backends import SesMailer
    from chalicelib.settings import get_settings

    stub = StubSes()
    s = get_settings()
    container.install(
        container.build(settings=s, mailer=SesMailer(stub, s.mail_from, s.mail_reply_to, s.ses_configuration_set))
    )
    return stub


def noop_app() -> Any:
    """A bare Chalice route (returns a constant): the framework's own share of a request."""
    from chalice import Chalice

    noop = Chalice(app_name="noop")

    @noop.route("/noop")
    def index() -> dict[str, bool]:
        return {"ok": True}

    return noop


def invoke(handler: Any, event: dict[str, Any], expect: int) -> dict[str, Any]:
    response: dict[str, Any] = handler(event, LambdaContext())
    if response.get("statusCode") != expect:
        raise RuntimeError(f"{event['httpMethod']} {event['path']} answered {response.get('statusCode')}: {response}")
    return response


@dataclass
class RouteResult:
    route: Route
    calls: CallLog = field(default_factory=CallLog)
    app_p50: list[float] = field(default_factory=list)
    app_p95: list[float] = field(default_factory=list)
    floor_p50: list[float] = field(default_factory=list)
    floor_p95: list[float] = field(default_factory=list)
    noop_p50: list[float] = field(default_factory=list)
    # GET /events/calendar.ics: did every timed poll reuse the rendered feed? (None: not that route)
    feed_memo_held: bool | None = None

    def summary(self) -> dict[str, float]:
        def ratios(a: list[float], b: list[float]) -> float:
            return median([x / y for x, y in zip(a, b, strict=True) if y > 0]) if any(b) else float("nan")

        return {
            "app_p50": median(self.app_p50),
            "app_p95": median(self.app_p95),
            "floor_p50": median(self.floor_p50) if self.route.design_min else float("nan"),
            "floor_p95": median(self.floor_p95) if self.route.design_min else float("nan"),
            "ratio_p50": ratios(self.app_p50, self.floor_p50) if self.route.design_min else float("nan"),
            "ratio_p95": ratios(self.app_p95, self.floor_p95) if self.route.design_min else float("nan"),
            "noop_p50": median(self.noop_p50),
        }


def count_calls(app: Any, client: Any, route: Route, n: int) -> CallLog:
    """Calls and consumed capacity of one warm request (ReturnConsumedCapacity added by the hook)."""
    counter = CallCounter(client, capacity=True)
    try:
        invoke(app, route.event(n), route.expect)  # warm: anything lazy is loaded now
        with counter.recording() as log:
            invoke(app, route.event(n + 1), route.expect)
    finally:
        counter.close()
    return log


def rendered_feed() -> object | None:
    """The feed bytes that chalicelib/events/feed.py's one-entry memo holds (read only; None: no memo)."""
    from chalicelib.events import feed

    memo = getattr(feed, "_last_feed", None)
    return next(iter(memo.values()), None) if isinstance(memo, dict) else None


def latency(
    app: Any,
    app_client: Any,
    floor_client: Any,
    route: Route,
    result: RouteResult,
    rounds: int,
    per_round: int,
    warmup: int,
    twin: dict[str, str],
) -> None:
    """Interleaved, order alternating: the app serves a request; the floor replays the DynamoDB calls
    the app made (this request's, or the previous one's when the floor goes first)."""
    noop = noop_app()
    noop_event = rest_event("GET", "/noop", "/noop")
    recorder = CallCounter(app_client, capacity=False)
    table_map = twin if route.writes else None
    serial = itertools.count(10_000)
    previous: list[CallLog] = []
    try:

        def floor() -> float:
            t0 = time.perf_counter()
            replay(floor_client, previous[-1].calls, table_map)
            return time.perf_counter() - t0

        def one(i: int) -> tuple[float, float, float]:
            event = route.event(next(serial))
            t_floor = floor() if i % 2 and previous else -1.0
            with recorder.recording() as log:
                t0 = time.perf_counter()
                invoke(app, event, route.expect)
                t_app = time.perf_counter() - t0
            previous[:] = [log]
            if t_floor < 0:
                t_floor = floor()
            t0 = time.perf_counter()
            invoke(noop, noop_event, 200)
            t_noop = time.perf_counter() - t0
            return t_app, t_floor, t_noop

        for i in range(warmup):
            one(i)
        for _ in range(rounds):
            apps, floors, noops = [], [], []
            for i in range(per_round):
                t_app, t_floor, t_noop = one(i)
                apps.append(t_app)
                floors.append(t_floor)
                noops.append(t_noop)
            result.app_p50.append(percentile(apps, 50))
            result.app_p95.append(percentile(apps, 95))
            result.floor_p50.append(percentile(floors, 50))
            result.floor_p95.append(percentile(floors, 95))
            result.noop_p50.append(percentile(noops, 50))
    finally:
        recorder.close()


def pooled_ratio(results: list[RouteResult]) -> float:
    """app/floor p50 of one route over every round of several runs (the median of the per-round ratios)."""
    ratios = [a / f for res in results for a, f in zip(res.app_p50, res.floor_p50, strict=True) if f > 0]
    return median(ratios)
