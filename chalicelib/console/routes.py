"""HTTP routes of the organizer console (/console): server-rendered pages for volunteers.

Thin on purpose: each route hands the request to ``console/views.py``, imported on the first
console request only, so the public read routes' cold start never pays for the console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.web.routing import Routes

routes = Routes(__name__)

FORM = ["application/x-www-form-urlencoded"]
UPLOAD = ["application/x-www-form-urlencoded", "multipart/form-data"]
GROUP = "/console/groups/{group_id}"

# (path, method, page name in views.PAGES, content types of a POST)
PAGES: list[tuple[str, str, str, list[str] | None]] = [
    ("/console", "GET", "home", None),
    ("/console/sign-in", "GET", "sign_in_form", None),
    ("/console/sign-in", "POST", "sign_in_request", FORM),
    ("/console/sign-in/link", "GET", "sign_in_link", None),
    ("/console/sign-in/link", "POST", "sign_in_complete", FORM),
    ("/console/sign-out", "POST", "sign_out", FORM),
    ("/console/sign-out-everywhere", "POST", "sign_out_everywhere", FORM),
    ("/console/static/{version}/{name}", "GET", "static", None),
    (f"{GROUP}/waiting", "GET", "waiting", None),
    (f"{GROUP}/waiting", "POST", "waiting_post", FORM),
    (f"{GROUP}/decline", "POST", "decline_post", FORM),
    (f"{GROUP}/members", "GET", "members", None),
    (f"{GROUP}/members.csv", "GET", "members_csv", None),
    (f"{GROUP}/members/add", "GET", "member_add", None),
    (f"{GROUP}/members/add", "POST", "member_add", FORM),
    (f"{GROUP}/members/import", "GET", "member_import", None),
    (f"{GROUP}/members/import", "POST", "member_import", UPLOAD),
    (f"{GROUP}/members/import/{{job_id}}", "GET", "member_import_job", None),
    (f"{GROUP}/members/import/{{job_id}}", "POST", "member_import_job", FORM),
    (f"{GROUP}/members/{{signup_id}}/remove", "GET", "member_remove", None),
    (f"{GROUP}/members/{{signup_id}}/remove", "POST", "member_remove", FORM),
    (f"{GROUP}/settings", "GET", "settings", None),
    (f"{GROUP}/settings", "POST", "settings", FORM),
    (f"{GROUP}/meetings", "GET", "meetings", None),
    (f"{GROUP}/meetings/{{date}}", "GET", "meeting", None),
    (f"{GROUP}/meetings/{{date}}", "POST", "meeting", FORM),
    (f"{GROUP}/meetings/{{date}}/deliveries", "GET", "deliveries", None),
    (f"{GROUP}/meetings/{{date}}/resend", "POST", "resend", FORM),
    (f"{GROUP}/announcements", "GET", "announcements", None),
    (f"{GROUP}/announcements", "POST", "announcements", FORM),
    (f"{GROUP}/announcements/{{announcement_id}}", "GET", "announcement", None),
    (f"{GROUP}/announcements/{{announcement_id}}", "POST", "announcement", FORM),
    (f"{GROUP}/activity", "GET", "activity", None),
    ("/console/activity", "GET", "org_activity", None),
    ("/console/events", "GET", "events", None),
    ("/console/events/new", "GET", "event_new", None),
    ("/console/events/new", "POST", "event_new", FORM),
    ("/console/events/{event_id}", "GET", "event_edit", None),
    ("/console/events/{event_id}", "POST", "event_edit", FORM),
    ("/console/events/{event_id}/cancel", "POST", "event_cancel", FORM),
    ("/console/organizers", "GET", "organizers", None),
    ("/console/organizers/new", "GET", "organizer_new", None),
    ("/console/organizers/new", "POST", "organizer_new", FORM),
    ("/console/organizers/{org_id}/remove", "POST", "organizer_remove", FORM),
    ("/console/site", "GET", "website", None),
    ("/console/site", "POST", "website", FORM),
    ("/console/site/remove", "POST", "website_remove", FORM),
    ("/console/outbox", "GET", "outbox", None),
    ("/console/outbox/{outbox_id}", "POST", "outbox_item", FORM),
]


def _page(name: str, method: str) -> Callable[..., Response]:
    def view(**params: Any) -> Response:
        from chalicelib.console.views import handle

        return handle(name, routes.request, {k: str(v) for k, v in params.items()})

    view.__name__ = f"console_{name}_{method.lower()}"
    return view


for _path, _method, _name, _types in PAGES:
    routes.route(_path, methods=[_method], **({"content_types": _types} if _types else {}))(_page(_name, _method))
