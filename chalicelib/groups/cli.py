"""``cli groups``: create a group with its schedule in words (no JSON, no RRULE), and show one.

    make cli ARGS='groups create --name "Montana Evening Group" --zoom-url https://... \\
        --week first --weekday Tuesday --time "4:00 PM" --zone Mountain'

The rule is built by ``meetings.schedule_words.rrule_from_words`` (the console's group pages use
it too) and checked by the schedule's own validation. Prints the group's id and its schedule in
words, never the Zoom link (a secret)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from chalicelib import container, errors


def _flag(fields: dict[str, str]) -> dict[str, str]:
    """Field names as the command's flags (``start_time`` -> ``--time``)."""
    names = {
        "start_time": "--time",
        "timezone": "--zone",
        "weeks": "--week",
        "schedule.rrule": "--week",
        "schedule.duration_minutes": "--duration",
    }
    return {names.get(k, "--" + k.rsplit(".", 1)[-1].replace("_", "-")): v for k, v in fields.items()}


def group_body(args: argparse.Namespace) -> dict[str, Any]:
    """The group's settings from the command's words (``Invalid`` naming the flags)."""
    from chalicelib.groups.models import web_name
    from chalicelib.meetings.schedule_words import clock_from_words, rrule_from_words, zone_from_words

    problems: dict[str, str] = {}
    schedule: dict[str, Any] = {"duration_minutes": args.duration}
    repeat = "weekly" if args.weekly else "monthly"
    builders: list[tuple[str, Callable[[], str]]] = [
        ("rrule", lambda: rrule_from_words(weekday=args.weekday, weeks=args.week or ["first"], repeat=repeat)),
        ("start_time", lambda: clock_from_words(args.time)),
        ("timezone", lambda: zone_from_words(args.zone)),
    ]
    for name, build in builders:
        try:
            schedule[name] = build()
        except errors.Invalid as exc:
            problems.update(exc.fields)
    body: dict[str, Any] = {
        "id": args.id or web_name(args.name),
        "name": args.name,
        "description": args.description,
        "eligibility": args.eligibility,
        "schedule": schedule,
        "zoom_url": args.zoom_url,
        "requires_approval": not args.no_approval,
    }
    optional = {"contact_name": args.contact_name, "contact_email": args.contact_email}
    body.update({k: v for k, v in optional.items() if v})
    if problems:
        # Name every bad flag at once: the other fields checked with a stand-in schedule.
        from chalicelib.errors import validate_model
        from chalicelib.groups.models import GroupInput

        stand_in = {"rrule": "FREQ=MONTHLY;BYDAY=1TU", "start_time": "16:00", "timezone": "America/Denver"}
        try:
            validate_model(GroupInput, {**body, "schedule": {**stand_in, **schedule}})
        except errors.Invalid as exc:
            problems.update({k: v for k, v in exc.fields.items() if not k.startswith("schedule")})
        raise errors.Invalid(fields=problems)  # flag names: cmd_groups_create
    return body


def cmd_groups_create(args: argparse.Namespace) -> int:
    from chalicelib.meetings.schedule_words import schedule_sentence

    c = container.current()
    try:
        group = c.groups.create(group_body(args))
    except errors.Invalid as exc:
        fields = dict(exc.fields)
        if not args.id and "id" in fields and "name" not in fields:
            # The id was made from --name: say so there, not about a flag she never typed.
            del fields["id"]
            fields["name"] = "No web address name can be made from it: give one with --id, e.g. --id helena-group."
        raise errors.Invalid(exc.message, fields=_flag(fields)) from None
    meeting = c.meetings.next_meeting(group)
    print(f"Group {group['id']} created: {group['name']}.")
    print(f"It meets {schedule_sentence(group['schedule'])}.")
    if meeting is not None:
        from chalicelib.meetings.zones import long_when

        # In the group's own zone, in words ("Tuesday, January 5, 2027 at 4:00 PM Pacific").
        print(f"Next meeting: {long_when(meeting.starts_at, (group['schedule']['timezone'],))}.")
    print(f"Everything else is in the console: {c.settings.public_api_url}/console/groups/{group['id']}/settings")
    return 0


def add_parsers(areas: Any) -> None:
    commands = areas.add_parser("groups", help="connection groups").add_subparsers(dest="action", required=True)
    create = commands.add_parser(
        "create",
        help="create a group, its schedule in words: --week first --weekday Tuesday --time '4:00 PM' --zone Mountain",
    )
    create.add_argument("--name", required=True, help="the group's name, e.g. 'Montana Evening Group'")
    create.add_argument("--zoom-url", required=True, help="the Zoom link (a secret: sent only to active members)")
    create.add_argument("--id", help="web address name (default: made from --name)")
    create.add_argument(
        "--week",
        action="append",
        help="which week of the month: first, second, third, fourth or last (repeat for more; default first)",
    )
    create.add_argument("--weekday", default="Tuesday", help="day of the week (default Tuesday)")
    create.add_argument("--weekly", action="store_true", help="every week instead of chosen weeks of the month")
    create.add_argument("--time", default="4:00 PM", help="start time, e.g. '4:00 PM' or 16:00 (default 4:00 PM)")
    create.add_argument("--zone", default="Mountain", help="Mountain, Pacific, Central, Eastern or e.g. America/Boise")
    create.add_argument("--duration", type=int, default=90, help="length in minutes (default 90)")
    create.add_argument("--description", default="")
    create.add_argument("--eligibility", default="", help="who can join")
    create.add_argument("--contact-name")
    create.add_argument("--contact-email")
    create.add_argument("--no-approval", action="store_true", help="signups become members without approval")
    create.set_defaults(func=cmd_groups_create)
