"""Checks before a deploy, in plain language: ``make preflight [STAGE=prod] [ORG=...]``.

1. the organisation's settings file (deploy/<org>.json) holds no placeholders;
2. AWS credentials work (a clear message if there are none or they expired);
3. the region is the organisation's;
4. Lambda's concurrency quota (new accounts start at 10);
5. SES: production access (out of the sandbox), sending enabled, send rate vs MAX_SEND_RATE;
6. the CDK bootstrap stack, the stage's key parameters, an SES identity created outside the stack.

Blocking problems stop with exit status 2; warnings are printed and the deploy may go on.
``make first-deploy`` and ``make deploy`` run the same checks first.
"""

from __future__ import annotations

import argparse
from typing import Any

from devtools.deploy_common import (
    CDK,
    CDK_TOOLKIT_STACK,
    Aws,
    connect,
    explain_aws_error,
    heading,
    load_org,
    parameter_exists,
    say,
    stack_status,
    stage_environment,
    stage_names,
)
from devtools.deploy_settings import OrgSettings

# Below this, a burst of signups plus the schedule and the outbox stream can be throttled.
MIN_CONCURRENCY = 50


def check_settings(org: OrgSettings) -> None:
    heading("Settings")
    say("OK", f"{org.relative_path}: domain {org.domain}, region {org.region}, alarms to {org.alarm_email}")
    for stage in ("prod", "dev"):
        s = org.stage(stage)
        redirect = f", all mail redirected to {s.mail_redirect_to}" if s.mail_redirect_to else ""
        say("OK", f"{stage}: API https://{s.api_domain}, website {', '.join(s.website_origins)}{redirect}")
    if not CDK.exists():
        say("FAIL", "node_modules/.bin/cdk is missing: run `make setup`")
        raise SystemExit(2)


def check_account(aws: Aws, org: OrgSettings, stage: str) -> list[str]:
    """Returns the blocking problems (empty: the deploy may go on)."""
    blocking: list[str] = []
    heading("AWS account")
    say("OK", f"logged in to account {aws.account} as {aws.caller_arn}")
    say("OK", f"region {aws.region} (from {org.relative_path})")

    try:
        limits = aws.client("lambda").get_account_settings()["AccountLimit"]
        total = int(limits["ConcurrentExecutions"])
        if total < MIN_CONCURRENCY:
            say(
                "WARN",
                f"Lambda concurrency quota is {total} (new accounts start at 10). Request 1000 in the Service "
                "Quotas console (AWS Lambda > Concurrent executions); it is free and usually granted within a day. "
                "Until then a burst of visitors, the schedule and the outbox can throttle each other.",
            )
        else:
            say("OK", f"Lambda concurrency quota {total}")
    except Exception as exc:
        say("WARN", f"could not read the Lambda quota: {explain_aws_error(exc)}")

    rate = float(stage_environment(stage).get("MAX_SEND_RATE", "14"))
    try:
        account = aws.client("sesv2").get_account()
        quota = account.get("SendQuota", {})
        if not account.get("ProductionAccessEnabled"):
            say(
                "WARN",
                "SES is in the sandbox here: it mails only verified addresses, 200 a day. Request production "
                "access (SES console > Account dashboard > Request production access; docs/deploy.md, step 7). "
                "The deploy works meanwhile; dev's mail goes to the mailbox simulator anyway.",
            )
        else:
            say("OK", f"SES production access (max {quota.get('Max24HourSend', '?')} a day)")
        if not account.get("SendingEnabled", True):
            say(
                "FAIL",
                "SES sending is paused for the whole account (AWS, or an emergency stop: docs/deploy.md, step 12).",
            )
            blocking.append("SES sending paused")
        max_rate = float(quota.get("MaxSendRate") or 0)
        if max_rate and rate > max_rate:
            say("WARN", f"MAX_SEND_RATE {rate:g} is above the account's SES rate {max_rate:g}/s: lower it")
    except Exception as exc:
        say("WARN", f"could not read the SES account: {explain_aws_error(exc)}")

    heading("Deployment state")
    try:
        if stack_status(aws, CDK_TOOLKIT_STACK):
            say("OK", "CDK bootstrap stack CDKToolkit exists")
        else:
            say("TODO", "CDK is not bootstrapped in this account/region (make first-deploy does it)")
        shared = stack_status(aws, "mbc-connect-shared")
        identity = _ses_identity(aws, org.domain)
        if identity is not None and not shared:
            say(
                "WARN",
                f"an SES identity for {org.domain} already exists but the shared stack does not: the deploy will "
                "fail with 'already exists'. docs/deploy.md, Troubleshooting.",
            )
        names = stage_names(stage)
        ssm = aws.client("ssm")
        for name in names.required_keys:
            if parameter_exists(ssm, name):
                say("OK", f"{name} exists")
            else:
                say("TODO", f"{name} is missing (the deploy creates it)")
        say("OK", f"{stage} stack: {stack_status(aws, names.stack) or 'not deployed yet'}")
    except Exception as exc:
        say("FAIL", explain_aws_error(exc))
        blocking.append("cannot read the account")
    return blocking


def _ses_identity(aws: Aws, domain: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        identity: dict[str, Any] = aws.client("sesv2").get_email_identity(EmailIdentity=domain)
        return identity
    except ClientError as exc:
        if "NotFound" in str(exc):
            return None
        raise


def preflight(org_name: str | None, stage: str, *, domain: str | None = None) -> tuple[OrgSettings, Aws]:
    org = load_org(org_name, domain=domain)
    check_settings(org)
    aws = connect(org)
    blocking = check_account(aws, org, stage)
    if blocking:
        raise SystemExit(f"\nSTOPPED: fix first: {'; '.join(blocking)}")
    return org, aws


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
    parser.add_argument("--stage", default="prod", choices=("dev", "prod"))
    args = parser.parse_args(argv)
    preflight(args.org, args.stage)
    print("\nPreflight done: nothing blocks a deploy.")


if __name__ == "__main__":
    main()
