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
    from chalicelib.models.common import utc_now

    if container.organizers().revoke(args.id, utc_now().isoformat()):
        print(f"Organizer {args.id} revoked; its key no longer works.")
        return 0
    print(f"error: no active organizer {args.id}", file=sys.stderr)
    return 1


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _prepare_local()
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
