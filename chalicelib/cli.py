"""Admin CLI: ``python -m chalicelib.cli`` (or ``make cli ARGS=...``).

Works against whatever the environment points at: the local stack (via ``make cli``) or a
deployed stage (TABLE_NAME, AWS_REGION, credentials). Domain errors become a message on stderr
and an exit code from ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
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
    groups = [g.strip() for g in (args.groups or "").split(",") if g.strip()]
    role = args.role or ("organizer" if groups else "admin")
    c = container.current()
    unknown = [g for g in groups if not _group_exists(g)]
    if unknown:
        raise errors.Invalid(fields={"--groups": f"No such group: {', '.join(unknown)}."})
    org, key = c.organizers.create(
        name=name, email=email, role="organizer" if role == "organizer" else "admin", groups=groups
    )
    scope = "every group" if role == "admin" else ", ".join(org.get("groups") or [])
    print(f"Organizer {org['id']} created for {org['name']} ({role}: {scope}).")
    print(f"They sign in to the console at {c.settings.public_api_url}/console with {email}.")
    print("API key (shown once; store it in a password manager):")
    print(key)
    return 0


def _group_exists(group_id: str) -> bool:
    try:
        container.current().groups.get(group_id)
    except errors.NotFound:
        return False
    return True


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
    from chalicelib.validation import year_problem

    problem = year_problem(moment)  # before converting: 9999-12-31T22:00:00-07:00 overflows in UTC
    if problem:
        raise errors.Invalid(fields={"--now": problem})
    return moment.astimezone(UTC)


def _use_clock(now: datetime | None) -> None:
    """``--now``: the whole container reads this instant as "now" (one clock)."""
    if now is not None:
        from chalicelib.clock import FixedClock

        current = container.current()
        container.install(container.build(settings=current.settings, clock=FixedClock(now), dynamodb=current.dynamodb))


# A --now this far behind the present still counts as "now" (the time it takes to type the command).
PAST_NOW_SLACK = timedelta(minutes=5)


def refuse_past_now(now: datetime | None, *, deliberate: bool) -> None:
    """A --now before the present would mail every member about a meeting already held: refused
    (exit 2, nothing sent) unless the organizer says it is deliberate (--dry-run or --past-ok)."""
    if now is None or deliberate:
        return
    present = container.current().clock.now()
    if now < present - PAST_NOW_SLACK:
        raise errors.Invalid(
            "Refused: nothing was sent.",
            fields={
                "--now": (
                    f"{now:%Y-%m-%d %H:%M} UTC is in the past (it is now {present:%Y-%m-%d %H:%M} UTC): "
                    "a run then would email every member about meetings already held. "
                    "Add --dry-run to see what it would send, or --past-ok to send it anyway."
                )
            },
        )


def cmd_reminders_run(args: argparse.Namespace) -> int:
    """The same code path as the scheduled function, with an injectable clock."""
    now = parse_now(args.now)
    refuse_past_now(now, deliberate=args.dry_run or args.past_ok)
    _use_clock(now)
    report = container.current().distributor.run(group_id=args.group, dry_run=args.dry_run)
    _print(report.as_dict())
    return 1 if report.stopped in ("account", "error", "config") else 0


def cmd_scheduled_run(args: argparse.Namespace) -> int:
    """Everything the scheduled function does every 15 minutes (what `make run` runs every minute)."""
    from chalicelib.distribution.scheduled import scheduled_run

    now = parse_now(args.now)
    refuse_past_now(now, deliberate=args.past_ok)
    _use_clock(now)
    result = scheduled_run(container.current())  # not while another run holds the run lease
    _print(result)
    return 1 if result.get("stopped") in ("account", "error", "config") or result.get("dropped") else 0


def cmd_reminders_requeue(args: argparse.Namespace) -> int:
    """Failed deliveries of one meeting go out again with the next run."""
    requeued = container.current().distributor.requeue_failed(args.group, args.date)
    print(f"{requeued} failed deliveries of {args.date} will be sent with the next run.")
    return 0


def cmd_reminders_preview(args: argparse.Namespace) -> int:
    """Render the next reminder into the outbox, recording no delivery."""
    from chalicelib.mail.backends import OutboxMailer
    from chalicelib.meetings.mail import meeting_email
    from chalicelib.signups.member_mail import sample_links

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
        timezone=args.timezone,
        links=sample_links(group, settings, state=args.state, timezone=args.timezone),
        now=c.clock.now(),
        series=c.meetings.upcoming(group, count=12),
    )
    from chalicelib.organization import sender

    message_id = OutboxMailer(settings.outbox_dir, sender(settings), settings.mail_reply_to).send(mail)
    print(f"Preview written to {settings.outbox_dir}/{message_id}.eml (meeting {meeting.date})")
    return 0


def cmd_members_import(args: argparse.Namespace) -> int:
    """An organizer's existing list, as the console imports it: checked, then (unless --check-only)
    added in the background; --wait adds it now, through the outbox, and prints the result."""
    from chalicelib.signups.importing import parse_upload

    c = container.current()
    if c.organizers.get(args.organizer) is None:
        raise errors.NotFound("organizer")
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise errors.Invalid(fields={"--file": "No such file: check the folder and the name."}) from None
    except OSError as exc:
        raise errors.Invalid(fields={"--file": f"Cannot read it ({type(exc).__name__})."}) from None
    parsed = parse_upload(data, default_state=args.default_state or "")
    imports = c.imports
    try:
        mode, basis, since = imports.check_choices(args.mode, args.basis or "", args.since or "")
    except errors.Invalid as exc:  # named by the command's flags
        flags = {"basis": "--basis", "basis_on": "--since", "mode": "--mode"}
        raise errors.Invalid(exc.message, fields={flags.get(k, k): v for k, v in exc.fields.items()}) from None
    job = imports.draft(args.group, parsed, by=args.organizer)
    for note in job["notes"]:
        print(note)
    print(
        f"{job['ready']} of {job['rows']} people are ready to add; "
        f"{job['problems']} rows have a problem, {job['already']} are already in the group."
    )
    _print_skipped(imports.rows(args.group, job["id"])[1])
    if args.check_only:
        imports.discard(args.group, job["id"])
        print("Checked only: nothing was added or sent.")
        return 0
    job = imports.commit(
        args.group, job["id"], version=job["version"], mode=mode, basis=basis, basis_on=since, by=args.organizer
    )
    print(f"Import {job['id']} started ({'as members' if mode == 'members' else 'invited to confirm'}).")
    if not args.wait:
        print(f"It is added in the background; see: members import-status --group {args.group} {job['id']}")
        return 0

    while job["status"] != "done":
        c.outbox.sweep(min_age=timedelta(0))
        job = imports.job(args.group, job["id"])
        print(f"{int(job.get('added', 0)) + int(job.get('skipped', 0))} of {job['ready']} done")
    c.outbox.sweep(min_age=timedelta(0))  # the last chunk's emails
    return cmd_members_import_status(argparse.Namespace(group=args.group, id=job["id"]))


def _print_skipped(skipped: list[Any]) -> None:
    """Rows skipped, by row number and why (the names stay in the file and the console)."""
    for row in skipped:
        print(f"  row {row['line']}: {row['why']}")


def cmd_members_import_status(args: argparse.Namespace) -> int:
    imports = container.current().imports
    job = imports.job(args.group, args.id)
    done = int(job.get("added", 0)) + int(job.get("skipped", 0))
    print(f"Import {job['id']}: {job['status']}; {done} of {job['ready']} done, {job.get('added', 0)} added.")
    _print_skipped(imports.rows(args.group, job["id"])[1])
    return 0


def cmd_outbox_parked(args: argparse.Namespace) -> int:
    """Parked emails: ids, kinds, groups, reasons, attempts and dates (never an address or a name)."""
    sender = container.current().outbox
    _print({"paused_until": sender.paused_until(), "parked": sender.parked()})
    return 0


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    sender = container.current().outbox
    sender.retry_parked(args.id)
    outcome = sender.deliver(args.id)
    print(f"Outbox item {args.id} is pending again; tried now: {outcome}.")
    return 0


def cmd_outbox_discard(args: argparse.Namespace) -> int:
    container.current().outbox.discard_parked(args.id)
    print(f"Outbox item {args.id} discarded: it will never be sent.")
    return 0


def cmd_outbox_resume(args: argparse.Namespace) -> int:
    sender = container.current().outbox
    lifted = sender.resume()
    print("Sending resumed." if lifted else "Sending was not paused.")
    c = container.current()
    _print(sender.sweep(pending_intake=c.signups.pending_intakes))
    return 0


def _outbox_parsers(areas: Any) -> None:
    outbox = areas.add_parser("outbox", help="transactional emails (confirmations, welcomes, sign-in links)")
    actions = outbox.add_subparsers(dest="action", required=True)
    actions.add_parser("parked", help="emails that wait for an admin, and any sending pause").set_defaults(
        func=cmd_outbox_parked
    )
    retry = actions.add_parser("retry", help="send a parked email again (an unknown outcome may send a 2nd copy)")
    retry.add_argument("id")
    retry.set_defaults(func=cmd_outbox_retry)
    discard = actions.add_parser("discard", help="never send a parked email")
    discard.add_argument("id")
    discard.set_defaults(func=cmd_outbox_discard)
    actions.add_parser("resume", help="SES sends again: lift the sending pause and sweep now").set_defaults(
        func=cmd_outbox_resume
    )


def _member_parsers(areas: Any) -> None:
    from chalicelib.signups.imports import BASES

    members = areas.add_parser("members", help="a group's members").add_subparsers(dest="action", required=True)
    imp = members.add_parser("import", help="import an existing list (CSV, any usual encoding and delimiter)")
    imp.add_argument("--group", required=True)
    imp.add_argument("--file", required=True, help="the spreadsheet as saved (CSV, semicolons, tabs)")
    imp.add_argument("--as", dest="organizer", required=True, help="the organizer id who adds them")
    imp.add_argument(
        "--mode",
        choices=["members", "invite"],
        required=True,
        help="members: they asked to join (active now, one 'we have moved' email); invite: they confirm first",
    )
    imp.add_argument("--basis", choices=sorted(BASES), help="with --mode members: how they asked to join")
    imp.add_argument("--since", help="with --mode members: since when (about), YYYY-MM-DD")
    imp.add_argument("--default-state", choices=["ID", "MT"], help="the state of rows that give none")
    imp.add_argument("--check-only", action="store_true", help="check the list and print it: add nothing")
    imp.add_argument("--wait", action="store_true", help="add it now (through the outbox) and print the result")
    imp.set_defaults(func=cmd_members_import)
    status = members.add_parser("import-status", help="how far an import got, and the rows skipped")
    status.add_argument("--group", required=True)
    status.add_argument("id")
    status.set_defaults(func=cmd_members_import_status)


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
    create.add_argument(
        "--role",
        choices=["admin", "organizer"],
        help="admin: every group (default without --groups); organizer: --groups",
    )
    create.add_argument("--groups", help="comma-separated group ids an organizer may manage")
    create.set_defaults(func=cmd_organizers_create)
    orgs.add_parser("list", help="list organizers (never their keys)").set_defaults(func=cmd_organizers_list)
    revoke = orgs.add_parser("revoke", help="revoke an organizer's key")
    revoke.add_argument("id")
    revoke.set_defaults(func=cmd_organizers_revoke)

    scheduled = areas.add_parser("scheduled", help="the scheduled function").add_subparsers(
        dest="action", required=True
    )
    every = scheduled.add_parser("run", help="outbox sweep, link windows, distribution, warm-up: as every 15 minutes")
    every.add_argument("--now", help="pretend it is this moment (ISO 8601 with offset; not in the past)")
    every.add_argument("--past-ok", action="store_true", help="a past --now is deliberate: send as if it were then")
    every.set_defaults(func=cmd_scheduled_run)

    reminders = areas.add_parser("reminders", help="Zoom-link distribution").add_subparsers(
        dest="action", required=True
    )
    run = reminders.add_parser("run", help="run the distribution now (same code as the scheduled function)")
    run.add_argument(
        "--now", help="pretend it is this moment (ISO 8601 with offset; a past one needs --dry-run or --past-ok)"
    )
    run.add_argument("--group", help="only this group")
    run.add_argument("--dry-run", action="store_true", help="plan only: claim and send nothing")
    run.add_argument("--past-ok", action="store_true", help="a past --now is deliberate: send as if it were then")
    run.set_defaults(func=cmd_reminders_run)
    requeue = reminders.add_parser("requeue", help="send a meeting's failed deliveries again with the next run")
    requeue.add_argument("--group", required=True)
    requeue.add_argument("--date", required=True, help="the meeting's scheduled date, YYYY-MM-DD")
    requeue.set_defaults(func=cmd_reminders_requeue)
    preview = reminders.add_parser("preview", help="render the next reminder into the outbox (records nothing)")
    preview.add_argument("--group", required=True)
    preview.add_argument("--now", help="pretend it is this moment")
    preview.add_argument("--state", choices=["ID", "MT"], default="MT", help="the sample member's state")
    preview.add_argument(
        "--timezone",
        choices=["America/Denver", "America/Los_Angeles"],
        default=None,
        help="the time the sample member said she lives on (default: from her state; Idaho shows both)",
    )
    preview.set_defaults(func=cmd_reminders_preview)
    from chalicelib.announcements.cli import add_parsers as announcement_parsers

    announcement_parsers(areas)
    _outbox_parsers(areas)
    _member_parsers(areas)
    from chalicelib.groups.cli import add_parsers as group_parsers

    group_parsers(areas)

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
    finally:
        metrics.use_stream(None)  # called in-process (tests), leave the default stream as it was
    return result


if __name__ == "__main__":
    raise SystemExit(main())
