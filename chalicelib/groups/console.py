"""Console page of a group's settings: the schedule, the Zoom details, reminders, approval and
the decline message, with a preview of the next reminder before saving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice.app import Response

from chalicelib.console import web
from chalicelib.console.shell import ZONES, Ctx, shown_zone, zone_options
from chalicelib.errors import AlreadyExists, Conflict, Forbidden, Invalid
from chalicelib.groups.records import (
    DEFAULT_DECLINE_MESSAGE,
    DEFAULT_JOIN_DETAILS,
    DEFAULT_JOIN_WINDOW_MINUTES,
    DEFAULT_WHAT_TO_EXPECT,
    GroupRecord,
)

WEEKDAYS = [
    ("MO", "Monday"),
    ("TU", "Tuesday"),
    ("WE", "Wednesday"),
    ("TH", "Thursday"),
    ("FR", "Friday"),
    ("SA", "Saturday"),
    ("SU", "Sunday"),
]
WEEKS = [("1", "First"), ("2", "Second"), ("3", "Third"), ("4", "Fourth"), ("-1", "Last")]
LEADS = [
    ("10080", "1 week before"),
    ("2880", "2 days before"),
    ("1440", "1 day before"),
    ("180", "3 hours before"),
    ("60", "1 hour before"),
    ("15", "15 minutes before"),
]

# ---------------------------------------------------------------- group settings


SETTING_LABELS = {
    "name": "Group name",
    "description": "Description",
    "eligibility": "Who can join",
    "weeks": "Which weeks",
    "weekday": "Day of the week",
    "start_time": "Start time",
    "timezone": "Time zone",
    "duration_minutes": "Length in minutes",
    "zoom_url": "Zoom link",
    "zoom_passcode": "Passcode",
    "zoom_meeting_id": "Meeting ID",
    "zoom_dial_in": "Dial-in phone numbers",
    "leads": "Reminders",
    "decline_message": "Message to people you decline",
    "what_to_expect": "What to expect at a first meeting",
    "join_window_minutes": "Minutes before the start that links open the room",
    "join_details": "What emails show besides the personal link",
    "contact_name": "Contact name",
    "contact_email": "Contact email address",
    "schedule.rrule": "Schedule",
    "schedule.start_time": "Start time",
    "schedule.duration_minutes": "Length in minutes",
    "reminder_leads_minutes": "Reminders",
}


def _schedule_values(group: GroupRecord) -> dict[str, Any]:
    from chalicelib.meetings.schedule_words import words_from_rrule

    words = words_from_rrule(group["schedule"]["rrule"])
    if words is None:
        return {"repeat": "monthly", "weeks": ["1"], "weekday": "TU", "custom_rule": group["schedule"]["rrule"]}
    return {"repeat": words.repeat, "weeks": list(words.weeks), "weekday": words.weekday, "custom_rule": None}


def _settings_values(group: GroupRecord) -> dict[str, Any]:
    policy = group.get("join_details") or DEFAULT_JOIN_DETAILS
    return {
        "name": group["name"],
        "description": group["description"],
        "eligibility": group["eligibility"],
        **_schedule_values(group),
        "start_time": group["schedule"]["start_time"],
        "timezone": shown_zone(group["schedule"]["timezone"]),
        "duration_minutes": str(group["schedule"]["duration_minutes"]),
        "zoom_url": group["zoom_url"],
        "zoom_passcode": group.get("zoom_passcode") or "",
        "zoom_meeting_id": group.get("zoom_meeting_id") or "",
        "zoom_dial_in": "\n".join(group.get("zoom_dial_in") or []),
        "leads": [str(x) for x in group["reminder_leads_minutes"]],
        "requires_approval": group["requires_approval"],
        "paused": group["status"] == "paused",
        "decline_message": group.get("decline_message") or DEFAULT_DECLINE_MESSAGE,
        "what_to_expect": group.get("what_to_expect") or DEFAULT_WHAT_TO_EXPECT,
        "join_window_minutes": str(group.get("join_window_minutes", DEFAULT_JOIN_WINDOW_MINUTES)),
        "show_meeting_id": policy["meeting_id"],
        "show_dial_in": policy["dial_in"],
        "show_passcode": policy["passcode"],
        "contact_name": group.get("contact_name") or "",
        "contact_email": group.get("contact_email") or "",
    }


def _by_field(fields: dict[str, str]) -> dict[str, str]:
    """The model's errors by the form's fields: a dial-in number's ``zoom_dial_in.1`` is the
    field's "Line 2: ..." (the form has one box, one number a line)."""
    named: dict[str, str] = {}
    for key, why in fields.items():
        field, _, index = key.partition(".")
        if field == "zoom_dial_in" and index.isdigit():
            named.setdefault(field, f"Line {int(index) + 1}: {why}")
        else:
            named.setdefault(key, why)
    return named


def _settings_from_form(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(the form's values to show again, the settings patch, errors found before the model's checks)."""
    f = ctx.fields
    v: dict[str, Any] = {
        k: ctx.form(k)
        for k in (
            "name",
            "description",
            "eligibility",
            "repeat",
            "weekday",
            "start_time",
            "timezone",
            "duration_minutes",
            "zoom_url",
            "zoom_passcode",
            "zoom_meeting_id",
            "decline_message",
            "what_to_expect",
            "join_window_minutes",
            "contact_name",
            "contact_email",
        )
    }
    for shown in ("show_meeting_id", "show_dial_in", "show_passcode"):
        v[shown] = ctx.form(shown) == "yes"
    v["description"], v["eligibility"] = web.first(f, "description").strip(), web.first(f, "eligibility").strip()
    v["decline_message"] = web.first(f, "decline_message").strip()
    v["what_to_expect"] = web.first(f, "what_to_expect").strip()
    v["zoom_dial_in"] = web.first(f, "zoom_dial_in")
    v["weeks"] = [w for w in f.get("weeks", []) if w in {k for k, _ in WEEKS}]
    v["leads"] = [x for x in f.get("leads", []) if x in {k for k, _ in LEADS}]
    v["requires_approval"] = ctx.form("requires_approval") == "yes"
    v["paused"] = ctx.form("paused") == "yes"
    v["custom_rule"] = None
    errors: dict[str, str] = {}
    from chalicelib.meetings.schedule_words import rrule_from_words

    try:  # the one builder of a rule from words (also ``cli groups create``)
        rrule = rrule_from_words(weekday=v["weekday"], weeks=v["weeks"], repeat=v["repeat"])
    except Invalid as exc:
        errors.update(exc.fields)
        rrule = "FREQ=MONTHLY;BYDAY=1TU"
    duration: Any = v["duration_minutes"]
    if str(duration).isdigit():
        duration = int(duration)
    else:
        errors["duration_minutes"] = "Give a whole number of minutes, e.g. 90."
        duration = 90
    window: Any = v["join_window_minutes"]
    if str(window).isdigit():
        window = int(window)
    else:
        errors["join_window_minutes"] = "Give a whole number of minutes, e.g. 30."
        window = DEFAULT_JOIN_WINDOW_MINUTES
    decline = v["decline_message"]
    patch: dict[str, Any] = {
        "name": v["name"],
        "description": v["description"],
        "eligibility": v["eligibility"],
        "schedule": {
            "rrule": rrule,
            "start_time": v["start_time"],
            "timezone": v["timezone"],
            "duration_minutes": duration,
        },
        "zoom_url": v["zoom_url"],
        "zoom_passcode": v["zoom_passcode"] or None,
        "zoom_meeting_id": v["zoom_meeting_id"] or None,
        "zoom_dial_in": [line.strip() for line in v["zoom_dial_in"].splitlines() if line.strip()],
        "reminder_leads_minutes": sorted({int(x) for x in v["leads"]}, reverse=True),
        "requires_approval": v["requires_approval"],
        "status": "paused" if v["paused"] else "active",
        "decline_message": None if decline in ("", DEFAULT_DECLINE_MESSAGE) else decline,
        # The default is kept as "unset", so a better default reaches groups that never changed it.
        "what_to_expect": None if v["what_to_expect"] in ("", DEFAULT_WHAT_TO_EXPECT) else v["what_to_expect"],
        "join_window_minutes": window,
        "join_details": {
            "meeting_id": v["show_meeting_id"],
            "dial_in": v["show_dial_in"],
            "passcode": v["show_passcode"],
        },
        "contact_name": v["contact_name"] or None,
        "contact_email": v["contact_email"] or None,
    }
    if not v["leads"]:
        errors["leads"] = "Choose at least one reminder."
    return v, patch, errors


def _previews(ctx: Ctx, group: GroupRecord) -> list[dict[str, str]]:
    from chalicelib.meetings.mail import meeting_email
    from chalicelib.meetings.zones import PACIFIC
    from chalicelib.signups.member_mail import sample_links

    c = ctx.c
    meeting = c.meetings.next_meeting(group)
    if meeting is None:
        return []
    out = []
    # Each member reads her own zone (chalicelib/meetings/zones.py): one preview per way it is written.
    for who, state, zone in (
        ("A member on Mountain time (Montana, Boise, south Idaho)", "MT", None),
        ("A member on Pacific time (north Idaho)", "ID", PACIFIC),
        ("An Idaho member who has not said which time she lives on (both zones)", "ID", None),
    ):
        mail = meeting_email(
            "reminder",
            group=group,
            meeting=meeting,
            recipient="member@example.org",
            name="Sam Sample",
            state=state,
            timezone=zone,
            links=sample_links(group, c.settings, state=state, timezone=zone),
            now=meeting.starts_at - timedelta(days=1),
            series=[meeting],
        )
        out.append({"who": who, "subject": mail.subject, "text": mail.text, "room": group["zoom_url"]})
    return out


def settings(ctx: Ctx) -> Response:
    group = ctx.group()
    page: dict[str, Any] = {
        "group": group,
        "section": "settings",
        "week_options": WEEKS,
        "weekday_options": WEEKDAYS,
        "zone_options": zone_options(group["schedule"]["timezone"]),
        "lead_options": LEADS,
        "labels": SETTING_LABELS,
        "creating": False,
    }
    if ctx.request.method != "POST":
        return ctx.page(
            "settings.html",
            title="Group settings",
            v=_settings_values(group),
            version=group["version"],
            previews=_previews(ctx, group),
            previewing=False,
            **page,
        )
    values, patch, errors = _settings_from_form(ctx)
    version = ctx.form("version")
    from chalicelib.groups.models import GroupInput

    merged = {k: v for k, v in group.items() if k in GroupInput.model_fields} | patch
    proposed: GroupRecord | None = None
    try:
        from chalicelib.errors import validate_model

        proposed = {**group, **validate_model(GroupInput, merged).model_dump(mode="json")}  # type: ignore[typeddict-item]
    except Invalid as exc:
        errors = {**_by_field(exc.fields), **errors}
    if errors or proposed is None:
        return ctx.page(
            "settings.html",
            title="Group settings",
            status=400,
            v=values,
            version=version,
            errors=errors,
            previews=[],
            previewing=False,
            **page,
        )
    if ctx.form("action") != "save":
        return ctx.page(
            "settings.html",
            title="Group settings",
            v=values,
            version=version,
            previews=_previews(ctx, proposed),
            previewing=True,
            notice="Not saved yet. The next reminder with your changes is shown below the form; "
            "press Save the settings to keep them.",
            **page,
        )
    changed = [SETTING_LABELS.get(k, k).lower() for k in patch if (proposed.get(k) or None) != (group.get(k) or None)]
    if not version.isdigit():
        raise Invalid(fields={"version": "Reload the page and try again."})
    try:
        saved = ctx.c.groups.update(group["id"], {**patch, "version": int(version)}, if_match=None)
    except Conflict as exc:
        return ctx.page(
            "settings.html",
            title="Group settings",
            status=409,
            v=values,
            version=version,
            errors={"version": exc.message + " Reload the page to see the current settings."},
            previews=[],
            previewing=False,
            **page,
        )
    if changed:
        ctx.c.activity.record(saved["id"], ctx.who, "settings", "Changed the settings: " + ", ".join(changed))
    return ctx.done(f"/groups/{group['id']}/settings", "saved")


# ---------------------------------------------------------------- a new group (admins)


def _new_values() -> dict[str, Any]:
    """The form of a new group: the first Tuesday of each month at 4:00 PM Mountain, 90 minutes,
    reminders a day and an hour before, approval on."""
    return {
        "id": "",
        "name": "",
        "description": "",
        "eligibility": "",
        "repeat": "monthly",
        "weeks": ["1"],
        "weekday": "TU",
        "custom_rule": None,
        "start_time": "16:00",
        "timezone": "America/Denver",
        "duration_minutes": "90",
        "zoom_url": "",
        "zoom_passcode": "",
        "zoom_meeting_id": "",
        "zoom_dial_in": "",
        "leads": ["1440", "60"],
        "requires_approval": True,
        "paused": False,
        "decline_message": DEFAULT_DECLINE_MESSAGE,
        "what_to_expect": DEFAULT_WHAT_TO_EXPECT,
        "join_window_minutes": str(DEFAULT_JOIN_WINDOW_MINUTES),
        "show_meeting_id": True,
        "show_dial_in": True,
        "show_passcode": False,
        "contact_name": "",
        "contact_email": "",
    }


def group_new(ctx: Ctx) -> Response:
    """An admin creates a group from the settings form (the schedule in words), no JSON, no rule."""
    if not ctx.who.is_admin:
        raise Forbidden("Only an admin may create a group.")
    page: dict[str, Any] = {
        "section": "new_group",
        "week_options": WEEKS,
        "weekday_options": WEEKDAYS,
        "zone_options": ZONES,
        "lead_options": LEADS,
        "labels": {**SETTING_LABELS, "id": "Web address name"},
        "creating": True,
        "previews": [],
        "previewing": False,
        "version": "",
    }
    if ctx.request.method != "POST":
        return ctx.page("settings.html", title="New group", v=_new_values(), **page)
    values, patch, errors = _settings_from_form(ctx)
    from chalicelib.groups.models import web_name

    values["id"] = ctx.form("id").lower() or web_name(values["name"])
    body = {"id": values["id"], **patch}
    if errors:
        return ctx.page("settings.html", title="New group", status=400, v=values, errors=errors, **page)
    try:
        created = ctx.c.groups.create(body)
    except Invalid as exc:
        return ctx.page("settings.html", title="New group", status=400, v=values, errors=_by_field(exc.fields), **page)
    except AlreadyExists:
        taken = {"id": "Another group has this web address name; choose another."}
        return ctx.page("settings.html", title="New group", status=409, v=values, errors=taken, **page)
    from chalicelib.meetings.schedule_words import schedule_sentence

    when = schedule_sentence(created["schedule"])
    ctx.c.activity.record(created["id"], ctx.who, "group_created", f"Created the group; it meets {when}")
    return ctx.done(f"/groups/{created['id']}/settings", "group_created")
