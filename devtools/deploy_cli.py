"""The admin CLI (chalicelib/cli.py) against a deployed stage, with your AWS login:

    make stage-cli STAGE=prod ARGS='organizers create --name "Dana" --email dana@example.org --role admin'

``make cli ARGS=...`` runs the same CLI against the local stack (make run). Here the table, the
key parameters and the organisation's values come from .chalice/config.json and deploy/<org>.json
exactly as the stage's functions get them (so dev's mail goes only to its mail_redirect_to sink, the
SES mailbox simulator by default), the region from deploy/<org>.json; your login needs DynamoDB access
to the table and ssm:GetParameter on the stage's keys (administrators have both).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from devtools.deploy_common import load_org, stage_environment
from devtools.deploy_settings import ORG_OWNED_ENV, OrgSettings


def cli_environment(org: OrgSettings, stage: str, base: dict[str, str]) -> dict[str, str]:
    """``base`` (your shell: credentials, profile) plus exactly what the stage's functions are told: the
    stage's variables from .chalice/config.json and the organisation's (dev: mail only to the sink)."""
    # The organisation's variables never come from the shell (a MAIL_REDIRECT_TO missing for dev, or set
    # for prod, must come from the file, as the functions' own do); nor does a local DynamoDB endpoint.
    env = {k: v for k, v in base.items() if k not in ORG_OWNED_ENV and k != "DYNAMODB_ENDPOINT"}
    env.update(stage_environment(stage))
    env.update(org.environment(stage))
    env.update({"AWS_REGION": org.region, "AWS_DEFAULT_REGION": org.region})
    return env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
    parser.add_argument("--stage", required=True, choices=("dev", "prod"))
    parser.add_argument("args", help="the CLI's arguments, as one string (make stage-cli ARGS='...')")
    args = parser.parse_args(argv)
    org = load_org(args.org)
    env = cli_environment(org, args.stage, dict(os.environ))
    command = [sys.executable, "-m", "chalicelib.cli", *shlex.split(args.args)]
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
