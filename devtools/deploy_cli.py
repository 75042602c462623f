"""The admin CLI (chalicelib/cli.py) against a deployed stage, with your AWS login:

    make stage-cli STAGE=prod ARGS='organizers create --name "Dana" --email dana@example.org --role admin'

``make cli ARGS=...`` runs the same CLI against the local stack (make run). Here the table, the
key parameters and the organisation's values come from .chalice/config.json and deploy/<org>.json,
the region from deploy/<org>.json; your login needs DynamoDB access to the table and ssm:GetParameter
on the stage's keys (administrators have both).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from devtools.deploy_common import load_org, stage_environment


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
    parser.add_argument("--stage", required=True, choices=("dev", "prod"))
    parser.add_argument("args", help="the CLI's arguments, as one string (make stage-cli ARGS='...')")
    args = parser.parse_args(argv)
    org = load_org(args.org)
    stage = org.stage(args.stage)
    env = dict(os.environ)
    env.update(stage_environment(args.stage))
    env.update(
        {
            "AWS_REGION": org.region,
            "AWS_DEFAULT_REGION": org.region,
            "MAIL_FROM": org.mail_from,
            "PUBLIC_API_URL": stage.public_api_url,
            "WEBSITE_ORIGINS": ",".join(stage.website_origins),
            "ORGANIZER_NOTIFY_EMAILS": ",".join(org.organizer_notify_emails),
        }
    )
    env.pop("DYNAMODB_ENDPOINT", None)
    command = [sys.executable, "-m", "chalicelib.cli", *shlex.split(args.args)]
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
