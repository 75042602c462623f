"""Checks before a deploy, in plain language: ``make preflight [STAGE=prod] [ORG=...]``.

1. the organisation's settings file (deploy/<org>.json) holds no placeholders;
2. AWS credentials work (a clear message if there are none or they expired);
3. the region is the organisation's;
4. Lambda's concurrency quota (new accounts start at 10);
5. the domain has a DNS zone (Route 53 in this account, or name servers on the public DNS);
6. SES: production access (or what the sandbox allows), sending enabled, send rate vs MAX_SEND_RATE;
7. the CDK bootstrap stack, the stage's key parameters, an SES identity created outside the stack.

Blocking problems stop with exit status 2; warnings are printed and the deploy may go on.
``make first-deploy`` and ``make deploy`` run the same checks first.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
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
    if not check_domain_zone(aws, org.domain):
        blocking.append(f"the domain {org.domain} has no DNS zone")
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
            say("WARN", sandbox_explanation(quota, verified_addresses(aws)))
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
            # The sending budget reads the account's rate itself and never goes above it (chalicelib/mail/budget.py).
            say("OK", f"sending at 97% of the account's SES rate {max_rate:g}/s (MAX_SEND_RATE {rate:g} caps it)")
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
        for stack in names.stacks:
            say("OK", f"{stack}: {stack_status(aws, stack) or 'not deployed yet'}")
    except Exception as exc:
        say("FAIL", explain_aws_error(exc))
        blocking.append("cannot read the account")
    return blocking


def verified_addresses(aws: Aws) -> list[str]:
    """The email-address identities verified in this account and region (the sandbox's allowed recipients)."""
    found: list[str] = []
    ses = aws.client("sesv2")
    kwargs: dict[str, Any] = {"PageSize": 100}
    for _ in range(10):
        page = ses.list_email_identities(**kwargs)
        found += [
            str(i["IdentityName"])
            for i in page.get("EmailIdentities", [])
            if i.get("IdentityType") == "EMAIL_ADDRESS" and i.get("VerificationStatus") == "SUCCESS"
        ]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return found


def sandbox_explanation(quota: dict[str, Any], verified: list[str]) -> str:
    """What SES's sandbox allows, in one paragraph (docs/deploy.md, step 7)."""
    day = quota.get("Max24HourSend", 200)
    rate = quota.get("MaxSendRate", 1)
    who = f"{len(verified)} verified address(es) in this account" if verified else "no verified address yet"
    return (
        f"SES is in the sandbox here: it sends at most {day:g} emails a day, {rate:g} a second, and only to "
        f"addresses verified in this account and to the SES mailbox simulator ({who}). The functions may mail "
        "any verified address, always from your mail_from: verify your own address (SES console > Identities > "
        "Create identity > Email address) to receive the sign-in link and test mail. Everyone else's mail is "
        "refused until AWS grants production access (SES console > Account dashboard > Request production "
        "access; docs/deploy.md, step 7). The deploy works meanwhile; dev mails the simulator anyway."
    )


Resolver = Callable[[str, str], list[str]]


def _dns_lookup(name: str, record: str) -> list[str]:
    import dns.resolver

    try:
        return [str(r) for r in dns.resolver.resolve(name, record, lifetime=5)]
    except Exception:
        return []


def check_domain_zone(aws: Aws, domain: str, *, resolve: Resolver = _dns_lookup) -> bool:
    """The domain must exist: a Route 53 hosted zone in this account, or name servers on the public DNS.
    A typo (or a name nobody owns) would otherwise surface hours later as a certificate that never validates."""
    heading("Your domain")
    try:
        zones = aws.client("route53").list_hosted_zones_by_name(DNSName=domain, MaxItems="1")["HostedZones"]
    except Exception:
        zones = []
    if zones and zones[0].get("Name", "").rstrip(".").lower() == domain:
        private = zones[0].get("Config", {}).get("PrivateZone")
        if not private:
            say("OK", f"{domain}: a Route 53 hosted zone in this account (add the DNS records there)")
            return True
    servers = resolve(domain, "NS") or resolve(domain, "SOA")
    if servers:
        say("OK", f"{domain}: served by {', '.join(sorted(servers)[:2])} (add the DNS records at that provider)")
        return True
    say(
        "FAIL",
        f"{domain} has no DNS zone: no Route 53 hosted zone in this account and no name servers on the internet. "
        f"Check the spelling in the settings file; the domain must be registered and yours.",
    )
    return False


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
