"""Every silent failure raises an alarm, once per incident; spend raises a budget alert.

The metric filter patterns are the contract with the app's structured log lines
(infra/mbc_infra/log_contract.py): pinned here as exact strings, listed in docs/deploy.md,
evaluated offline against the sample lines and against lines the app's own code writes
(filter_pattern.py), and checked against the sample lines by CloudWatch itself in `make status`
(TestMetricFilter).
"""

from __future__ import annotations

import io
import json
import re
import typing
from dataclasses import asdict, fields
from typing import Any

import pytest
from conftest import REPO_DIR, Synth
from filter_pattern import PatternError, compile_pattern
from mbc_infra import log_contract
from template_helpers import only, resources

from chalicelib import metrics
from chalicelib.announcements.service import AnnouncementRun
from chalicelib.distribution.runner import RunReport
from chalicelib.distribution.sending import StopReason

STAGES = ("dev", "prod")
PROD_ALARMS = {
    "distribution-stopped",
    "mail-failed",
    "distribute_links-no-successful-run",
    "distribute_links-errors",
    "api-5xx",
    "failed-events",
    "outbox-stream-behind",
    "ses-bounce-rate",
    "ses-complaint-rate",
    "certificate-expiring",
    "lambda-throttled",
    "table-throttled",
    "ses-delivery-problems",
    "join-links-throttled",
    "join-links-refused",
    "distribution-behind",
}
# dev is for trying things out: the two alarms that say mail is not going out, and its certificate.
DEV_ALARMS = {"distribution-stopped", "mail-failed", "certificate-expiring"}
DAY = 86400
HOUR, FIVE_MINUTES = 3600, 300

# The exact patterns (a change here is a change of the contract with the app and of docs/deploy.md).
PATTERNS = {
    "DistributionRunsSucceeded": (
        '{ ($.event = "distribution_run") && ($.scope = "all") && (($.stopped IS NULL) || ($.stopped = "deadline")) }'
    ),
    "DistributionStopped": '{ ($.event = "distribution_run") && (($.stopped = "error") || ($.stopped = "throttled") || '
    '($.stopped = "account") || ($.stopped = "config")) }',
    "MailFailed:run": '{ ($.event = "distribution_run") && ($.failed > 0) }',
    "DistributionStopped:announcement": '{ ($.event = "announcement_run") && (($.stopped = "error") || '
    '($.stopped = "throttled") || ($.stopped = "account") || ($.stopped = "config")) }',
    "MailFailed:announcement": '{ ($.event = "announcement_run") && ($.failed > 0) }',
    "MailFailed:outbox": '{ $.event = "outbox_failed" }',
    "DistributionRunsAtDeadline": '{ ($.event = "distribution_run") && ($.scope = "all") && ($.stopped = "deadline") }',
}


def alarms(template: dict[str, Any], stage: str) -> dict[str, dict[str, Any]]:
    prefix = f"mbc-connect-{stage}-"
    return {
        a["Properties"]["AlarmName"].removeprefix(prefix): a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }


def alarm_topic_id(template: dict[str, Any]) -> str:
    return next(
        k for k, v in resources(template, "AWS::SNS::Topic").items() if v["Properties"]["TopicName"].endswith("-alarms")
    )


def filters(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [f["Properties"] for f in resources(template, "AWS::Logs::MetricFilter").values()]


# ---------------------------------------------------------------- which alarms, where they go


@pytest.mark.parametrize(("stage", "expected"), [("prod", PROD_ALARMS), ("dev", DEV_ALARMS)])
def test_alarm_set(default_synth: Synth, stage: str, expected: set[str]) -> None:
    assert set(alarms(default_synth.templates[stage], stage)) == expected


@pytest.mark.parametrize("stage", STAGES)
def test_every_alarm_emails_once_per_incident(default_synth: Synth, org_file: dict[str, Any], stage: str) -> None:
    """ALARM when it starts, OK when it is over, nothing in between: one evaluation period over a
    one-hour sliding window, and periods without data keep the state (no OK every quiet period)."""
    template = default_synth.templates[stage]
    topic = {"Ref": alarm_topic_id(template)}
    for name, props in alarms(template, stage).items():
        assert props["AlarmActions"] == [topic], name
        assert props["OKActions"] == [topic], name
        assert props["AlarmDescription"].endswith("See docs/deploy.md, 'What the alarms mean'."), name
        if name == "distribution-behind":
            # "Two runs in a row": two 15-minute periods (one run each), both at the deadline.
            assert (props["EvaluationPeriods"], props["DatapointsToAlarm"], props["Period"]) == (2, 2, 900)
            assert (props["MetricName"], props["Statistic"], props["Threshold"]) == (
                "DistributionRunsAtDeadline",
                "Maximum",
                1,
            )
            assert props["TreatMissingData"] == "ignore"
            continue
        assert props["EvaluationPeriods"] == 1, name
        assert "DatapointsToAlarm" not in props, name
        if name == "distribute_links-no-successful-run":
            # No run at all is exactly the failure: missing data breaches.
            assert props["TreatMissingData"] == "breaching"
        else:
            assert props["TreatMissingData"] == "ignore", name
        # The queue depth is a state (stays up while messages wait) and join-link spikes last minutes; the
        # certificate's days are published daily; everything else counts events per hour.
        period = props.get("Period") or next(m["MetricStat"]["Period"] for m in props["Metrics"] if "MetricStat" in m)
        expected = {"certificate-expiring": DAY}.get(
            name, FIVE_MINUTES if name.startswith(("failed-events", "join-links")) else HOUR
        )
        assert period == expected, name
    _, subscription = only(template, "AWS::SNS::Subscription")
    assert subscription["Properties"] == {
        "Protocol": "email",
        "TopicArn": topic,
        "Endpoint": org_file["alarm_email"],  # from deploy/<org>.json: a second volunteer's deploy keeps it
    }
    assert "Parameters" not in template or "AlarmEmail" not in template["Parameters"]


def test_distribution_alarms(default_synth: Synth) -> None:
    found = alarms(default_synth.templates["prod"], "prod")
    namespace = "mbc-connect/prod"
    stopped = found["distribution-stopped"]
    assert (stopped["Namespace"], stopped["MetricName"], stopped["Statistic"]) == (
        namespace,
        "DistributionStopped",
        "Maximum",
    )
    assert (stopped["ComparisonOperator"], stopped["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    failed = found["mail-failed"]
    assert (failed["Namespace"], failed["MetricName"], failed["Statistic"], failed["Threshold"]) == (
        namespace,
        "MailFailed",
        "Sum",
        1,
    )
    success = found["distribute_links-no-successful-run"]
    assert (success["Namespace"], success["MetricName"], success["Statistic"]) == (
        namespace,
        "DistributionRunsSucceeded",
        "Sum",
    )
    assert (success["ComparisonOperator"], success["Threshold"]) == ("LessThanThreshold", 1)
    errors = found["distribute_links-errors"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": "mbc-connect-prod-distribute_links"}]


def test_failure_queue_and_stream_alarms(default_synth: Synth) -> None:
    found = alarms(default_synth.templates["prod"], "prod")
    queue = found["failed-events"]
    assert (queue["Namespace"], queue["MetricName"], queue["Statistic"], queue["Threshold"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        1,
    )
    assert queue["Dimensions"] == [{"Name": "QueueName", "Value": "mbc-connect-prod-failed-events"}]
    behind = found["outbox-stream-behind"]
    assert (behind["Namespace"], behind["MetricName"], behind["Statistic"]) == ("AWS/Lambda", "IteratorAge", "Maximum")
    assert behind["Dimensions"] == [{"Name": "FunctionName", "Value": "mbc-connect-prod-outbox_sender"}]
    assert behind["Threshold"] == 15 * 60 * 1000


def test_api_5xx_alarm(default_synth: Synth) -> None:
    props = alarms(default_synth.templates["prod"], "prod")["api-5xx"]
    assert props["Namespace"] == "AWS/ApiGateway"
    assert props["Dimensions"] == [
        {"Name": "ApiName", "Value": "mbc-connect-prod"},
        {"Name": "Stage", "Value": "api"},
    ]
    assert props["Threshold"] == 3


def math_metrics(props: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A metric-math alarm's input metrics by id (namespace, name, dimensions, stat, period)."""
    return {m["Id"]: m["MetricStat"] for m in props["Metrics"] if "MetricStat" in m}


def test_certificate_expiry_alarm(default_synth: Synth) -> None:
    """ACM renews while the validation record exists; under 30 days left means renewal is failing."""
    for stage in STAGES:
        props = alarms(default_synth.templates[stage], stage)["certificate-expiring"]
        assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
            "AWS/CertificateManager",
            "DaysToExpiry",
            "Minimum",
        )
        assert (props["ComparisonOperator"], props["Threshold"]) == ("LessThanThreshold", 30)
        [dimension] = props["Dimensions"]
        assert dimension["Name"] == "CertificateArn"
        assert "Fn::ImportValue" in dimension["Value"]  # the certificate stack's certificate


def test_throttle_alarms_cover_every_function_and_the_table(default_synth: Synth) -> None:
    prod = alarms(default_synth.templates["prod"], "prod")
    lambdas = prod["lambda-throttled"]
    # Account-wide (no dimension): the account is the installation's alone (docs/deploy.md, step 1).
    assert (lambdas["Namespace"], lambdas["MetricName"], lambdas["Statistic"]) == ("AWS/Lambda", "Throttles", "Sum")
    assert "Dimensions" not in lambdas
    assert lambdas["Threshold"] == 1
    table = math_metrics(prod["table-throttled"])
    found = {
        (m["Metric"]["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Metric"]["Dimensions"])))
        for m in table.values()
    }
    for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
        assert (metric, (("TableName", "mbc-connect-prod"),)) in found
        assert (metric, (("GlobalSecondaryIndexName", "gsi1"), ("TableName", "mbc-connect-prod"))) in found
    # Missing data is no throttling: FILL(…, 0) on every input.
    [expression] = [m["Expression"] for m in prod["table-throttled"]["Metrics"] if "Expression" in m]
    assert all(f"FILL({i}, 0)" in expression for i in table)


def test_ses_delivery_problems_are_counted_and_alarmed(default_synth: Synth) -> None:
    """DeliveryDelay, Reject and RenderingFailure (bounces and complaints go to the app) are published per
    configuration set to CloudWatch, and any of them in an hour is one alarm."""
    for stage in STAGES:
        template = default_synth.templates[stage]
        destinations = [
            d["Properties"]["EventDestination"]
            for d in resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
        ]
        [cloudwatch] = [d for d in destinations if "CloudWatchDestination" in d]
        assert sorted(cloudwatch["MatchingEventTypes"]) == ["deliveryDelay", "reject", "renderingFailure"]
        [dimension] = cloudwatch["CloudWatchDestination"]["DimensionConfigurations"]
        assert dimension == {
            "DimensionName": "ses:configuration-set",
            "DimensionValueSource": "messageTag",
            "DefaultDimensionValue": f"mbc-connect-{stage}",
        }
    props = alarms(default_synth.templates["prod"], "prod")["ses-delivery-problems"]
    inputs = math_metrics(props)
    assert sorted(m["Metric"]["MetricName"] for m in inputs.values()) == ["DeliveryDelay", "Reject", "RenderingFailure"]
    for m in inputs.values():
        assert m["Metric"]["Namespace"] == "AWS/SES"
        assert m["Metric"]["Dimensions"] == [{"Name": "ses:configuration-set", "Value": "mbc-connect-prod"}]
    assert props["Threshold"] == 1


JOIN_LINE = '{{"requestId":"r","ip":"192.0.2.1","resourcePath":"{path}","status":"{status}","tlsVersion":"TLSv1.3"}}'


def test_join_link_spikes_from_the_access_log(default_synth: Synth) -> None:
    """429s on GET /j/{token} (members refused at a meeting's start) and refused links (guessing), from the
    API access log (no detailed API Gateway metrics to pay for)."""
    from mbc_infra import stage_stack

    template = default_synth.templates["prod"]
    access = [f for f in filters(template) if f["LogGroupName"] == {"Ref": "ApiAccessLogs"}]
    by_metric = {f["MetricTransformations"][0]["MetricName"]: f["FilterPattern"] for f in access}
    assert by_metric == {
        "JoinLinkThrottled": stage_stack.JOIN_LINK_THROTTLED_PATTERN,
        "JoinLinkRefused": stage_stack.JOIN_LINK_REFUSED_PATTERN,
    }
    throttled = compile_pattern(stage_stack.JOIN_LINK_THROTTLED_PATTERN)
    refused = compile_pattern(stage_stack.JOIN_LINK_REFUSED_PATTERN)
    line = JOIN_LINE.format
    assert throttled(line(path="/j/{token}", status="429"))
    assert not throttled(line(path="/j/{token}", status="303"))
    assert not throttled(line(path="/groups/{group_id}", status="429"))
    for status in ("400", "403", "404", "410"):
        assert refused(line(path="/j/{token}", status=status))
    for status in ("204", "303", "429", "500"):
        assert not refused(line(path="/j/{token}", status=status))
    prod = alarms(template, "prod")
    assert (prod["join-links-throttled"]["Threshold"], prod["join-links-refused"]["Threshold"]) == (10, 50)
    assert prod["join-links-throttled"]["MetricName"] == "JoinLinkThrottled"
    assert "join-links-throttled" not in alarms(default_synth.templates["dev"], "dev")


def test_access_log_records_the_negotiated_tls() -> None:
    from mbc_infra import stage_stack

    assert stage_stack.ACCESS_LOG_FORMAT["tlsVersion"] == "$context.tlsVersion"
    assert stage_stack.ACCESS_LOG_FORMAT["cipherSuite"] == "$context.cipherSuite"


def test_ses_reputation_alarms_once_per_account(default_synth: Synth, stages_file: dict[str, Any]) -> None:
    """Reputation.* are account-wide metrics: alarmed by the stage that stages.json says (prod)."""
    values = stages_file["stages"]["prod"]
    prod = alarms(default_synth.templates["prod"], "prod")
    for suffix, metric, threshold in (
        ("ses-bounce-rate", "Reputation.BounceRate", values["bounce_rate_alarm_threshold"]),
        ("ses-complaint-rate", "Reputation.ComplaintRate", values["complaint_rate_alarm_threshold"]),
    ):
        props = prod[suffix]
        assert (props["Namespace"], props["MetricName"], props["Threshold"]) == ("AWS/SES", metric, threshold)
        assert "Dimensions" not in props
    # 2 % bounces: well before AWS's review at 5 %, with time to find the cause.
    assert values["bounce_rate_alarm_threshold"] == 0.02
    assert not stages_file["stages"]["dev"]["ses_account_reputation_alarms"]


# ---------------------------------------------------------------- metric filters (the log contract)


def test_contract_patterns_are_the_pinned_strings() -> None:
    assert log_contract.RUN_SUCCEEDED.pattern == PATTERNS["DistributionRunsSucceeded"]
    assert log_contract.RUN_STOPPED.pattern == PATTERNS["DistributionStopped"]
    assert log_contract.RUN_FAILED.pattern == PATTERNS["MailFailed:run"]
    assert log_contract.ANNOUNCEMENT_STOPPED.pattern == PATTERNS["DistributionStopped:announcement"]
    assert log_contract.ANNOUNCEMENT_FAILED.pattern == PATTERNS["MailFailed:announcement"]
    assert log_contract.OUTBOX_FAILED.pattern == PATTERNS["MailFailed:outbox"]
    assert log_contract.RUN_AT_DEADLINE.pattern == PATTERNS["DistributionRunsAtDeadline"]


def app_lines(write: typing.Callable[[], None]) -> list[str]:
    """What chalicelib.metrics.emit writes (the app's one way to write these lines)."""
    buffer = io.StringIO()
    metrics.use_stream(buffer)
    try:
        write()
    finally:
        metrics.use_stream(None)
    return buffer.getvalue().splitlines()


def distribution_line(**counts: Any) -> str:
    """The line chalicelib/distribution/runner.py writes at the end of every run."""
    report = RunReport(run_id="run_test", **counts)
    [line] = app_lines(lambda: metrics.emit("distribution_run", **report.summary()))
    return line


def announcement_line(**counts: Any) -> str:
    """The line chalicelib/announcements/service.py writes at the end of every sending pass."""
    run = AnnouncementRun(run_id="pass_test", announcement_id="ann_test", **counts)
    [line] = app_lines(lambda: metrics.emit("announcement_run", **asdict(run), group_id="g"))
    return line


def test_every_structured_line_the_app_writes_is_read_by_a_filter() -> None:
    """Every emit("<event>", ...) in chalicelib is one of the events the filters read: a new structured
    line needs a decision here (an alarm, or a documented reason for none)."""
    found = set()
    for path in (REPO_DIR / "chalicelib").rglob("*.py"):
        found |= set(re.findall(r"\bemit\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
    assert found == set(log_contract.EVENTS)
    readers = {event: [s for s in log_contract.ALL_FILTERS if f'$.event = "{event}"' in s.pattern] for event in found}
    assert all(readers.values()), readers


def test_samples_have_the_fields_the_app_writes() -> None:
    """The sample lines (which `make status` sends to CloudWatch) carry exactly the app's fields, in its order."""
    assert list(json.loads(log_contract.run_summary())) == list(json.loads(distribution_line()))
    assert list(json.loads(log_contract.announcement_summary())) == list(json.loads(announcement_line()))
    assert [f.name for f in fields(AnnouncementRun)][-3:] == ["stopped", "finished", "remaining"]


def test_bad_stops_are_the_apps_stop_reasons_but_the_deadline() -> None:
    assert set(log_contract.BAD_STOPS) == set(typing.get_args(StopReason)) - {"deadline"}


def test_sample_lines_are_one_line_of_pure_json() -> None:
    """What the app writes (contract 4): one line, valid JSON, no PII (ids and counts only)."""
    for spec in log_contract.ALL_FILTERS:
        for line in spec.matches:
            assert "\n" not in line
            assert json.loads(line)["event"] in log_contract.EVENTS
            assert "@" not in line


@pytest.mark.parametrize("spec", log_contract.ALL_FILTERS, ids=lambda s: s.construct_id)
def test_each_pattern_matches_exactly_its_samples(spec: log_contract.MetricFilterSpec) -> None:
    """What `make status` asks CloudWatch (TestMetricFilter), answered offline."""
    matches = compile_pattern(spec.pattern)
    assert [line for line in spec.matches if not matches(line)] == []
    assert [line for line in spec.non_matches if matches(line)] == []


def metric_values(line: str, log_group: str) -> dict[str, float]:
    """What one log line contributes to each metric in ``log_group`` (a match's value; else the default)."""
    out: dict[str, float] = {}
    for spec in log_contract.ALL_FILTERS:
        if log_group not in spec.log_groups:
            continue
        if compile_pattern(spec.pattern)(line):
            value = json.loads(line)["failed"] if spec.metric_value == "$.failed" else float(spec.metric_value)
        elif spec.default_value is not None:
            value = spec.default_value
        else:
            continue
        out[spec.metric_name] = max(out.get(spec.metric_name, 0.0), value)
    return out


BAD = sorted(log_contract.BAD_STOPS)


@pytest.mark.parametrize("stopped", [None, "deadline", *BAD])
@pytest.mark.parametrize("failed", [0, 3])
def test_the_apps_own_run_summary_feeds_the_alarms(stopped: str | None, failed: int) -> None:
    """A distribution run's line, written by the app's code: a bad stop raises distribution-stopped,
    failed > 0 raises mail-failed, and only the scheduled run's good lines count as a success. A lost
    SES answer (deferred) alone raises nothing."""
    line = distribution_line(planned=10, sent=5, failed=failed, deferred=1, stopped=stopped)
    scheduled = metric_values(line, "distribute_links")
    assert scheduled["DistributionStopped"] == (1 if stopped in BAD else 0)
    assert scheduled["MailFailed"] == failed
    assert ("DistributionRunsSucceeded" in scheduled) == (stopped in (None, "deadline"))
    # A new member's catch-up run (the outbox sender): alarmed the same way, never a success.
    catch_up = metric_values(line, "outbox_sender")
    assert catch_up["DistributionStopped"] == (1 if stopped in BAD else 0)
    assert catch_up["MailFailed"] == failed
    assert "DistributionRunsSucceeded" not in catch_up
    # The same catch-up made by the scheduled run's outbox sweep is in the schedule's own log: its
    # line says "scope": "member", so it is not taken for the schedule working either.
    swept = distribution_line(planned=1, sent=1, failed=failed, stopped=stopped, scope="member")
    in_schedule_log = metric_values(swept, "distribute_links")
    assert "DistributionRunsSucceeded" not in in_schedule_log
    assert in_schedule_log["DistributionStopped"] == (1 if stopped in BAD else 0)


@pytest.mark.parametrize("stopped", [None, "deadline", *BAD])
@pytest.mark.parametrize("failed", [0, 2])
@pytest.mark.parametrize("log_group", ["outbox_sender", "distribute_links"])
def test_the_apps_own_announcement_line_feeds_the_alarms(stopped: str | None, failed: int, log_group: str) -> None:
    """An announcement pass, from its outbox item (outbox_sender) or the scheduled run (distribute_links)."""
    line = announcement_line(sent=30, failed=failed, deferred=1, stopped=stopped, finished=stopped is None)
    values = metric_values(line, log_group)
    assert values["DistributionStopped"] == (1 if stopped in BAD else 0)
    assert values["MailFailed"] == failed
    assert "DistributionRunsSucceeded" not in values


def test_an_outbox_failure_feeds_mail_failed_wherever_the_outbox_is_sent() -> None:
    [line] = app_lines(lambda: metrics.emit("outbox_failed", kind="welcome", outbox_id="obx_1", reason="rejected"))
    for log_group in ("outbox_sender", "distribute_links", "api_handler"):
        assert metric_values(line, log_group)["MailFailed"] == 1


def test_the_offline_matcher_refuses_what_it_cannot_judge() -> None:
    with pytest.raises(PatternError, match="parentheses"):
        compile_pattern('{ $.a = "x" && $.b = "y" || $.c = "z" }')
    with pytest.raises(PatternError):
        compile_pattern('{ $.a = "x*" }')
    assert compile_pattern("{ $.a IS NULL }")('{"a": null}')
    assert not compile_pattern("{ $.a IS NULL }")("{}")
    assert not compile_pattern("{ $.a > 0 }")('{"a": "3"}')
    assert not compile_pattern('{ $.a = "x" }')("not json")


@pytest.mark.parametrize("stage", STAGES)
def test_metric_filters(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    specs = log_contract.ALL_FILTERS if stage == "prod" else log_contract.MINIMAL_FILTERS
    expected = sorted(
        (
            f"/aws/lambda/mbc-connect-{stage}-{group}",
            spec.pattern,
            spec.metric_name,
            spec.metric_value,
            spec.default_value,
        )
        for spec in specs
        for group in spec.log_groups
    )
    found = []
    log_groups = {k: v["Properties"]["LogGroupName"] for k, v in resources(template, "AWS::Logs::LogGroup").items()}
    for props in filters(template):
        if props["LogGroupName"] == {"Ref": "ApiAccessLogs"}:
            continue  # the join-link filters on the access log (test_join_link_spikes_from_the_access_log)
        [t] = props["MetricTransformations"]
        assert t["MetricNamespace"] == f"mbc-connect/{stage}"
        found.append(
            (
                log_groups[props["LogGroupName"]["Ref"]],
                props["FilterPattern"],
                t["MetricName"],
                t["MetricValue"],
                t.get("DefaultValue"),
            )
        )
    assert sorted(found, key=str) == sorted(expected, key=str)
    # Where they go: the success metric has no default (no run = missing = breaching); the others emit 0
    # for every other log line, so their alarms see "no failure" and return to OK.
    assert log_contract.RUN_SUCCEEDED.default_value is None
    assert all(s.default_value == 0 for s in log_contract.ALL_FILTERS if s is not log_contract.RUN_SUCCEEDED)
    # The success metric counts the scheduled run only; failures are read wherever the lines are written.
    assert log_contract.RUN_SUCCEEDED.log_groups == ("distribute_links",)
    # The old text line is gone from the contract.
    assert "ALARM distribution stopped" not in default_synth.text(stage)


def test_run_failed_counts_the_failed_deliveries() -> None:
    assert log_contract.RUN_FAILED.metric_value == "$.failed"
    assert log_contract.ANNOUNCEMENT_FAILED.metric_value == "$.failed"
    assert log_contract.OUTBOX_FAILED.metric_value == "1"
    # One metric per alarm: a stopped announcement and a stopped run are the same incident (SES).
    assert {log_contract.RUN_STOPPED.metric_name, log_contract.ANNOUNCEMENT_STOPPED.metric_name} == {
        "DistributionStopped"
    }
    assert {s.metric_name for s in (log_contract.RUN_FAILED, log_contract.ANNOUNCEMENT_FAILED)} == {"MailFailed"}
    # Transactional mail can fail wherever the outbox is sent from: the sender, the sweep, the API.
    assert set(log_contract.OUTBOX_FAILED.log_groups) == {"outbox_sender", "distribute_links", "api_handler"}


def test_docs_list_every_pattern() -> None:
    docs = (REPO_DIR / "docs" / "deploy.md").read_text()
    for pattern in PATTERNS.values():
        assert pattern in docs, pattern


# ---------------------------------------------------------------- budget


def test_budget_alert_on_the_alarm_topic(default_synth: Synth, org_file: dict[str, Any]) -> None:
    template = default_synth.templates["prod"]
    topic = {"Ref": alarm_topic_id(template)}
    _, budget = only(template, "AWS::Budgets::Budget")
    data = budget["Properties"]["Budget"]
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": org_file["monthly_budget_usd"], "Unit": "USD"}
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    kinds = sorted((n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notifications)
    assert kinds == [("ACTUAL", 50), ("ACTUAL", 100), ("FORECASTED", 100)]
    for n in notifications:
        assert n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": topic}]
    # Budgets may publish to the topic, for this account only.
    policy_id, policy = only(
        {
            "Resources": {
                k: v
                for k, v in template["Resources"].items()
                if v["Type"] == "AWS::SNS::TopicPolicy" and topic in v["Properties"]["Topics"]
            }
        },
        "AWS::SNS::TopicPolicy",
    )
    [allow] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "AllowBudgets"]
    assert allow["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert policy_id in budget["DependsOn"]


def test_one_budget_per_account(default_synth: Synth) -> None:
    assert resources(default_synth.templates["dev"], "AWS::Budgets::Budget") == {}
