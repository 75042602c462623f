"""How a deployed stage is doing, in plain language: ``make status STAGE=prod``.

Domain verification, DKIM and MAIL FROM; SES production access and sending; the alarm
subscription; the API certificate and custom domain; the keys; alarms now firing; the
failed-events queue; the last distribution run and the last successful one (from the run summary
lines in the scheduled function's log); and whether the app's log lines still match the alarm
filters (checked by CloudWatch's own matcher). Read-only, except
``make alarm-test STAGE=prod``, which sets one alarm to ALARM to prove the email arrives.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from datetime import UTC, datetime
from typing import Any

from devtools.deploy_common import (
    APP_NAME,
    INFRA,
    OPERATOR_ROLE,
    Aws,
    DeployError,
    certificate_status,
    connect,
    explain_aws_error,
    fail,
    heading,
    load_org,
    parameter_exists,
    role_session,
    say,
    stack_outputs,
    stack_status,
    stage_environment,
    stage_names,
)
from devtools.deploy_settings import OrgSettings

# Every distribution run ends with one JSON line in the scheduled function's log (docs/deploy.md, step 13):
# status reads the latest ones instead of anything stored by the app.
RUN_LINES = '{ $.event = "distribution_run" }'
# A run every 15 minutes: no successful run for longer than this and something is wrong (the alarm's hour).
STALE_RUN_MINUTES = 60
# How far back to look for run summaries.
LOOK_BACK_HOURS = 3
MAX_PAGES = 50
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
    for stack in (f"{APP_NAME}-shared", *stage_names(stage).stacks):
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
            # The sending budget sends at the account's rate (times SEND_RATE_SHARE), MAX_SEND_RATE only caps it.
            r.line("OK", f"SES rate {quota['MaxSendRate']:g}/s (under MAX_SEND_RATE {rate:g}: the budget follows SES)")
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
        r.line(
            "OK" if depth == 0 else "FAIL",
            f"failed-events queue: {depth} message(s) (docs/deploy.md, step 13: what to do)",
        )
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
                r.line("FAIL", f"{name} is MISSING: restore it from escrow (docs/deploy.md, step 5)")
        found = ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [names.signing_key_previous]}]
        ).get("Parameters", [])
        if found:
            since = found[0]["LastModifiedDate"]
            r.line("OK", f"rotation grace: the previous signing key (since {since:%Y-%m-%d}) is still accepted")
    except Exception as exc:
        r.guard("keys", exc)


def run_summaries(
    logs: Any, log_group: str, *, now: datetime, hours: int = LOOK_BACK_HOURS
) -> list[tuple[datetime, dict[str, Any]]]:
    """The distribution run summaries of the last ``hours``, oldest first (time, fields)."""
    start = int((now.timestamp() - hours * 3600) * 1000)
    found: list[tuple[datetime, dict[str, Any]]] = []
    kwargs: dict[str, Any] = {"logGroupName": log_group, "startTime": start, "filterPattern": RUN_LINES}
    for _ in range(MAX_PAGES):
        page = logs.filter_log_events(**kwargs)
        for event in page.get("events", []):
            try:
                fields = json.loads(event["message"])
            except ValueError:
                continue
            if isinstance(fields, dict):
                found.append((datetime.fromtimestamp(event["timestamp"] / 1000, UTC), fields))
        token = page.get("nextToken")
        if not token:
            break
        kwargs["nextToken"] = token
    return sorted(found, key=lambda pair: pair[0])


def _describe(when: datetime, fields: dict[str, Any], now: datetime) -> str:
    minutes = (now - when).total_seconds() / 60
    counts = ", ".join(f"{k} {fields.get(k, 0)}" for k in ("planned", "sent", "failed", "deferred"))
    return f"{when:%Y-%m-%d %H:%M} UTC ({minutes:.0f} min ago): {counts}, stopped {fields.get('stopped')}"


def check_last_run(aws: Aws, stage: str, r: Report, *, logs: Any = None, now: datetime | None = None) -> None:
    heading("Distribution")
    now = now or datetime.now(UTC)
    group = f"/aws/lambda/{APP_NAME}-{stage}-distribute_links"
    try:
        runs = run_summaries(logs or aws.client("logs"), group, now=now)
    except Exception as exc:
        r.guard("distribution runs (the function's log)", exc)
        return
    if not runs:
        # Right after the first deploy this is expected; later the no-successful-run alarm says so too.
        r.line(
            "TODO",
            f"no distribution run in the last {LOOK_BACK_HOURS} hours. It runs every 15 minutes: just deployed? "
            f"wait. Otherwise Lambda console > {APP_NAME}-{stage}-distribute_links > Monitor",
        )
        return
    when, last = runs[-1]
    stopped, failed = last.get("stopped"), last.get("failed", 0)
    if stopped in BAD_STOPS or failed:
        r.line("FAIL", f"last run {_describe(when, last, now)} (docs/deploy.md, step 13)")
    else:
        r.line("OK", f"last run {_describe(when, last, now)}")
    # A new member's catch-up ("scope": "member") shows the function runs, not that the schedule does.
    good = [(t, f) for t, f in runs if f.get("stopped") in (None, "deadline") and f.get("scope", "all") == "all"]
    if not good:
        r.line("FAIL", f"no successful distribution run in the last {LOOK_BACK_HOURS} hours")
    elif (now - good[-1][0]).total_seconds() > STALE_RUN_MINUTES * 60:
        r.line("FAIL", f"last successful run {_describe(*good[-1], now)}: more than {STALE_RUN_MINUTES} minutes ago")
    elif good[-1][0] != when:
        r.line("OK", f"last successful run {_describe(*good[-1], now)}")


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
    parser.add_argument(
        "--as-operator",
        action="store_true",
        help=f"run as the {OPERATOR_ROLE} role (cannot read the table, the failed-events queue or the keys)",
    )
    args = parser.parse_args(argv)
    org = load_org(args.org)
    aws = connect(org)
    if args.as_operator:
        try:
            aws = role_session(aws, OPERATOR_ROLE, "mbc-connect-status")
        except DeployError as exc:
            fail(str(exc))
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
