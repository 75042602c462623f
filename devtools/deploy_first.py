"""The first deploy into a new AWS account, in one command:

    make first-deploy DOMAIN=mbc-idmt.org ALARM_EMAIL=alarms@mbc-idmt.org

1. writes deploy/<DOMAIN>.json from the example if it does not exist (review and commit it);
2. preflight: credentials, region, Lambda concurrency quota, SES production access;
3. bootstraps the CDK in the account and region (once);
4. creates the prod signing key and identity key if missing (SSM SecureStrings);
5. deploys the shared stack and prod, printing the certificate's DNS record while it waits;
6. prints every DNS record to add and what to do next.

Run it again after a failure: every step skips what is already done.
"""

from __future__ import annotations

import argparse
import json
import sys

from devtools import deploy_settings
from devtools.deploy_common import (
    CDK_TOOLKIT_STACK,
    KEY_GUARD_POLICY,
    ROOT,
    Aws,
    dns_records,
    fail,
    heading,
    run_cdk,
    say,
    stack_status,
)
from devtools.deploy_settings import OrgError, OrgSettings

STAGE = "prod"


def ensure_org_file(domain: str | None, alarm_email: str | None, org_name: str | None) -> str:
    """The organisation's name (deploy/<name>.json), writing the file from DOMAIN and ALARM_EMAIL if needed."""
    try:
        path = deploy_settings.org_file(org_name)
    except OrgError as exc:
        if not domain:
            fail(str(exc))
        path = deploy_settings.EXAMPLE_FILE
    if path != deploy_settings.EXAMPLE_FILE:
        return path.stem
    if not domain or not alarm_email:
        fail(
            "first deploy: say which domain and which mailbox gets the alarms, e.g.\n"
            "  make first-deploy DOMAIN=mbc-idmt.org ALARM_EMAIL=alarms@mbc-idmt.org\n"
            "(it writes deploy/<DOMAIN>.json from deploy/example.org.json; review and commit that file)."
        )
    try:
        data = deploy_settings.new_org_data(domain, alarm_email)
    except OrgError as exc:
        fail(str(exc))
    target = deploy_settings.DEPLOY_DIR / f"{data['domain']}.json"
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    org = deploy_settings.load(target.stem)
    heading(f"Wrote {org.relative_path}: review it (docs/deploy.md, 'Your settings file'), then commit it")
    chapter = org.organization.get("ORG_NAME", "(none: add an organization)")
    print(f"  chapter           {chapter}   (organization.name: write the name members know)")
    print(f"  sender            {org.mail_from}")
    print(f"  alarms            {org.alarm_email}")
    print(f"  organizer notices {', '.join(org.organizer_notify_emails)}")
    for stage in ("prod", "dev"):
        s = org.stage(stage)
        print(f"  {stage:<5} API       https://{s.api_domain}   website {', '.join(s.website_origins)}")
    print(f"  region            {org.region}; budget alert at ${org.monthly_budget_usd:g} a month")
    if sys.stdin.isatty():
        answer = input("\nDeploy with these values? Edit the file first if not. [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise SystemExit(f"Stopped. Edit {org.relative_path}, then run the same command again.")
    return org.name


def bootstrap(org: OrgSettings, aws: Aws) -> None:
    heading("CDK bootstrap")
    if stack_status(aws, CDK_TOOLKIT_STACK):
        say("OK", "already bootstrapped")
        return
    code = run_cdk(org, "bootstrap", f"aws://{aws.account}/{aws.region}", clean=False)
    if code != 0:
        fail("cdk bootstrap failed (see above). You need administrator rights in the account.")
    say("OK", "bootstrapped")


def next_steps(org: OrgSettings, aws: Aws) -> None:
    heading("DNS records to add at your DNS provider (TTL 3600 is fine)")
    for what, record in dns_records(aws, org, [STAGE]):
        print(f"  {what}:\n      {record}")
    print(
        f"""
== Next steps
  1. Confirm the alarm subscription: AWS emailed {org.alarm_email} ("AWS Notification - Subscription
     Confirmation"). Click the link, or no alarm reaches you. Test it: make alarm-test STAGE=prod
  2. Add the DNS records above. Then check: make status STAGE=prod (domain, DKIM, certificate, API).
  3. Escrow the keys in the organisation's password manager: make keys-escrow STAGE=prod
  4. Protect the keys: attach the managed policy {KEY_GUARD_POLICY} to your administrators
     (docs/deploy.md, step 5).
  5. If preflight said "sandbox": request SES production access (docs/deploy.md, step 7).
  6. Create the first admin, then sign in to the organizer console (docs/deploy.md, step 9):
       make stage-cli STAGE=prod ARGS='organizers create --name "Your Name" --email you@{org.domain} --role admin'
     open {org.stage(STAGE).public_api_url}/console, enter that address, and use the link it emails you
     (in the SES sandbox, verify that address in SES first: the sign-in email is refused otherwise).
  7. Commit {org.relative_path} (every later deploy reads it): git add {org.relative_path} && git commit
  8. Try changes in dev first: make deploy STAGE=dev  (dev mails only the SES mailbox simulator)
"""
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domain", default="", help="your organisation's domain (first run only)")
    parser.add_argument("--alarm-email", default="", help="the mailbox that gets alarms (first run only)")
    parser.add_argument("--org", default="", help="deploy/<org>.json when there are several")
    args = parser.parse_args(argv)
    print(f"mbc-connect first deploy (repository {ROOT})")
    org_name = ensure_org_file(args.domain.strip() or None, args.alarm_email.strip() or None, args.org or None)

    from devtools.deploy_cdk import deploy
    from devtools.deploy_preflight import preflight

    org, aws = preflight(org_name, STAGE, domain=args.domain.strip() or None)
    bootstrap(org, aws)
    # A new stack: nothing to compare IAM changes with, so no approval prompt (later deploys ask).
    deploy(org_name, STAGE, waf=None, approval="never", checked=(org, aws))
    next_steps(org, aws)


if __name__ == "__main__":
    main()
