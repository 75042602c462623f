"""The biggest crowd of real requests each public route meets in normal use, at a chapter's scale
(about 200 members, a few organizers, a website with a few thousand API requests a day).

API Gateway throttles each method of each route with its own token bucket: ``burst`` requests at
once, refilled at ``rate`` a second (infra/stages.json; ``MethodSettings`` in stage_stack.py). A
crowd of ``requests`` arriving within ``seconds`` gets no 429 when
``requests <= burst + rate * seconds``. The infra tests check every crowd below against the prod
stage's synthesized settings, and fail on a public route of the API that no rule here describes:
a new public route needs its crowd written down (and, if the default is too low, an override like
``GET /j/{token}``'s). docs/deploy.md, 'Costs', explains the numbers.

Organizer routes (API key) are not listed: a person clicking or a script paging stays far below
them, and a script should retry a 429 (the gateway's answer says "Too many requests").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Crowd:
    requests: int
    seconds: float
    who: str

    def fits(self, rate: float, burst: int) -> bool:
        return self.requests <= burst + rate * self.seconds


# "METHOD /path" (the API's path templates) -> the crowd. The first matching rule applies.
PUBLIC_ROUTES: tuple[tuple[str, Crowd], ...] = (
    (
        r"GET /j/\{token\}",
        Crowd(
            100,
            5,
            "half of a 200-member group opening their personal link in the same 5 seconds as the meeting "
            "starts (plus the scheduled warm-up's 2-5 calls to /j/_warm a few minutes before)",
        ),
    ),
    (
        r"GET /j/\{token\}/meeting\.ics",
        Crowd(20, 10, "members adding the meeting to their calendar as a reminder arrives (SES sends 14 a second)"),
    ),
    (
        r"(GET|POST|OPTIONS) /groups/\{group_id\}/resend",
        Crowd(10, 10, "members asking for their link again in the minutes before a meeting"),
    ),
    (
        r"(POST|OPTIONS) /groups/\{group_id\}/signups",
        Crowd(5, 10, "people sending the website's signup form (about 50 a month)"),
    ),
    (
        r"(GET|POST) /signups/(confirm|unsubscribe|erase|manage)",
        Crowd(
            10,
            10,
            "members following a link in an email that just went out to everyone (every email's footer "
            "links to Manage my membership)",
        ),
    ),
    (
        r"POST /j/\{token\}/zone",
        Crowd(5, 10, "members choosing the time they live on from their personal link's page"),
    ),
    (
        r"GET /favicon\.ico",
        Crowd(
            50,
            10,
            "browsers asking the API's address for an icon when a person opens one of its pages (a member "
            "link, the manage page): at most one per page view, answered 404 from no storage",
        ),
    ),
    (
        r"GET /site/allowed",
        Crowd(
            50,
            10,
            "the widget on each page view of a website asking whether the site is allowed yet (cached a "
            "minute by the browser): the same visitors as the widget's script",
        ),
    ),
    (
        r"GET /(events|events/calendar\.ics|events/\{event_id\}|groups/\{group_id\}|groups/\{group_id\}/meetings"
        r"|groups/\{group_id\}/meetings\.ics|openapi\.json)",
        Crowd(
            50,
            10,
            "the website's visitors (a newsletter link opened by many at once) and calendar apps polling the "
            "feeds (hourly, spread out)",
        ),
    ),
    (
        r"GET /(widgets/mbc-connect\.(js|css)|widgets/\{version\}/mbc-connect\.(js|css)|embed/\{group_id\})",
        Crowd(
            50,
            10,
            "the website's visitors: each page hosting the widget loads its script and stylesheet (cached 5 "
            "minutes at the short address, a year at the versioned one), or the embed page in an iframe",
        ),
    ),
    (
        r"POST /embed/\{group_id\}|GET /embed/\{group_id\}/thanks",
        Crowd(5, 10, "people sending the embed page's signup form, then its thank-you page (about 50 a month)"),
    ),
    (
        r"(GET|POST) /console(/.*)?",
        Crowd(
            5,
            10,
            "a few organizers in the console: each page is one request and its one stylesheet another "
            "(/console/static/<hash>/console.css, a separate route, cached for a year)",
        ),
    ),
)


def crowd_for(method: str, path: str) -> Crowd | None:
    key = f"{method.upper()} {path}"
    for pattern, crowd in PUBLIC_ROUTES:
        if re.fullmatch(pattern, key):
            return crowd
    return None
