"""``cli announcements``: write a draft (its preview is emailed to the organizer), edit it, send it to
every active member once each, discard it, list and show them. Field errors are named by the
command's flags (``--subject``, ``--body-file``), a missing file in words.

    make cli ARGS='announcements draft --group <g> --as <organizer> --subject "..." --body-file note.txt'
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chalicelib import container, errors


def _print(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


def _body_arg(args: argparse.Namespace) -> str | None:
    if getattr(args, "body_file", None):
        if args.body_file == "-":
            return sys.stdin.read()
        try:
            with open(args.body_file, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            raise errors.Invalid(fields={"--body-file": "No such file: check the folder and the name."}) from None
        except IsADirectoryError:
            raise errors.Invalid(fields={"--body-file": "That is a folder, not a file."}) from None
        except UnicodeDecodeError:
            raise errors.Invalid(fields={"--body-file": "Not readable as text: save it as UTF-8 text."}) from None
        except OSError as exc:
            raise errors.Invalid(fields={"--body-file": f"Cannot read it ({type(exc).__name__})."}) from None
    body: str | None = getattr(args, "body", None)
    return body


def _announcement_summary(view: dict[str, Any]) -> None:
    print(f"Announcement {view['id']} ({view['status']}, version {view['version']}): {view['subject']}")
    if view["status"] == "draft":
        print(f"It would go to {view.get('audience', 0)} active members.")
    if view.get("counts"):
        counts = view["counts"]
        print(f"Sent {counts['sent']}, refused {counts['failed']}, still to go {counts['pending']}.")


def _by_flags(args: argparse.Namespace, exc: errors.Invalid) -> errors.Invalid:
    """The service's field names (subject, body) as the flags she typed (--subject, --body-file)."""
    flags = {
        "subject": "--subject",
        "body": "--body-file" if getattr(args, "body_file", None) else "--body",
        "attach_invite": "--invite",
        "version": "--version",
    }
    return errors.Invalid(exc.message, fields={flags.get(k, k): v for k, v in exc.fields.items()})


def cmd_announcements_draft(args: argparse.Namespace) -> int:
    body = _body_arg(args)
    data = {"subject": args.subject, "body": body, "attach_invite": args.invite}
    try:
        view = container.current().announcements.draft(args.group, data, organizer_id=args.organizer)
    except errors.Invalid as exc:  # named by the command's flags
        raise _by_flags(args, exc) from None
    _announcement_summary(view)
    print("A preview is on its way to the organizer's address. When it reads right, send it with:")
    print(f"  announcements send --group {args.group} {view['id']} --version {view['version']} --as {args.organizer}")
    return 0


def cmd_announcements_edit(args: argparse.Namespace) -> int:
    data: dict[str, Any] = {"version": args.version}
    if args.subject is not None:
        data["subject"] = args.subject
    body = _body_arg(args)
    if body is not None:
        data["body"] = body
    if args.invite is not None:
        data["attach_invite"] = args.invite
    try:
        view = container.current().announcements.edit(args.group, args.id, data, organizer_id=args.organizer)
    except errors.Invalid as exc:  # named by the command's flags
        raise _by_flags(args, exc) from None
    _announcement_summary(view)
    print("A new preview is on its way.")
    return 0


def cmd_announcements_send(args: argparse.Namespace) -> int:
    data = {"version": args.version}
    view = container.current().announcements.send(args.group, args.id, data, organizer_id=args.organizer)
    _announcement_summary(view)
    return 0


def cmd_announcements_discard(args: argparse.Namespace) -> int:
    container.current().announcements.discard(args.group, args.id, {"version": str(args.version)})
    print(f"Draft {args.id} discarded.")
    return 0


def cmd_announcements_list(args: argparse.Namespace) -> int:
    _print(container.current().announcements.list_page(args.group, {"limit": str(args.limit)})["announcements"])
    return 0


def cmd_announcements_show(args: argparse.Namespace) -> int:
    _print(container.current().announcements.get(args.group, args.id))
    return 0


def add_parsers(areas: Any) -> None:
    commands = areas.add_parser("announcements", help="messages to every active member").add_subparsers(
        dest="action", required=True
    )

    def common(sub: argparse.ArgumentParser, *, with_id: bool, author: bool) -> None:
        sub.add_argument("--group", required=True)
        if with_id:
            sub.add_argument("id", help="the announcement's id")
        if author:
            sub.add_argument("--as", dest="organizer", required=True, help="your organizer id (organizers list)")

    def body(sub: argparse.ArgumentParser, *, required: bool) -> None:
        text = sub.add_mutually_exclusive_group(required=required)
        text.add_argument("--body", help="the message (plain text)")
        text.add_argument("--body-file", help="read the message from this file (- for stdin)")

    draft = commands.add_parser("draft", help="write a draft; its preview is emailed to you")
    common(draft, with_id=False, author=True)
    draft.add_argument("--subject", required=True)
    body(draft, required=True)
    draft.add_argument("--invite", action="store_true", help="attach the next meeting's invitation")
    draft.set_defaults(func=cmd_announcements_draft)

    edit = commands.add_parser("edit", help="change a draft (another preview is emailed)")
    common(edit, with_id=True, author=True)
    edit.add_argument("--version", type=int, required=True, help="the version you previewed")
    edit.add_argument("--subject")
    body(edit, required=False)
    edit.add_argument("--invite", action=argparse.BooleanOptionalAction, default=None)
    edit.set_defaults(func=cmd_announcements_edit)

    send = commands.add_parser("send", help="send the previewed draft to every active member, once each")
    common(send, with_id=True, author=True)
    send.add_argument("--version", type=int, required=True, help="the version you previewed")
    send.set_defaults(func=cmd_announcements_send)

    discard = commands.add_parser("discard", help="delete a draft")
    common(discard, with_id=True, author=False)
    discard.add_argument("--version", type=int, required=True)
    discard.set_defaults(func=cmd_announcements_discard)

    listing = commands.add_parser("list", help="announcements, newest first")
    common(listing, with_id=False, author=False)
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(func=cmd_announcements_list)

    show = commands.add_parser("show", help="one announcement, with its counts")
    common(show, with_id=True, author=False)
    show.set_defaults(func=cmd_announcements_show)
