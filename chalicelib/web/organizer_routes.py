"""The organizer routing table: every route only organizers use, each naming its view (a function
in a module), registered with views that import the module on the route's first request
(``web/lazy.py``). A member's cold start (the events, a group, the signup
form, the member links, ``/j/``, the widget) never loads the organizer API, the console, or the
features only organizers reach (tests/unit/test_cold_imports.py).

A new organizer API route is a row in ``API`` and a function ``(request, **path parameters) ->
Response`` in its feature's ``organizer_api.py``. A new console page is a row in ``CONSOLE`` and a
function ``(ctx) -> Response`` in its feature's ``console.py`` (``console/shell.py`` has the
``Ctx``); every page goes through the console's dispatch (``console/views.py``: the session, CSRF,
its failure pages)."""

from __future__ import annotations

from chalicelib.web.lazy import LazyRoutes, Row

API_GROUP = "/groups/{group_id}"
GROUP = "/console/groups/{group_id}"  # the console's pages of one group
FORM = ["application/x-www-form-urlencoded"]
UPLOAD = ["application/x-www-form-urlencoded", "multipart/form-data"]

# The organizer API, behind the organizer key: (path, method, "<feature>:<function>" in
# chalicelib/<feature>/organizer_api.py). JSON bodies.
API: list[tuple[str, str, str]] = [
    ("/events", "POST", "events:create_event"),
    ("/events/{event_id}", "PATCH", "events:update_event"),
    ("/events/{event_id}", "DELETE", "events:delete_event"),
    ("/groups", "POST", "groups:create_group"),
    (f"{API_GROUP}/settings", "GET", "groups:get_group_settings"),
    (f"{API_GROUP}/settings", "PATCH", "groups:update_group_settings"),
    (f"{API_GROUP}/signups", "GET", "signups:list_signups"),
    (f"{API_GROUP}/signups.csv", "GET", "signups:export_signups"),
    (f"{API_GROUP}/signups/{{signup_id}}/approve", "POST", "signups:approve_signup"),
    (f"{API_GROUP}/signups/{{signup_id}}/reject", "POST", "signups:reject_signup"),
    (f"{API_GROUP}/signups/{{signup_id}}", "DELETE", "signups:erase_signup"),
    (f"{API_GROUP}/meetings/{{date}}", "PUT", "meetings:put_meeting_override"),
    (f"{API_GROUP}/meetings/{{date}}", "DELETE", "meetings:delete_meeting_override"),
    (f"{API_GROUP}/meetings/{{date}}/deliveries", "GET", "distribution:meeting_deliveries"),
    (f"{API_GROUP}/meetings/{{date}}/deliveries/requeue", "POST", "distribution:requeue_failed"),
    (f"{API_GROUP}/signups/{{signup_id}}/join-link", "POST", "joinlinks:replace_join_link"),
    (f"{API_GROUP}/announcements", "POST", "announcements:draft_announcement"),
    (f"{API_GROUP}/announcements", "GET", "announcements:list_announcements"),
    (f"{API_GROUP}/announcements/{{announcement_id}}", "GET", "announcements:get_announcement"),
    (f"{API_GROUP}/announcements/{{announcement_id}}", "PATCH", "announcements:edit_announcement"),
    (f"{API_GROUP}/announcements/{{announcement_id}}", "DELETE", "announcements:discard_announcement"),
    (f"{API_GROUP}/announcements/{{announcement_id}}/send", "POST", "announcements:send_announcement"),
    ("/site/origins", "GET", "website:get_site_origins"),
    ("/site/origins", "PUT", "website:put_site_origins"),
]

# The console's pages: (path, method, "<module>:<function>", content types of a POST).
CONSOLE: list[tuple[str, str, str, list[str] | None]] = [
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
    (f"{GROUP}/members/{{signup_id}}", "GET", "chalicelib.signups.member_console:member", None),
    (f"{GROUP}/members/{{signup_id}}/new-link", "POST", "chalicelib.signups.member_console:new_link", FORM),
    (f"{GROUP}/members/{{signup_id}}/remove", "GET", "chalicelib.signups.console:member_remove", None),
    (f"{GROUP}/members/{{signup_id}}/remove", "POST", "chalicelib.signups.console:member_remove", FORM),
    (f"{GROUP}/members/{{signup_id}}/zone", "GET", "chalicelib.signups.console:member_zone", None),
    (f"{GROUP}/members/{{signup_id}}/zone", "POST", "chalicelib.signups.console:member_zone", FORM),
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

DISPATCH = "chalicelib.console.views:handle"


def rows() -> list[Row]:
    api = [
        Row(path, method, f"chalicelib.{feature}.organizer_api:{function}", organizer=True)
        for path, method, target in API
        for feature, _, function in [target.partition(":")]
    ]
    pages = [Row(path, method, target, types, via=DISPATCH) for path, method, target, types in CONSOLE]
    return api + pages


routes = LazyRoutes(__name__, rows())
