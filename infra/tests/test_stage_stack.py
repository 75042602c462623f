"""Pins the security-relevant properties of the dev and prod stacks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match
from conftest import REPO_DIR, Synth
from template_helpers import as_list, flatten, iam_statements, only, resources, role_statements

from chalicelib import table as table_design

STAGES = ("dev", "prod")

# Independent of infra/mbc_infra/functions.py on purpose: changing a permission means changing both.
EXPECTED_TABLE_ACTIONS = {
    "ApiHandlerRole": {
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    },
    "DistributeLinksRole": {
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    },
    "OrganizerKeyRole": {"dynamodb:GetItem"},
    "SesEventsRole": {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
}
USES_INDEX = {"ApiHandlerRole", "DistributeLinksRole"}
SENDS_EMAIL = {"ApiHandlerRole", "DistributeLinksRole"}
READS_SIGNING_KEY = {"ApiHandlerRole", "DistributeLinksRole", "SesEventsRole"}
FUNCTION_LOGS = {
    "APIHandler": ("api_handler", "APIHandlerLogs", "ApiHandlerRole"),
    "OrganizerKey": ("organizer_key", "OrganizerKeyLogs", "OrganizerKeyRole"),
    "DistributeLinks": ("distribute_links", "DistributeLinksLogs", "DistributeLinksRole"),
    "SesEvents": ("ses_events", "SesEventsLogs", "SesEventsRole"),
}


def stage_env(chalice_config: dict[str, Any], stage: str) -> dict[str, str]:
    return {
        **chalice_config.get("environment_variables", {}),
        **chalice_config["stages"][stage]["environment_variables"],
    }


def table_id(template: dict[str, Any]) -> str:
    return only(template, "AWS::DynamoDB::Table")[0]


# ---------------------------------------------------------------- table


@pytest.mark.parametrize("stage", STAGES)
def test_table_is_built_from_table_py(default_synth: Synth, chalice_config: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    _, table = only(template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["TableName"] == stage_env(chalice_config, stage)["TABLE_NAME"]
    assert props["KeySchema"] == table_design.KEY_SCHEMA
    by_name = lambda defs: sorted(defs, key=lambda d: d["AttributeName"])  # noqa: E731
    assert by_name(props["AttributeDefinitions"]) == by_name(table_design.ATTRIBUTE_DEFINITIONS)
    assert props["GlobalSecondaryIndexes"] == table_design.GLOBAL_SECONDARY_INDEXES
    assert props["TimeToLiveSpecification"] == {"AttributeName": table_design.TTL_ATTRIBUTE, "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.parametrize("stage", STAGES)
def test_table_protection(default_synth: Synth, stage: str) -> None:
    default_synth.template(stage).has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "DeletionProtectionEnabled": True,
                    "SSESpecification": {"SSEEnabled": True},
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_restored_table_is_referenced_not_created(restored_synth: Synth, chalice_config: dict[str, Any]) -> None:
    template = restored_synth.templates["prod"]
    assert resources(template, "AWS::DynamoDB::Table") == {}
    name = stage_env(chalice_config, "prod")["TABLE_NAME"]
    table = role_statements(template, "ApiHandlerRole")["Table"]
    arns = [flatten(r) for r in as_list(table["Resource"])]
    assert arns == [
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/" + name,
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/" + name + "/index/gsi1",
    ]


# ---------------------------------------------------------------- SES


@pytest.mark.parametrize("stage", STAGES)
def test_configuration_set(default_synth: Synth, chalice_config: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    _, config_set = only(template, "AWS::SES::ConfigurationSet")
    props = config_set["Properties"]
    assert props["Name"] == stage_env(chalice_config, stage)["SES_CONFIGURATION_SET"] == f"mbc-connect-{stage}"
    assert sorted(props["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]
    assert props["ReputationOptions"] == {"ReputationMetricsEnabled": True}


@pytest.mark.parametrize("stage", STAGES)
def test_ses_events_reach_the_ses_events_function(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    config_set_id, _ = only(template, "AWS::SES::ConfigurationSet")
    _, destination = only(template, "AWS::SES::ConfigurationSetEventDestination")
    event_destination = destination["Properties"]["EventDestination"]
    assert destination["Properties"]["ConfigurationSetName"] == {"Ref": config_set_id}
    assert event_destination["Enabled"] is True
    assert {"bounce", "complaint", "reject", "deliveryDelay"} <= set(event_destination["MatchingEventTypes"])
    topic_ref = event_destination["SnsDestination"]["TopicARN"]
    topic = template["Resources"][topic_ref["Ref"]]
    assert topic["Properties"]["TopicName"] == f"mbc-connect-{stage}-ses-events"
    events = template["Resources"]["SesEvents"]["Properties"]["Events"]
    assert [e["Type"] for e in events.values()] == ["SNS"]
    assert [e["Properties"]["Topic"] for e in events.values()] == [topic_ref]
    # app.py's own topic name must not survive anywhere (it would subscribe to a topic nobody publishes to).
    assert ":mbc-connect-ses-events" not in default_synth.text(stage)


@pytest.mark.parametrize("stage", STAGES)
def test_topics_are_encrypted_and_tls_only(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    key_id, key = only(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    topics = resources(template, "AWS::SNS::Topic")
    assert len(topics) == 2
    for topic_id, topic in topics.items():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        policies = [
            p
            for p in resources(template, "AWS::SNS::TopicPolicy").values()
            if {"Ref": topic_id} in p["Properties"]["Topics"]
        ]
        statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        )


# ---------------------------------------------------------------- IAM


@pytest.mark.parametrize("stage", STAGES)
def test_no_wildcard_actions_or_resources(default_synth: Synth, stage: str) -> None:
    statements = iam_statements(default_synth.templates[stage])
    assert statements
    for statement in statements:
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement
        for resource in as_list(statement["Resource"]):
            assert resource != "*", statement
            if statement["Sid"] != "SigningKeyDecrypt":
                assert "*" not in flatten(resource), statement


@pytest.mark.parametrize("stage", STAGES)
def test_each_role_has_exactly_its_permissions(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    table = {"Fn::GetAtt": [table_id(template), "Arn"]}
    index = {"Fn::Join": ["", [table, "/index/gsi1"]]}
    assert set(resources(template, "AWS::IAM::Role")) == set(EXPECTED_TABLE_ACTIONS)
    for function_id, (_, log_id, role_id) in FUNCTION_LOGS.items():
        assert template["Resources"][function_id]["Properties"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
        statements = role_statements(template, role_id)
        expected_sids = {"Logs", "Table"}
        expected_sids |= {"SigningKey", "SigningKeyDecrypt"} if role_id in READS_SIGNING_KEY else set()
        expected_sids |= {"Mail"} if role_id in SENDS_EMAIL else set()
        assert set(statements) == expected_sids, role_id
        assert statements["Logs"]["Resource"] == {"Fn::GetAtt": [log_id, "Arn"]}
        assert set(as_list(statements["Logs"]["Action"])) == {"logs:CreateLogStream", "logs:PutLogEvents"}
        assert set(as_list(statements["Table"]["Action"])) == EXPECTED_TABLE_ACTIONS[role_id]
        assert as_list(statements["Table"]["Resource"]) == ([table, index] if role_id in USES_INDEX else [table])


@pytest.mark.parametrize("stage", STAGES)
def test_ses_permissions_only_on_identity_and_configuration_set(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    ses_statements = [s for s in iam_statements(template) if any(a.startswith("ses:") for a in as_list(s["Action"]))]
    assert len(ses_statements) == len(SENDS_EMAIL)
    prefix = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
    for statement in ses_statements:
        assert set(as_list(statement["Action"])) == {"ses:SendEmail", "ses:SendRawEmail"}
        assert sorted(flatten(r) for r in as_list(statement["Resource"])) == [
            prefix + f"configuration-set/mbc-connect-{stage}",
            prefix + "identity/example.org",
        ]


@pytest.mark.parametrize("stage", STAGES)
def test_signing_key_is_one_parameter(default_synth: Synth, chalice_config: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    param = stage_env(chalice_config, stage)["SIGNING_KEY_PARAM"]
    param_arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter" + param
    for role_id in READS_SIGNING_KEY:
        statements = role_statements(template, role_id)
        assert as_list(statements["SigningKey"]["Action"]) == ["ssm:GetParameter"]
        assert flatten(statements["SigningKey"]["Resource"]) == param_arn
        decrypt = statements["SigningKeyDecrypt"]
        assert as_list(decrypt["Action"]) == ["kms:Decrypt"]
        assert flatten(decrypt["Resource"]) == "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"
        condition = decrypt["Condition"]["StringEquals"]
        assert flatten(condition["kms:ViaService"]) == "ssm.${AWS::Region}.amazonaws.com"
        assert flatten(condition["kms:EncryptionContext:PARAMETER_ARN"]) == param_arn


@pytest.mark.parametrize("stage", STAGES)
def test_chalice_policy_files_are_not_deployed(default_synth: Synth, stage: str) -> None:
    """.chalice/policy-<stage>.json (wildcard accounts, SES identity/*) is replaced on every role."""
    text = default_synth.text(stage)
    for leftover in ("identity/*", "arn:aws:dynamodb:*", "arn:aws:ssm:*", "log-group:/aws/lambda/mbc-connect-"):
        assert leftover not in text


# ---------------------------------------------------------------- functions, API


@pytest.mark.parametrize("stage", STAGES)
def test_functions_have_names_and_log_groups(default_synth: Synth, stages_file: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    assert set(resources(template, "AWS::Serverless::Function")) == set(FUNCTION_LOGS)
    retention = stages_file["stages"][stage]["log_retention_days"]
    for function_id, (python_name, log_id, _) in FUNCTION_LOGS.items():
        function = template["Resources"][function_id]
        name = f"mbc-connect-{stage}-{python_name}"
        assert function["Properties"]["FunctionName"] == name
        assert function["Properties"]["Runtime"] == "python3.12"
        assert log_id in function["DependsOn"]
        log_group = template["Resources"][log_id]["Properties"]
        assert (log_group["LogGroupName"], log_group["RetentionInDays"]) == (f"/aws/lambda/{name}", retention)


@pytest.mark.parametrize("stage", STAGES)
def test_api_throttling_from_stage_values(default_synth: Synth, stages_file: dict[str, Any], stage: str) -> None:
    values = stages_file["stages"][stage]
    api = default_synth.templates[stage]["Resources"]["RestAPI"]["Properties"]
    assert api["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": values["api_throttle_rate_limit"],
            "ThrottlingBurstLimit": values["api_throttle_burst_limit"],
            "MetricsEnabled": False,
            "DataTraceEnabled": False,
        }
    ]
    assert api["Name"] == f"mbc-connect-{stage}"
    assert api["StageName"] == "api"


@pytest.mark.parametrize("stage", STAGES)
def test_api_access_logging(default_synth: Synth, stages_file: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    setting = template["Resources"]["RestAPI"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    fields = json.loads(setting["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"
    assert (
        template["Resources"]["ApiAccessLogs"]["Properties"]["RetentionInDays"]
        == (stages_file["stages"][stage]["access_log_retention_days"])
    )


@pytest.mark.parametrize("stage", STAGES)
def test_waf_is_off_by_default(default_synth: Synth, stage: str) -> None:
    assert resources(default_synth.templates[stage], "AWS::WAFv2::WebACL") == {}
    assert resources(default_synth.templates[stage], "AWS::WAFv2::WebACLAssociation") == {}


def test_waf_context_flag_adds_a_rate_based_rule(waf_synth: Synth, stages_file: dict[str, Any]) -> None:
    template = waf_synth.templates["dev"]
    acl_id, acl = only(template, "AWS::WAFv2::WebACL")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    [rule] = acl["Properties"]["Rules"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert (
        rule["Statement"]["RateBasedStatement"]["Limit"] == stages_file["stages"]["dev"]["waf_rate_limit_per_5_minutes"]
    )
    _, association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert "/restapis/${RestAPI}/stages/${RestAPI.Stage}" in flatten(association["Properties"]["ResourceArn"])


@pytest.mark.parametrize("stage", STAGES)
def test_outputs_api_url(default_synth: Synth, stage: str) -> None:
    default_synth.template(stage).has_output(
        "ApiUrl",
        {"Value": {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"}},
    )


# ---------------------------------------------------------------- alarms


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }


@pytest.mark.parametrize("stage", STAGES)
def test_every_alarm_notifies_the_alarm_topic(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    topic_id = next(
        k for k, v in resources(template, "AWS::SNS::Topic").items() if "alarms" in v["Properties"]["TopicName"]
    )
    found = alarms(template)
    assert found
    for props in found.values():
        assert props["AlarmActions"] == [{"Ref": topic_id}]
        assert props["AlarmDescription"]
    _, subscription = only(template, "AWS::SNS::Subscription")
    assert subscription["Properties"] == {
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    parameter = template["Parameters"]["AlarmEmail"]
    assert "Default" not in parameter  # no default address, ever


@pytest.mark.parametrize("stage", STAGES)
def test_function_error_alarms(default_synth: Synth, stage: str) -> None:
    found = alarms(default_synth.templates[stage])
    for python_name, _, _ in FUNCTION_LOGS.values():
        props = found[f"mbc-connect-{stage}-{python_name}-errors"]
        assert props["Namespace"] == "AWS/Lambda"
        assert props["MetricName"] == "Errors"
        assert props["Dimensions"] == [{"Name": "FunctionName", "Value": f"mbc-connect-{stage}-{python_name}"}]
        assert props["Threshold"] == 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


@pytest.mark.parametrize("stage", STAGES)
def test_abandoned_distribution_alarm(default_synth: Synth, stage: str) -> None:
    props = alarms(default_synth.templates[stage])[f"mbc-connect-{stage}-distribute_links-no-successful-run"]
    assert props["ComparisonOperator"] == "LessThanThreshold"
    assert props["Threshold"] == 1
    assert props["TreatMissingData"] == "breaching"
    by_id = {m["Id"]: m for m in props["Metrics"]}
    assert by_id["expr_1"]["Expression"] == "FILL(invocations, 0) - FILL(errors, 0)"
    for metric_id, name in (("invocations", "Invocations"), ("errors", "Errors")):
        stat = by_id[metric_id]["MetricStat"]
        assert stat["Metric"]["MetricName"] == name
        assert stat["Metric"]["Dimensions"] == [
            {"Name": "FunctionName", "Value": f"mbc-connect-{stage}-distribute_links"}
        ]
        assert stat["Period"] == 3600


@pytest.mark.parametrize("stage", STAGES)
def test_distribution_stopped_log_alarm(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    _, metric_filter = only(template, "AWS::Logs::MetricFilter")
    props = metric_filter["Properties"]
    assert props["LogGroupName"] == {"Ref": "DistributeLinksLogs"}
    assert props["FilterPattern"] == '"ALARM distribution stopped"'
    [transformation] = props["MetricTransformations"]
    alarm = alarms(template)[f"mbc-connect-{stage}-distribution-stopped"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    # The filter matches the line the app really writes.
    source = (REPO_DIR / "chalicelib" / "distribution.py").read_text()
    assert re.search(r'log\.error\(\s*"ALARM distribution stopped', source)


@pytest.mark.parametrize("stage", STAGES)
def test_api_5xx_alarm(default_synth: Synth, stage: str) -> None:
    props = alarms(default_synth.templates[stage])[f"mbc-connect-{stage}-api-5xx"]
    assert props["Namespace"] == "AWS/ApiGateway"
    assert props["Dimensions"] == [
        {"Name": "ApiName", "Value": f"mbc-connect-{stage}"},
        {"Name": "Stage", "Value": "api"},
    ]


def test_ses_reputation_alarms_once_per_account(default_synth: Synth, stages_file: dict[str, Any]) -> None:
    """Reputation.* are account-wide metrics: alarmed by the stage that stages.json says (prod)."""
    values = stages_file["stages"]["prod"]
    prod = alarms(default_synth.templates["prod"])
    for suffix, metric, threshold in (
        ("ses-bounce-rate", "Reputation.BounceRate", values["bounce_rate_alarm_threshold"]),
        ("ses-complaint-rate", "Reputation.ComplaintRate", values["complaint_rate_alarm_threshold"]),
    ):
        props = prod[f"mbc-connect-prod-{suffix}"]
        assert (props["Namespace"], props["MetricName"], props["Threshold"]) == ("AWS/SES", metric, threshold)
        assert "Dimensions" not in props
    assert not [n for n in alarms(default_synth.templates["dev"]) if "ses-" in n]
    assert not stages_file["stages"]["dev"]["ses_account_reputation_alarms"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_gateway_answers_in_the_api_error_shape(default_synth: Synth, stage: str) -> None:
    """No key, unknown route, throttling: API Gateway answers before the Lambda, in the same shape."""
    responses = default_synth.template(stage).find_resources("AWS::ApiGateway::GatewayResponse")
    by_type = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses.values()}
    assert set(by_type) >= {"UNAUTHORIZED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"}
    unauthorized = by_type["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == "401"
    assert '"code":"unauthorized"' in unauthorized["ResponseTemplates"]["application/json"]
    assert by_type["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert by_type["THROTTLED"]["StatusCode"] == "429"
    for props in by_type.values():
        assert props["RestApiId"] == {"Ref": "RestAPI"}
        assert json.loads(props["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"x"'))
