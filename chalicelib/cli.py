"""Admin CLI: ``python -m chalicelib.cli`` (or ``make cli ARGS=...``).

Works against whatever the environment points at: the local stack (via
``make cli``) or a deployed stage (TABLE_NAME, AWS_REGION, credentials).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chalicelib import container


def _print(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


def _prepare_local() -> None:
    settings = container.settings()
    if settings.dynamodb_endpoint:
        from chalicelib.aws import dynamodb_client
        from chalicelib.table import ensure_table

        ensure_table(dynamodb_client(settings), settings.table_name)


def cmd_organizers_create(args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter, ValidationError

    from chalicelib.auth import create_organizer
    from chalicelib.models.common import Email

    name = args.name.strip()
    if not 1 <= len(name) <= 100:
        print("error: --name must be 1 to 100 characters", file=sys.stderr)
        return 2
    try:
        email = str(TypeAdapter(Email).validate_python(args.email))
    except ValidationError:
        print("error: --email is not a valid email address", file=sys.stderr)
        return 2
    org, key = create_organizer(container.organizers(), name, email)
    print(f"Organizer {org['id']} created for {org['name']}.")
    print("API key (shown once; store it in a password manager):")
    print(key)
    return 0


def cmd_organizers_list(args: argparse.Namespace) -> int:
    _print(container.organizers().list())
    return 0


def cmd_organizers_revoke(args: argparse.Namespace) -> int:
    from chalicelib.clock import utc_now

    if container.organizers().revoke(args.id, utc_now().isoformat()):
        print(f"Organizer {args.id} revoked; its key no longer works.")
        return 0
    print(f"error: no active organizer {args.id}", file=sys.stderr)
    return 1


def _parse_now(value: str | None) -> Any:
    from datetime import UTC, datetime

    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise SystemExit("error: --now needs a UTC offset, e.g. 2026-12-01T22:30:00Z or 2026-12-01T15:30:00-07:00")
    return moment.astimezone(UTC)


def cmd_reminders_run(args: argparse.Namespace) -> int:
    """The same code path as the scheduled function, with an injectable clock."""
    report = container.distributor().run(now=_parse_now(args.now), group_id=args.group, dry_run=args.dry_run)
    _print(report.as_dict())
    return 1 if report.stopped in ("account", "error") else 0


def cmd_reminders_preview(args: argparse.Namespace) -> int:
    """Render the next reminder into the outbox, recording no delivery."""
    from chalicelib.mail.backends import OutboxMailer
    from chalicelib.meeting_mail import meeting_email

    settings = container.settings()
    group = container.groups().get(args.group)
    meeting = container.groups().next_meeting(group, _parse_now(args.now))
    if meeting is None:
        print("error: the group has no upcoming meeting", file=sys.stderr)
        return 1
    member = {"email": "preview@example.org", "name": "Preview Member", "state": args.state}
    leads = group.get("reminder_leads_minutes") or [60]
    mail = meeting_email(
        "reminder", group, meeting, member, f"{settings.public_api_url}/signups/unsubscribe?token=PREVIEW", min(leads)
    )
    message_id = OutboxMailer(settings.outbox_dir, settings.mail_from, settings.mail_reply_to).send(mail)
    print(f"Preview written to {settings.outbox_dir}/{message_id}.eml (meeting {meeting.date})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="mbc-connect admin")
    groups = parser.add_subparsers(dest="area", required=True)

    orgs = groups.add_parser("organizers", help="organizer API keys").add_subparsers(dest="action", required=True)
    create = orgs.add_parser("create", help="create an organizer and print its key once")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.set_defaults(func=cmd_organizers_create)
    orgs.add_parser("list", help="list organizers (never their keys)").set_defaults(func=cmd_organizers_list)
    revoke = orgs.add_parser("revoke", help="revoke an organizer's key")
    revoke.add_argument("id")
    revoke.set_defaults(func=cmd_organizers_revoke)

    reminders = groups.add_parser("reminders", help="Zoom-link distribution").add_subparsers(
        dest="action", required=True
    )
    run = reminders.add_parser("run", help="run the distribution now (same code as the scheduled function)")
    run.add_argument("--now", help="pretend it is this moment (ISO 8601 with offset)")
    run.add_argument("--group", help="only this group")
    run.add_argument("--dry-run", action="store_true", help="plan only: claim and send nothing")
    run.set_defaults(func=cmd_reminders_run)
    preview = reminders.add_parser("preview", help="render the next reminder into the outbox (records nothing)")
    preview.add_argument("--group", required=True)
    preview.add_argument("--now", help="pretend it is this moment")
    preview.add_argument("--state", choices=["ID", "MT"], default="MT", help="the sample member's state")
    preview.set_defaults(func=cmd_reminders_preview)
    return parser


def main(argv: list[str] | None = None) -> int:
    import logging

    from chalicelib.errors import ApiError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    _prepare_local()
    try:
        result: int = args.func(args)
    except ApiError as exc:
        print(f"error: {exc.message} {exc.fields or ''}".rstrip(), file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    raise SystemExit(main())
