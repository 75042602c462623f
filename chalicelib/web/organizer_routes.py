"""The organizer routing table: every route only organizers use, each naming its view as
``module:function`` (under ``chalicelib.``), registered with views that import the module on the
route's first request (``web/lazy.py``). A member's cold start (the events, a group, the signup
form, the member links, ``/j/``, the widget) never loads the organizer API, the console, or the
features only organizers reach (tests/unit/test_cold_imports.py).

A new organizer API route is a row in ``API`` and a function ``(request, **path parameters) ->
Response`` in its feature's ``organizer_api.py``. A new console page is a row in ``CONSOLE`` and a
function ``(ctx) -> Response`` in its feature's ``console.py`` (``console/shell.py`` has the
``Ctx``); every page goes through the console's dispatch (``console/views.py``: the session, CSRF,
its failure pages)."""

from __future__ import annotations

from chalicelib.web.lazy import LazyRoutes, Row

GROUP = "/groups/{group_id}"
CONSOLE_GROUP = "/console/groups/{group_id}"
FORM = ["application/x-www-form-urlencoded"]
UPLOAD = ["application/x-www-form-urlencoded", "multipart/form-data"]

# The organizer API, behind the organizer key: (path, method, "<feature>:<function>" in
# chalicelib/<feature>/organizer_api.py). JSON bodies.
API: list[tuple[str, str, str]] = [
    ("/events", "POST", "events:create_event"),
    ("/events/{event_id}", "PATCH", "events:update_event"),
    ("/events/{event_id}", "DELETE", "events:delete_event"),
    ("/groups", "POST", "groups:create_group"),
    (f"{GROUP}/settings", "GET", "groups:get_group_settings"),
    (f"{GROUP}/settings", "PATCH", "groups:update_group_settings"),
    (f"{GROUP}/signups", "GET", "signups:list_signups"),
    (f"{GROUP}/signups.csv", "GET", "signups:export_signups"),
    (f"{GROUP}/signups/{{signup_id}}/approve", "POST", "signups:approve_signup"),
    (f"{GROUP}/signups/{{signup_id}}/reject", "POST", "signups:reject_signup"),
    (f"{GROUP}/signups/{{signup_id}}", "DELETE", "signups:erase_signup"),
    (f"{GROUP}/meetings/{{date}}", "PUT", "meetings:put_meeting_override"),
    (f"{GROUP}/meetings/{{date}}", "DELETE", "meetings:delete_meeting_override"),
    (f"{GROUP}/meetings/{{date}}/deliveries", "GET", "distribution:meeting_deliveries"),
    (f"{GROUP}/meetings/{{date}}/deliveries/requeue", "POST", "distribution:requeue_failed"),
    (f"{GROUP}/signups/{{signup_id}}/join-link", "POST", "joinlinks:replace_join_link"),
    (f"{GROUP}/announcements", "POST", "announcements:draft_announcement"),
    (f"{GROUP}/announcements", "GET", "announcements:list_announcements"),
    (f"{GROUP}/announcements/{{announcement_id}}", "GET", "announcements:get_announcement"),
    (f"{GROUP}/announcements/{{announcement_id}}", "PATCH", "announcements:edit_announcement"),
    (f"{GROUP}/announcements/{{announcement_id}}", "DELETE", "announcements:discard_announcement"),
    (f"{GROUP}/announcements/{{announcement_id}}/send", "POST", "announcements:send_announcement"),
    ("/site/origins", "GET", "website:get_site_origins"),
    ("/site/origins", "PUT", "website:put_site_origins"),
]

# The console's pages: (path, method, "<module>:<function>", content types of a POST).
CONSOLE: list[tuple[str, str, str, list[str] | None]] = [
    ("/console", "GET", "console.pages:home", None),
    ("/console/sign-in", "GET", "console.pages:sign_in_form", None),
    ("/console/sign-in", "POST", "console.pages:sign_in_request", FORM),
    ("/console/sign-in/link", "GET", "console.pages:sign_in_link", None),
    ("/console/sign-in/link", "POST", "console.pages:sign_in_complete", FORM),
    ("/console/sign-out", "POST", "console.pages:sign_out", FORM),
    ("/console/sign-out-everywhere", "POST", "console.pages:sign_out_everywhere", FORM),
    ("/console/static/{version}/{name}", "GET", "console.pages:static", None),
    (f"{CONSOLE_GROUP}/waiting", "GET", "signups.console:waiting", None),
    (f"{CONSOLE_GROUP}/waiting", "POST", "signups.console:waiting_post", FORM),
    (f"{CONSOLE_GROUP}/decline", "POST", "signups.console:decline_post", FORM),
    (f"{CONSOLE_GROUP}/members", "GET", "signups.console:members", None),
    (f"{CONSOLE_GROUP}/members.csv", "GET", "signups.console:members_csv", None),
    (f"{CONSOLE_GROUP}/members/add", "GET", "signups.console:member_add", None),
    (f"{CONSOLE_GROUP}/members/add", "POST", "signups.console:member_add", FORM),
    (f"{CONSOLE_GROUP}/members/import", "GET", "signups.console:member_import", None),
    (f"{CONSOLE_GROUP}/members/import", "POST", "signups.console:member_import", UPLOAD),
    (f"{CONSOLE_GROUP}/members/{{signup_id}}/remove", "GET", "signups.console:member_remove", None),
    (f"{CONSOLE_GROUP}/members/{{signup_id}}/remove", "POST", "signups.console:member_remove", FORM),
    (f"{CONSOLE_GROUP}/settings", "GET", "groups.console:settings", None),
    (f"{CONSOLE_GROUP}/settings", "POST", "groups.console:settings", FORM),
    (f"{CONSOLE_GROUP}/meetings", "GET", "meetings.console:meetings", None),
    (f"{CONSOLE_GROUP}/meetings/{{date}}", "GET", "meetings.console:meeting", None),
    (f"{CONSOLE_GROUP}/meetings/{{date}}", "POST", "meetings.console:meeting", FORM),
    (f"{CONSOLE_GROUP}/meetings/{{date}}/deliveries", "GET", "distribution.console:deliveries", None),
    (f"{CONSOLE_GROUP}/meetings/{{date}}/resend", "POST", "distribution.console:resend", FORM),
    (f"{CONSOLE_GROUP}/announcements", "GET", "announcements.console:announcements", None),
    (f"{CONSOLE_GROUP}/announcements", "POST", "announcements.console:announcements", FORM),
    (f"{CONSOLE_GROUP}/announcements/{{announcement_id}}", "GET", "announcements.console:announcement", None),
    (f"{CONSOLE_GROUP}/announcements/{{announcement_id}}", "POST", "announcements.console:announcement", FORM),
    (f"{CONSOLE_GROUP}/activity", "GET", "activity.console:activity", None),
    ("/console/activity", "GET", "activity.console:org_activity", None),
    ("/console/events", "GET", "events.console:events", None),
    ("/console/events/new", "GET", "events.console:event_new", None),
    ("/console/events/new", "POST", "events.console:event_new", FORM),
    ("/console/events/{event_id}", "GET", "events.console:event_edit", None),
    ("/console/events/{event_id}", "POST", "events.console:event_edit", FORM),
    ("/console/events/{event_id}/cancel", "POST", "events.console:event_cancel", FORM),
    ("/console/organizers", "GET", "organizers.console:organizers", None),
    ("/console/organizers/new", "GET", "organizers.console:organizer_new", None),
    ("/console/organizers/new", "POST", "organizers.console:organizer_new", FORM),
    ("/console/organizers/{org_id}/remove", "POST", "organizers.console:organizer_remove", FORM),
    ("/console/site", "GET", "website.console:website", None),
    ("/console/site", "POST", "website.console:website", FORM),
    ("/console/site/remove", "POST", "website.console:website_remove", FORM),
    ("/console/outbox", "GET", "outbox.console:outbox", None),
    ("/console/outbox/{outbox_id}", "POST", "outbox.console:outbox_item", FORM),
]

DISPATCH = "chalicelib.console.views:handle"


def rows() -> list[Row]:
    api = [
        Row(path, method, f"chalicelib.{feature}.organizer_api:{function}", organizer=True)
        for path, method, target in API
        for feature, _, function in [target.partition(":")]
    ]
    pages = [Row(path, method, f"chalicelib.{target}", types, via=DISPATCH) for path, method, target, types in CONSOLE]
    return api + pages


routes = LazyRoutes(__name__, rows())
