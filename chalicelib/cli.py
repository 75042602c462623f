"""Admin CLI: ``python -m chalicelib.cli`` (or ``make cli ARGS=...``).

Works against whatever the environment points at: the local stack (via ``make cli``) or a
deployed stage (TABLE_NAME, AWS_REGION, credentials). Domain errors become a message on stderr
and an exit code from ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from chalicelib import container, errors

# Exit codes, most specific first (the first class in the error's MRO found here wins).
EXIT_CODES: dict[type[errors.DomainError], int] = {
    errors.Invalid: 2,
    errors.NotFound: 3,
    errors.Conflict: 4,
    errors.NotAuthenticated: 5,
    errors.Forbidden: 5,
    errors.RateLimited: 6,
    errors.Unavailable: 7,
    errors.LinkProblem: 2,
}


def exit_code(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def _print(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


def _prepare_local() -> None:
    settings = container.current().settings
    if settings.dynamodb_endpoint:
        from chalicelib.table import ensure_table

        ensure_table(container.current().dynamodb, settings.table_name)


def cmd_organizers_create(args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter, ValidationError

    from chalicelib.validation import Email

    name = args.name.strip()
    if not 1 <= len(name) <= 100:
        raise errors.Invalid(fields={"--name": "Must be 1 to 100 characters."})
    try:
        email = str(TypeAdapter(Email).validate_python(args.email))
    except ValidationError:
        raise errors.Invalid(fields={"--email": "Not a valid email address."}) from None
    org, key = container.current().organizers.create(name=name, email=email)
    print(f"Organizer {org['id']} created for {org['name']}.")
    print("API key (shown once; store it in a password manager):")
    print(key)
    return 0


def cmd_organizers_list(args: argparse.Namespace) -> int:
    _print(container.current().organizers.all())
    return 0


def cmd_organizers_revoke(args: argparse.Namespace) -> int:
    if not container.current().organizers.revoke(args.id):
        raise errors.NotFound("organizer", f"No active organizer {args.id}.")
    print(f"Organizer {args.id} revoked; its key no longer works.")
    return 0


def parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise errors.Invalid(fields={"--now": "Not an ISO 8601 date-time."}) from None
    if moment.tzinfo is None:
        raise errors.Invalid(
            fields={"--now": "Needs a UTC offset, e.g. 2026-12-01T22:30:00Z or 2026-12-01T15:30:00-07:00."}
        )
    return moment.astimezone(UTC)


def _use_clock(now: datetime | None) -> None:
    """``--now``: the whole container reads this instant as "now" (one clock)."""
    if now is not None:
        from chalicelib.clock import FixedClock

        current = container.current()
        container.install(container.build(settings=current.settings, clock=FixedClock(now), dynamodb=current.dynamodb))


def cmd_reminders_run(args: argparse.Namespace) -> int:
    """The same code path as the scheduled function, with an injectable clock."""
    _use_clock(parse_now(args.now))
    report = container.current().distributor.run(group_id=args.group, dry_run=args.dry_run)
    _print(report.as_dict())
    return 1 if report.stopped in ("account", "error") else 0


def cmd_reminders_requeue(args: argparse.Namespace) -> int:
    """Failed deliveries of one meeting go out again with the next run."""
    requeued = container.current().distributor.requeue_failed(args.group, args.date)
    print(f"{requeued} failed deliveries of {args.date} will be sent with the next run.")
    return 0


def cmd_reminders_preview(args: argparse.Namespace) -> int:
    """Render the next reminder into the outbox, recording no delivery."""
    from chalicelib.mail.backends import OutboxMailer
    from chalicelib.meetings.mail import meeting_email

    _use_clock(parse_now(args.now))
    c = container.current()
    settings = c.settings
    group = c.groups.get(args.group)
    meeting = c.meetings.next_meeting(group)
    if meeting is None:
        raise errors.NotFound("meeting", "The group has no upcoming meeting.")
    mail = meeting_email(
        "reminder",
        group=group,
        meeting=meeting,
        recipient="preview@example.org",
        name="Preview Member",
        state=args.state,
        unsubscribe_url=f"{settings.public_api_url}/signups/unsubscribe?token=PREVIEW",
        now=c.clock.now(),
    )
    message_id = OutboxMailer(settings.outbox_dir, settings.mail_from, settings.mail_reply_to).send(mail)
    print(f"Preview written to {settings.outbox_dir}/{message_id}.eml (meeting {meeting.date})")
    return 0


def cmd_site_origins_list(args: argparse.Namespace) -> int:
    _print(container.current().site.origins())
    return 0


def cmd_site_origins_add(args: argparse.Namespace) -> int:
    view = container.current().site.add_origin(args.origin, by="cli")
    print(f"Allowed: {', '.join(view['deploy_origins'] + view['origins'])} (version {view['version']}).")
    print("Running API containers pick the change up within a minute.")
    return 0


def cmd_site_origins_remove(args: argparse.Namespace) -> int:
    view = container.current().site.remove_origin(args.origin, by="cli")
    print(f"Allowed: {', '.join(view['deploy_origins'] + view['origins'])} (version {view['version']}).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="mbc-connect admin")
    areas = parser.add_subparsers(dest="area", required=True)

    orgs = areas.add_parser("organizers", help="organizer API keys").add_subparsers(dest="action", required=True)
    create = orgs.add_parser("create", help="create an organizer and print its key once")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.set_defaults(func=cmd_organizers_create)
    orgs.add_parser("list", help="list organizers (never their keys)").set_defaults(func=cmd_organizers_list)
    revoke = orgs.add_parser("revoke", help="revoke an organizer's key")
    revoke.add_argument("id")
    revoke.set_defaults(func=cmd_organizers_revoke)

    reminders = areas.add_parser("reminders", help="Zoom-link distribution").add_subparsers(
        dest="action", required=True
    )
    run = reminders.add_parser("run", help="run the distribution now (same code as the scheduled function)")
    run.add_argument("--now", help="pretend it is this moment (ISO 8601 with offset)")
    run.add_argument("--group", help="only this group")
    run.add_argument("--dry-run", action="store_true", help="plan only: claim and send nothing")
    run.set_defaults(func=cmd_reminders_run)
    requeue = reminders.add_parser("requeue", help="send a meeting's failed deliveries again with the next run")
    requeue.add_argument("--group", required=True)
    requeue.add_argument("--date", required=True, help="the meeting's scheduled date, YYYY-MM-DD")
    requeue.set_defaults(func=cmd_reminders_requeue)
    preview = reminders.add_parser("preview", help="render the next reminder into the outbox (records nothing)")
    preview.add_argument("--group", required=True)
    preview.add_argument("--now", help="pretend it is this moment")
    preview.add_argument("--state", choices=["ID", "MT"], default="MT", help="the sample member's state")
    preview.set_defaults(func=cmd_reminders_preview)

    site = areas.add_parser("site", help="site settings").add_subparsers(dest="setting", required=True)
    origins = site.add_parser("origins", help="the website origins allowed to use the API").add_subparsers(
        dest="action", required=True
    )
    origins.add_parser("list", help="the stored list and the deploy-time list").set_defaults(func=cmd_site_origins_list)
    add = origins.add_parser("add", help="allow a website origin, e.g. https://www.example.org")
    add.add_argument("origin")
    add.set_defaults(func=cmd_site_origins_add)
    remove = origins.add_parser("remove", help="stop allowing a stored website origin")
    remove.add_argument("origin")
    remove.set_defaults(func=cmd_site_origins_remove)
    return parser


def main(argv: list[str] | None = None) -> int:
    import logging

    from chalicelib import metrics

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    metrics.use_stream(sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        _prepare_local()
        result: int = args.func(args)
    except errors.DomainError as exc:
        details = "".join(f"\n  {field}: {why}" for field, why in exc.fields.items())
        print(f"error: {exc.message}{details}", file=sys.stderr)
        return exit_code(exc)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
