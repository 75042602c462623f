"""How a deployed stage is doing, in plain language: ``make status STAGE=prod``.

Domain verification, DKIM and MAIL FROM; SES production access and sending; the alarm
subscription; the API certificate and custom domain; the keys; alarms now firing; the
failed-events queue; the last distribution run; and whether the app's log lines still match
the alarm filters (checked by CloudWatch's own matcher). Read-only, except
``make alarm-test STAGE=prod``, which sets one alarm to ALARM to prove the email arrives.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import UTC, datetime

from devtools.deploy_common import (
    APP_NAME,
    INFRA,
    Aws,
    certificate_status,
    connect,
    explain_aws_error,
    heading,
    load_org,
    parameter_exists,
    say,
    stack_outputs,
    stack_status,
    stage_environment,
    stage_names,
)
from devtools.deploy_settings import OrgSettings

# The app writes this item after every distribution run (pk, sk).
LAST_RUN_KEY = {"pk": {"S": "DISTRIBUTION"}, "sk": {"S": "LAST_RUN"}}
# A run every 15 minutes: older than this and something is wrong.
STALE_RUN_MINUTES = 60
BAD_STOPS = ("error", "throttled", "account", "config")


class Report:
    def __init__(self) -> None:
        self.problems = 0
        self.todos = 0

    def line(self, status: str, text: str) -> None:
        if status == "FAIL":
            self.problems += 1
        elif status in ("TODO", "WARN"):
            self.todos += 1
        say(status, text)

    def guard(self, what: str, exc: BaseException) -> None:
        self.line("FAIL", f"{what}: {explain_aws_error(exc)}")


def check_stacks(aws: Aws, stage: str, r: Report) -> dict[str, str]:
    heading("Stacks")
    outputs: dict[str, str] = {}
    for stack in (f"{APP_NAME}-shared", f"{APP_NAME}-{stage}"):
        status = stack_status(aws, stack)
        if status is None:
            r.line("FAIL", f"{stack} is not deployed (make first-deploy / make deploy STAGE={stage})")
        elif status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            r.line("OK", f"{stack}: {status}")
        else:
            r.line("FAIL", f"{stack}: {status} (CloudFormation console > the stack > Events)")
    outputs = stack_outputs(aws, f"{APP_NAME}-{stage}") or {}
    return outputs


def check_email(aws: Aws, org: OrgSettings, stage: str, r: Report) -> None:
    heading("Email (SES)")
    ses = aws.client("sesv2")
    try:
        identity = ses.get_email_identity(EmailIdentity=org.domain)
        verified = identity.get("VerifiedForSendingStatus")
        dkim = identity.get("DkimAttributes", {}).get("Status")
        mail_from = identity.get("MailFromAttributes", {}).get("MailFromDomainStatus")
        r.line("OK" if verified else "TODO", f"domain {org.domain} verified for sending: {verified}")
        r.line("OK" if dkim == "SUCCESS" else "TODO", f"DKIM: {dkim} (the three CNAME records)")
        r.line("OK" if mail_from == "SUCCESS" else "TODO", f"MAIL FROM domain: {mail_from} (MX + SPF records)")
    except Exception as exc:
        r.guard(f"SES identity {org.domain}", exc)
    try:
        account = ses.get_account()
        if account.get("ProductionAccessEnabled"):
            r.line("OK", "SES production access")
        else:
            r.line("TODO", "SES is in the sandbox: request production access (docs/deploy.md, step 7)")
        if not account.get("SendingEnabled", True):
            r.line("FAIL", "SES sending is paused for the whole account")
        quota = account.get("SendQuota", {})
        rate = float(stage_environment(stage).get("MAX_SEND_RATE", "14"))
        if quota.get("MaxSendRate") and rate > float(quota["MaxSendRate"]):
            r.line("WARN", f"MAX_SEND_RATE {rate:g} is above the SES rate {quota['MaxSendRate']:g}/s")
        sent = quota.get("SentLast24Hours", 0)
        r.line("OK", f"sent in the last 24 hours: {sent:g} of {quota.get('Max24HourSend')}")
    except Exception as exc:
        r.guard("SES account", exc)
    names = stage_names(stage)
    try:
        config = ses.get_configuration_set(ConfigurationSetName=names.configuration_set)
        enabled = config.get("SendingOptions", {}).get("SendingEnabled", True)
        wanted = org.stage(stage).sending_enabled
        if enabled:
            r.line("OK", f"configuration set {names.configuration_set}: sending enabled")
        else:
            r.line(
                "WARN" if not wanted else "FAIL",
                f"configuration set {names.configuration_set}: SENDING STOPPED"
                + (" (deploy/<org>.json says so)" if not wanted else " (resume: make sending-resume)"),
            )
        tls = config.get("DeliveryOptions", {}).get("TlsPolicy")
        r.line("OK" if tls == "REQUIRE" else "FAIL", f"TLS to receiving servers: {tls}")
    except Exception as exc:
        r.guard("configuration set", exc)
    redirect = org.stage(stage).mail_redirect_to
    if redirect:
        r.line("OK", f"{stage} delivers every message to {redirect} instead of the recipient (MAIL_REDIRECT_TO)")


def check_alarm_subscription(aws: Aws, outputs: dict[str, str], org: OrgSettings, r: Report) -> None:
    heading("Alarms")
    topic = outputs.get("AlarmTopicArn")
    if not topic:
        r.line("FAIL", "no AlarmTopicArn output: is the stage deployed?")
        return
    try:
        subs = aws.client("sns").list_subscriptions_by_topic(TopicArn=topic).get("Subscriptions", [])
        mine = [s for s in subs if s.get("Protocol") == "email" and s.get("Endpoint") == org.alarm_email]
        if not mine:
            r.line("FAIL", f"{org.alarm_email} is not subscribed to the alarm topic (deploy again)")
        elif any(s["SubscriptionArn"] == "PendingConfirmation" for s in mine):
            r.line("TODO", f"confirm the subscription: open the email AWS sent to {org.alarm_email}")
        else:
            r.line("OK", f"alarm emails go to {org.alarm_email} (subscription confirmed)")
    except Exception as exc:
        r.guard("alarm subscription", exc)


def check_alarms_firing(aws: Aws, stage: str, r: Report) -> None:
    names = stage_names(stage)
    try:
        cloudwatch = aws.client("cloudwatch")
        firing = cloudwatch.describe_alarms(AlarmNamePrefix=names.alarm_prefix, StateValue="ALARM")["MetricAlarms"]
        for alarm in firing:
            since = alarm["StateUpdatedTimestamp"]
            r.line("FAIL", f"ALARM now: {alarm['AlarmName']} since {since:%Y-%m-%d %H:%M} UTC")
        if not firing:
            r.line("OK", "no alarm is firing")
    except Exception as exc:
        r.guard("alarms", exc)
    try:
        sqs = aws.client("sqs")
        url = sqs.get_queue_url(QueueName=names.failed_events_queue)["QueueUrl"]
        depth = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
        )
        r.line("OK" if depth == 0 else "FAIL", f"failed-events queue: {depth} message(s) (step 15: what to do)")
    except Exception as exc:
        r.guard("failed-events queue", exc)


def check_api(aws: Aws, org: OrgSettings, stage: str, outputs: dict[str, str], r: Report) -> None:
    heading("API")
    domain = org.stage(stage).api_domain
    try:
        status = certificate_status(aws.client("acm"), domain)
        r.line("OK" if status == "ISSUED" else "TODO", f"certificate for {domain}: {status or 'none'}")
    except Exception as exc:
        r.guard("certificate", exc)
    record = outputs.get("ApiDomainDnsRecord", "")
    target = record.rsplit(" ", 1)[-1] if record else ""
    try:
        import dns.resolver

        answer = dns.resolver.resolve(domain, "CNAME", lifetime=5)
        found = str(answer[0].target).rstrip(".")
        wanted = "" if found == target else f" (want {target})"
        r.line("OK" if found == target else "FAIL", f"DNS {domain} -> {found}{wanted}")
    except Exception as exc:
        r.line("TODO", f"DNS: {domain} has no CNAME to {target or 'the API'} yet ({type(exc).__name__})")


def check_keys(aws: Aws, stage: str, r: Report) -> None:
    heading("Keys")
    names = stage_names(stage)
    ssm = aws.client("ssm")
    try:
        for name in names.required_keys:
            if parameter_exists(ssm, name):
                r.line("OK", f"{name} exists")
            else:
                r.line("FAIL", f"{name} is MISSING: restore it from escrow (docs/deploy.md, step 3)")
        found = ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [names.signing_key_previous]}]
        ).get("Parameters", [])
        if found:
            since = found[0]["LastModifiedDate"]
            r.line("OK", f"rotation grace: the previous signing key (since {since:%Y-%m-%d}) is still accepted")
    except Exception as exc:
        r.guard("keys", exc)


def check_last_run(aws: Aws, stage: str, r: Report) -> None:
    heading("Distribution")
    names = stage_names(stage)
    try:
        item = aws.client("dynamodb").get_item(TableName=names.table, Key=LAST_RUN_KEY).get("Item")
    except Exception as exc:
        r.guard("last distribution run", exc)
        return
    if not item:
        r.line("TODO", "no distribution run recorded yet (the schedule runs every 15 minutes)")
        return
    finished = item.get("finished_at", {}).get("S", "")
    stopped = item.get("stopped", {}).get("S") if "S" in item.get("stopped", {}) else None
    sent = item.get("sent", {}).get("N", "?")
    failed = item.get("failed", {}).get("N", "0")
    try:
        age = (datetime.now(UTC) - datetime.fromisoformat(finished.replace("Z", "+00:00"))).total_seconds() / 60
    except ValueError:
        age = float("inf")
    text = f"last run finished {finished} ({age:.0f} min ago): sent {sent}, failed {failed}, stopped {stopped}"
    if stopped in BAD_STOPS or failed not in ("0", "?"):
        r.line("FAIL", text)
    elif age > STALE_RUN_MINUTES:
        r.line("FAIL", text + f" -- no run for more than {STALE_RUN_MINUTES} minutes")
    else:
        r.line("OK", text)


def check_log_filters(aws: Aws, r: Report) -> None:
    """CloudWatch's own matcher against the sample lines of infra/mbc_infra/log_contract.py."""
    heading("Alarm filters vs the app's log lines")
    if str(INFRA) not in sys.path:
        sys.path.insert(0, str(INFRA))
    log_contract = importlib.import_module("mbc_infra.log_contract")  # stdlib-only module of the CDK app

    logs = aws.client("logs")
    for spec in log_contract.ALL_FILTERS:
        lines = [*spec.matches, *spec.non_matches]
        try:
            result = logs.test_metric_filter(filterPattern=spec.pattern, logEventMessages=lines)
        except Exception as exc:
            r.guard(spec.construct_id, exc)
            continue
        matched = {m["eventMessage"] for m in result["matches"]}
        ok = matched == set(spec.matches)
        r.line(
            "OK" if ok else "FAIL",
            f"{spec.construct_id}: CloudWatch matched {len(matched)} of {len(lines)} sample lines "
            f"(want exactly the {len(spec.matches)} it should)",
        )


def test_alarm(aws: Aws, stage: str) -> None:
    name = f"{stage_names(stage).alarm_prefix}mail-failed"
    aws.client("cloudwatch").set_alarm_state(
        AlarmName=name,
        StateValue="ALARM",
        StateReason="Test from `make alarm-test`: if this email reached you, alarms work. It returns to OK by itself.",
    )
    print(f"Set {name} to ALARM. An email should arrive within a minute or two, and an OK email once the next")
    print("distribution run (every 15 minutes) gives CloudWatch data to re-evaluate. No email? Confirm the")
    print("subscription (make status) and look in the spam folder.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
    parser.add_argument("--stage", default="prod", choices=("dev", "prod"))
    parser.add_argument("--test-alarm", action="store_true", help="set the mail-failed alarm to ALARM once")
    args = parser.parse_args(argv)
    org = load_org(args.org)
    aws = connect(org)
    if args.test_alarm:
        test_alarm(aws, args.stage)
        return
    print(f"mbc-connect {args.stage} in account {aws.account}, {aws.region} ({org.relative_path})")
    r = Report()
    outputs = check_stacks(aws, args.stage, r)
    check_email(aws, org, args.stage, r)
    check_alarm_subscription(aws, outputs, org, r)
    check_alarms_firing(aws, args.stage, r)
    check_api(aws, org, args.stage, outputs, r)
    check_keys(aws, args.stage, r)
    check_last_run(aws, args.stage, r)
    check_log_filters(aws, r)
    print(f"\n{r.problems} problem(s), {r.todos} thing(s) to do or watch.")
    raise SystemExit(1 if r.problems else 0)


if __name__ == "__main__":
    main()
