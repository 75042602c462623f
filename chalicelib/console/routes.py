"""The console's routing table (/console): server-rendered pages for volunteers.

Each row names the page's ``module:function``; the pages live with their features
(``chalicelib/<feature>/console.py``), the console's own (sign-in, static, home) in
``console/pages.py``. Thin on purpose: each route hands the request to ``console/views.py``
(the dispatch), imported on the first console request only, which imports the page's module on
the page's first request: the public routes' cold start never pays for the console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.web.routing import Routes

routes = Routes(__name__)

FORM = ["application/x-www-form-urlencoded"]
UPLOAD = ["application/x-www-form-urlencoded", "multipart/form-data"]
GROUP = "/console/groups/{group_id}"

# (path, method, the page as module:function, content types of a POST)
PAGES: list[tuple[str, str, str, list[str] | None]] = [
    ("/console", "GET", "chalicelib.console.pages:home", None),
    ("/console/sign-in", "GET", "chalicelib.console.pages:sign_in_form", None),
    ("/console/sign-in", "POST", "chalicelib.console.pages:sign_in_request", FORM),
    ("/console/sign-in/link", "GET", "chalicelib.console.pages:sign_in_link", None),
    ("/console/sign-in/link", "POST", "chalicelib.console.pages:sign_in_complete", FORM),
    ("/console/sign-out", "POST", "chalicelib.console.pages:sign_out", FORM),
    ("/console/sign-out-everywhere", "POST", "chalicelib.console.pages:sign_out_everywhere", FORM),
    ("/console/static/{version}/{name}", "GET", "chalicelib.console.pages:static", None),
    (f"{GROUP}/waiting", "GET", "chalicelib.signups.console:waiting", None),
    (f"{GROUP}/waiting", "POST", "chalicelib.signups.console:waiting_post", FORM),
    (f"{GROUP}/decline", "POST", "chalicelib.signups.console:decline_post", FORM),
    (f"{GROUP}/members", "GET", "chalicelib.signups.console:members", None),
    (f"{GROUP}/members.csv", "GET", "chalicelib.signups.console:members_csv", None),
    (f"{GROUP}/members/add", "GET", "chalicelib.signups.console:member_add", None),
    (f"{GROUP}/members/add", "POST", "chalicelib.signups.console:member_add", FORM),
    (f"{GROUP}/members/import", "GET", "chalicelib.signups.console:member_import", None),
    (f"{GROUP}/members/import", "POST", "chalicelib.signups.console:member_import", UPLOAD),
    (f"{GROUP}/members/import/{{job_id}}", "GET", "chalicelib.signups.console:member_import_job", None),
    (f"{GROUP}/members/import/{{job_id}}", "POST", "chalicelib.signups.console:member_import_job", FORM),
    (f"{GROUP}/members/{{signup_id}}/remove", "GET", "chalicelib.signups.console:member_remove", None),
    (f"{GROUP}/members/{{signup_id}}/remove", "POST", "chalicelib.signups.console:member_remove", FORM),
    ("/console/groups/new", "GET", "chalicelib.groups.console:group_new", None),
    ("/console/groups/new", "POST", "chalicelib.groups.console:group_new", FORM),
    (f"{GROUP}/settings", "GET", "chalicelib.groups.console:settings", None),
    (f"{GROUP}/settings", "POST", "chalicelib.groups.console:settings", FORM),
    (f"{GROUP}/meetings", "GET", "chalicelib.meetings.console:meetings", None),
    (f"{GROUP}/meetings/{{date}}", "GET", "chalicelib.meetings.console:meeting", None),
    (f"{GROUP}/meetings/{{date}}", "POST", "chalicelib.meetings.console:meeting", FORM),
    (f"{GROUP}/meetings/{{date}}/deliveries", "GET", "chalicelib.distribution.console:deliveries", None),
    (f"{GROUP}/meetings/{{date}}/resend", "POST", "chalicelib.distribution.console:resend", FORM),
    (f"{GROUP}/announcements", "GET", "chalicelib.announcements.console:announcements", None),
    (f"{GROUP}/announcements", "POST", "chalicelib.announcements.console:announcements", FORM),
    (f"{GROUP}/announcements/{{announcement_id}}", "GET", "chalicelib.announcements.console:announcement", None),
    (f"{GROUP}/announcements/{{announcement_id}}", "POST", "chalicelib.announcements.console:announcement", FORM),
    (f"{GROUP}/activity", "GET", "chalicelib.activity.console:activity", None),
    ("/console/activity", "GET", "chalicelib.activity.console:org_activity", None),
    ("/console/events", "GET", "chalicelib.events.console:events", None),
    ("/console/events/new", "GET", "chalicelib.events.console:event_new", None),
    ("/console/events/new", "POST", "chalicelib.events.console:event_new", FORM),
    ("/console/events/{event_id}", "GET", "chalicelib.events.console:event_edit", None),
    ("/console/events/{event_id}", "POST", "chalicelib.events.console:event_edit", FORM),
    ("/console/events/{event_id}/cancel", "POST", "chalicelib.events.console:event_cancel", FORM),
    ("/console/organizers", "GET", "chalicelib.organizers.console:organizers", None),
    ("/console/organizers/new", "GET", "chalicelib.organizers.console:organizer_new", None),
    ("/console/organizers/new", "POST", "chalicelib.organizers.console:organizer_new", FORM),
    ("/console/organizers/{org_id}/remove", "POST", "chalicelib.organizers.console:organizer_remove", FORM),
    ("/console/site", "GET", "chalicelib.website.console:website", None),
    ("/console/site", "POST", "chalicelib.website.console:website", FORM),
    ("/console/site/remove", "POST", "chalicelib.website.console:website_remove", FORM),
    ("/console/outbox", "GET", "chalicelib.outbox.console:outbox", None),
    ("/console/outbox/{outbox_id}", "POST", "chalicelib.outbox.console:outbox_item", FORM),
]


def page_name(target: str) -> str:
    """A page's name (its function's), for views.PAGES and the log."""
    return target.rpartition(":")[2]


def _page(name: str, method: str) -> Callable[..., Response]:
    def view(**params: Any) -> Response:
        from chalicelib.console.views import handle

        return handle(name, routes.request, {k: str(v) for k, v in params.items()})

    view.__name__ = f"console_{name}_{method.lower()}"
    return view


for _path, _method, _target, _types in PAGES:
    _view = _page(page_name(_target), _method)
    routes.route(_path, methods=[_method], **({"content_types": _types} if _types else {}))(_view)
