"""Pins the security-relevant properties of the dev and prod stacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match
from conftest import RESTORED_STREAM_LABEL, Synth
from mbc_infra import route_load
from template_helpers import as_list, flatten, iam_statements, only, resources, role_statements

from chalicelib import table as table_design

STAGES = ("dev", "prod")
PARTITION_REGION_ACCOUNT = "arn:${AWS::Partition}:{service}:${AWS::Region}:${AWS::AccountId}:"

# Independent of infra/mbc_infra/functions.py on purpose: changing a permission means changing both.
READ_WRITE = {
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
}
EXPECTED_TABLE_ACTIONS = {
    "ApiHandlerRole": READ_WRITE,
    "DistributeLinksRole": READ_WRITE,
    "OrganizerKeyRole": {"dynamodb:GetItem"},
    "SesEventsRole": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
    "OutboxSenderRole": READ_WRITE,
}
USES_INDEX = {"ApiHandlerRole", "DistributeLinksRole", "SesEventsRole", "OutboxSenderRole"}
SENDS_EMAIL = {"ApiHandlerRole", "DistributeLinksRole", "OutboxSenderRole"}
READS_KEYS = {"ApiHandlerRole", "DistributeLinksRole", "SesEventsRole", "OutboxSenderRole"}
READS_STREAM = {"OutboxSenderRole"}
FAILURE_QUEUE = {"SesEventsRole", "OutboxSenderRole"}
FUNCTION_LOGS = {
    "APIHandler": ("api_handler", "APIHandlerLogs", "ApiHandlerRole"),
    "OrganizerKey": ("organizer_key", "OrganizerKeyLogs", "OrganizerKeyRole"),
    "DistributeLinks": ("distribute_links", "DistributeLinksLogs", "DistributeLinksRole"),
    "SesEvents": ("ses_events", "SesEventsLogs", "SesEventsRole"),
    "OutboxSender": ("outbox_sender", "OutboxSenderLogs", "OutboxSenderRole"),
}
KEY_PARAMS = ("signing-key", "signing-key-previous", "identity-key")
SIMULATOR = "success@simulator.amazonses.com"


def stage_env(chalice_config: dict[str, Any], stage: str) -> dict[str, str]:
    return {
        **chalice_config.get("environment_variables", {}),
        **chalice_config["stages"][stage]["environment_variables"],
    }


def table_id(template: dict[str, Any]) -> str:
    return only(template, "AWS::DynamoDB::Table")[0]


def table_arn(chalice_config: dict[str, Any], stage: str) -> dict[str, Any]:
    """The app stack names the table by its fixed name (it lives in the data stack)."""
    name = stage_env(chalice_config, stage)["TABLE_NAME"]
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":dynamodb:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":table/{name}",
            ],
        ]
    }


def arn(service: str, rest: str) -> str:
    return PARTITION_REGION_ACCOUNT.replace("{service}", service) + rest


# ---------------------------------------------------------------- table


@pytest.mark.parametrize("stage", STAGES)
def test_table_is_built_from_table_py(
    default_synth: Synth, chalice_config: dict[str, Any], stages_file: dict[str, Any], stage: str
) -> None:
    template = default_synth.templates[f"{stage}-data"]
    _, table = only(template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["TableName"] == stage_env(chalice_config, stage)["TABLE_NAME"]
    assert props["KeySchema"] == table_design.KEY_SCHEMA
    by_name = lambda defs: sorted(defs, key=lambda d: d["AttributeName"])  # noqa: E731
    assert by_name(props["AttributeDefinitions"]) == by_name(table_design.ATTRIBUTE_DEFINITIONS)
    caps = {
        "MaxReadRequestUnits": stages_file["stages"][stage]["table_max_read_request_units"],
        "MaxWriteRequestUnits": stages_file["stages"][stage]["table_max_write_request_units"],
    }
    index_caps = {**caps, "MaxWriteRequestUnits": stages_file["stages"][stage]["index_max_write_request_units"]}
    assert [{k: v for k, v in g.items() if k != "OnDemandThroughput"} for g in props["GlobalSecondaryIndexes"]] == (
        table_design.GLOBAL_SECONDARY_INDEXES
    )
    assert props["TimeToLiveSpecification"] == {"AttributeName": table_design.TTL_ATTRIBUTE, "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # On-demand with a ceiling, on the table and on every index.
    assert props["OnDemandThroughput"] == caps
    assert all(g["OnDemandThroughput"] == index_caps for g in props["GlobalSecondaryIndexes"])
    # The stream the outbox sender reads, with the view type chalicelib/table.py names.
    assert table_design.STREAM_SPECIFICATION["StreamEnabled"] is True
    assert props["StreamSpecification"] == {"StreamViewType": table_design.STREAM_SPECIFICATION["StreamViewType"]}


def test_table_throughput_caps_carry_the_send_rate_and_stay_bounded(
    stages_file: dict[str, Any], chalice_config: dict[str, Any]
) -> None:
    """Sending at MAX_SEND_RATE (about 5 table and 3 index write units per email) uses at most three
    quarters of each ceiling, in dev too; the ceilings still bound a runaway loop."""
    for stage in STAGES:
        values = stages_file["stages"][stage]
        rate = float(stage_env(chalice_config, stage)["MAX_SEND_RATE"])
        assert rate * 5 <= 0.75 * values["table_max_write_request_units"] <= 0.75 * 200, stage
        assert rate * 3 <= 0.75 * values["index_max_write_request_units"] <= 0.75 * 200, stage
        assert 0 < values["table_max_read_request_units"] <= 200


def test_synth_refuses_ceilings_below_the_send_rate(tmp_path: Any) -> None:
    from conftest import synthesize
    from mbc_infra.settings import ConfigError

    with pytest.raises(ConfigError, match=r"ceilings must be at least 94 .*now 25"):
        synthesize(tmp_path, context={"stage": "dev"}, overrides={"dev": {"table_max_write_units": 25}})


@pytest.mark.parametrize("stage", STAGES)
def test_table_protection(default_synth: Synth, stage: str) -> None:
    """RetainExceptOnCreate: a failed first create cleans up (the retry does not meet "already exists"),
    every later delete or replacement keeps the data. The data stack is protected from deletion."""
    default_synth.template(f"{stage}-data").has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "DeletionProtectionEnabled": True,
                    "SSESpecification": {"SSEEnabled": True},
                }
            ),
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
        },
    )
    assert default_synth.stacks[f"{stage}-data"].termination_protection is True


@pytest.mark.parametrize("stage", STAGES)
def test_the_data_stack_holds_only_the_table_and_the_app_stack_no_data(default_synth: Synth, stage: str) -> None:
    """Alone in its stack, the table cannot be rolled back by anything failing after it; the app stack
    (functions, API, alarms) holds nothing stateful, so it can be deleted and re-created at will; the
    certificate's DNS wait happens in its own stack, after the table exists."""
    data = default_synth.templates[f"{stage}-data"]
    assert {r["Type"] for r in data["Resources"].values()} == {"AWS::DynamoDB::Table"}
    app = default_synth.templates[stage]
    stateful = {
        "AWS::DynamoDB::Table",
        "AWS::CertificateManager::Certificate",
        "AWS::SES::EmailIdentity",
        "AWS::KMS::Key",
    }
    assert not [k for k, r in app["Resources"].items() if r["Type"] in stateful]
    assert not [k for k, r in app["Resources"].items() if r.get("DeletionPolicy", "Delete") != "Delete"]
    cert = default_synth.templates[f"{stage}-cert"]
    assert {r["Type"] for r in cert["Resources"].values()} == {"AWS::CertificateManager::Certificate"}
    deps = {name: {d.node.id for d in stack.dependencies} for name, stack in default_synth.stacks.items()}
    assert deps[f"{stage}-data"] == {"shared"}
    assert deps[f"{stage}-cert"] == {f"{stage}-data"}
    assert deps[stage] == {"shared", f"{stage}-data", f"{stage}-cert"}


def test_restored_table_is_referenced_not_created(restored_synth: Synth, chalice_config: dict[str, Any]) -> None:
    template = restored_synth.templates["prod"]
    assert resources(template, "AWS::DynamoDB::Table") == {}
    assert "prod-data" not in restored_synth.templates  # the old table stays in its (kept) data stack
    name = stage_env(chalice_config, "prod")["TABLE_NAME"]
    table = role_statements(template, "ApiHandlerRole")["Table"]
    arns = [flatten(r) for r in as_list(table["Resource"])]
    assert arns == [arn("dynamodb", f"table/{name}"), arn("dynamodb", f"table/{name}/index/gsi1")]
    stream = template["Resources"]["OutboxSender"]["Properties"]["Events"]["OutboxSenderDynamodbEventSource"]
    assert flatten(stream["Properties"]["Stream"]) == arn("dynamodb", f"table/{name}/stream/{RESTORED_STREAM_LABEL}")


# ---------------------------------------------------------------- SES


@pytest.mark.parametrize("stage", STAGES)
def test_configuration_set(
    default_synth: Synth, chalice_config: dict[str, Any], org_file: dict[str, Any], stage: str
) -> None:
    template = default_synth.templates[stage]
    _, config_set = only(template, "AWS::SES::ConfigurationSet")
    props = config_set["Properties"]
    assert props["Name"] == stage_env(chalice_config, stage)["SES_CONFIGURATION_SET"] == f"mbc-connect-{stage}"
    assert sorted(props["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]
    assert props["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    # Reminders carry the meeting link and passcode: TLS to the receiving server or no delivery.
    assert props["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    # The emergency stop survives deploys: the configuration set follows deploy/<org>.json.
    assert props["SendingOptions"] == {"SendingEnabled": org_file["stages"][stage]["sending_enabled"]}


def test_sending_stop_is_kept_by_a_deploy(restored_synth: Synth) -> None:
    """sending_enabled=false in deploy/<org>.json (make sending-stop writes it) keeps the configuration set
    stopped through a deploy (the restored variant is synthesized with it)."""
    _, config_set = only(restored_synth.templates["prod"], "AWS::SES::ConfigurationSet")
    assert config_set["Properties"]["SendingOptions"] == {"SendingEnabled": False}


@pytest.mark.parametrize("stage", STAGES)
def test_ses_events_reach_the_ses_events_function(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    config_set_id, _ = only(template, "AWS::SES::ConfigurationSet")
    [destination] = [
        d
        for d in resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
        if "SnsDestination" in d["Properties"]["EventDestination"]
    ]
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
def test_topics_use_the_one_shared_key_and_tls(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    # No customer-managed key per stage: both stages' topics use the shared stack's key.
    assert resources(template, "AWS::KMS::Key") == {}
    topics = resources(template, "AWS::SNS::Topic")
    assert len(topics) == 2
    for topic_id, topic in topics.items():
        key = topic["Properties"]["KmsMasterKeyId"]
        assert "Fn::ImportValue" in key
        assert "TopicKey" in key["Fn::ImportValue"]
        assert key["Fn::ImportValue"].startswith("mbc-connect-shared:")
        policies = [
            p
            for p in resources(template, "AWS::SNS::TopicPolicy").values()
            if {"Ref": topic_id} in p["Properties"]["Topics"]
        ]
        statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        )
        # Services may publish only for this account (confused deputy).
        for statement in statements:
            if statement["Effect"] == "Allow":
                conditions = {k.lower(): v for c in statement["Condition"].values() for k, v in c.items()}
                assert conditions["aws:sourceaccount"] == {"Ref": "AWS::AccountId"}, statement


# ---------------------------------------------------------------- IAM


@pytest.mark.parametrize("stage", STAGES)
def test_no_wildcard_actions_or_resources(default_synth: Synth, stage: str) -> None:
    statements = iam_statements(default_synth.templates[stage])
    assert statements
    for statement in statements:
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement
        for resource in as_list(statement["Resource"]):
            if statement["Sid"] == "SesAccountRate":
                # The sending budget's rate: GetAccount is an account-level read that takes no resource.
                assert as_list(statement["Action"]) == ["ses:GetAccount"]
                assert resource == "*"
                continue
            assert resource != "*", statement
            if statement["Sid"] == "Stream":
                # AWS's documented form for Lambda's stream poller: this table's stream(s) only.
                assert flatten(resource).endswith("/stream/*")
            elif statement["Sid"] == "MailSandboxRecipients":
                # The SES sandbox authorizes recipients' identities too: the account's, from the pinned sender.
                assert flatten(resource) == arn("ses", "identity/*")
                assert "ses:FromAddress" in statement["Condition"]["StringEquals"]
            elif statement["Sid"] != "KeysDecrypt":
                assert "*" not in flatten(resource), statement


@pytest.mark.parametrize("stage", STAGES)
def test_each_role_has_exactly_its_permissions(
    default_synth: Synth, chalice_config: dict[str, Any], stage: str
) -> None:
    template = default_synth.templates[stage]
    table = table_arn(chalice_config, stage)
    index = {"Fn::Join": ["", [table, "/index/gsi1"]]}
    queue_id, _ = only(template, "AWS::SQS::Queue")
    assert set(resources(template, "AWS::IAM::Role")) == set(EXPECTED_TABLE_ACTIONS)
    for function_id, (_, log_id, role_id) in FUNCTION_LOGS.items():
        assert template["Resources"][function_id]["Properties"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
        statements = role_statements(template, role_id)
        expected_sids = {"Logs", "Table"}
        expected_sids |= {"Keys", "KeysDecrypt"} if role_id in READS_KEYS else set()
        expected_sids |= {"Mail", "MailSandboxRecipients", "SesAccountRate"} if role_id in SENDS_EMAIL else set()
        expected_sids |= {"Stream"} if role_id in READS_STREAM else set()
        expected_sids |= {"FailedEvents"} if role_id in FAILURE_QUEUE else set()
        assert set(statements) == expected_sids, role_id
        assert statements["Logs"]["Resource"] == {"Fn::GetAtt": [log_id, "Arn"]}
        assert set(as_list(statements["Logs"]["Action"])) == {"logs:CreateLogStream", "logs:PutLogEvents"}
        assert set(as_list(statements["Table"]["Action"])) == EXPECTED_TABLE_ACTIONS[role_id]
        assert [flatten(r) for r in as_list(statements["Table"]["Resource"])] == [
            flatten(r) for r in ([table, index] if role_id in USES_INDEX else [table])
        ]
        if role_id in FAILURE_QUEUE:
            assert as_list(statements["FailedEvents"]["Action"]) == ["sqs:SendMessage"]
            assert statements["FailedEvents"]["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        if role_id in READS_STREAM:
            assert set(as_list(statements["Stream"]["Action"])) == {
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            }
            assert flatten(statements["Stream"]["Resource"]) == flatten(table) + "/stream/*"


@pytest.mark.parametrize("stage", STAGES)
def test_authorizer_reads_only_organizer_key_items(default_synth: Synth, stage: str) -> None:
    statement = role_statements(default_synth.templates[stage], "OrganizerKeyRole")["Table"]
    assert as_list(statement["Action"]) == ["dynamodb:GetItem"]
    assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["ORGKEY#*"]}}


@pytest.mark.parametrize("stage", STAGES)
def test_ses_send_only_as_the_configured_sender(default_synth: Synth, org_file: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    ses_statements = [
        s
        for s in iam_statements(template)
        if any(a.startswith("ses:") for a in as_list(s["Action"])) and s["Sid"] != "SesAccountRate"
    ]
    assert len(ses_statements) == 2 * len(SENDS_EMAIL)
    # a bare address, or "Name <address>"
    sender = org_file["mail_from"].split("<")[-1].rstrip(">").strip()
    for statement in ses_statements:
        assert set(as_list(statement["Action"])) == {"ses:SendEmail", "ses:SendRawEmail"}
        assert sorted(flatten(r) for r in as_list(statement["Resource"])) == (
            [arn("ses", f"configuration-set/mbc-connect-{stage}"), arn("ses", "identity/example.org")]
            if statement["Sid"] == "Mail"
            # the sandbox's recipients: any identity of the account, the sender still pinned below
            else [arn("ses", "identity/*")]
        )
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": sender}}


@pytest.mark.parametrize("stage", STAGES)
def test_senders_may_read_the_account_send_rate_and_nothing_else_on_any_resource(
    default_synth: Synth, stage: str
) -> None:
    """The sending budget reads SES GetAccount (MaxSendRate) once per container: every function that
    sends may, no other; and it is the only action any role has on "*"."""
    template = default_synth.templates[stage]
    on_everything = [s for s in iam_statements(template) if "*" in as_list(s["Resource"])]
    assert len(on_everything) == len(SENDS_EMAIL)
    for statement in on_everything:
        assert statement["Sid"] == "SesAccountRate"
        assert as_list(statement["Action"]) == ["ses:GetAccount"]
        assert "Condition" not in statement


@pytest.mark.parametrize("stage", STAGES)
def test_key_parameters(default_synth: Synth, chalice_config: dict[str, Any], stage: str) -> None:
    """Signing key, previous signing key (rotation grace) and identity key: read-only, these three only."""
    template = default_synth.templates[stage]
    env = stage_env(chalice_config, stage)
    params = [env["SIGNING_KEY_PARAM"], env["SIGNING_KEY_PREVIOUS_PARAM"], env["IDENTITY_KEY_PARAM"]]
    assert params == [f"/mbc-connect/{stage}/{name}" for name in KEY_PARAMS]
    param_arns = sorted(arn("ssm", "parameter" + p) for p in params)
    for role_id in READS_KEYS:
        statements = role_statements(template, role_id)
        assert as_list(statements["Keys"]["Action"]) == ["ssm:GetParameter"]
        assert sorted(flatten(r) for r in as_list(statements["Keys"]["Resource"])) == param_arns
        decrypt = statements["KeysDecrypt"]
        assert as_list(decrypt["Action"]) == ["kms:Decrypt"]
        assert flatten(decrypt["Resource"]) == arn("kms", "key/*")
        condition = decrypt["Condition"]["StringEquals"]
        assert flatten(condition["kms:ViaService"]) == "ssm.${AWS::Region}.amazonaws.com"
        assert sorted(flatten(a) for a in condition["kms:EncryptionContext:PARAMETER_ARN"]) == param_arns
    for action in ("ssm:PutParameter", "ssm:DeleteParameter"):
        assert action not in json.dumps(template)


@pytest.mark.parametrize("stage", STAGES)
def test_chalice_policy_files_are_not_deployed(default_synth: Synth, stage: str) -> None:
    """Chalice's packaging placeholder (deny everything) is replaced on every role."""
    text = default_synth.text(stage)
    for leftover in ("ReplacedByInfraOnEveryRole", "arn:aws:dynamodb:*", "arn:aws:ssm:*"):
        assert leftover not in text


def test_cdk_is_the_only_deploy_path(chalice_config: dict[str, Any]) -> None:
    """No .chalice/policy-dev.json or policy-prod.json and no iam_policy_file for a deployable stage: a plain
    `chalice deploy --stage prod` stops on the missing policy file (before any AWS call) instead of creating
    a second, unmanaged API next to the CDK's."""
    from conftest import REPO_DIR

    assert chalice_config["autogen_policy"] is False
    for stage in (*STAGES, "local"):
        assert "iam_policy_file" not in chalice_config["stages"][stage], stage
        assert not (REPO_DIR / ".chalice" / f"policy-{stage}.json").exists(), stage
    placeholder = json.loads((REPO_DIR / "infra" / "chalice-package-policy.json").read_text())
    assert placeholder["Statement"] == [
        {"Sid": "ReplacedByInfraOnEveryRole", "Effect": "Deny", "Action": "*", "Resource": "*"}
    ]


# ---------------------------------------------------------------- functions, failures, stream


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
    sender = template["Resources"]["OutboxSender"]["Properties"]
    assert (sender["Timeout"], sender["MemorySize"], sender["Handler"]) == (120, 512, "app.outbox_sender")


@pytest.mark.parametrize("stage", STAGES)
def test_functions_get_the_organisations_settings(
    default_synth: Synth, chalice_config: dict[str, Any], org_file: dict[str, Any], stage: str
) -> None:
    template = default_synth.templates[stage]
    org_stage = org_file["stages"][stage]
    expected = {
        **stage_env(chalice_config, stage),
        "MAIL_FROM": org_file["mail_from"],
        "ORGANIZER_NOTIFY_EMAILS": ",".join(org_file["organizer_notify_emails"]),
        "PUBLIC_API_URL": f"https://{org_stage['api_domain']}",
        "WEBSITE_ORIGINS": ",".join(org_stage["website_origins"]),
        "SIGNING_KEY_VERSION": str(org_stage["signing_key_version"]),
        # The chapter's name and contact (deploy_settings.ORGANIZATION_FIELDS), the empty ones left out.
        **{f"ORG_{k.upper()}": v for k, v in org_file.get("organization", {}).items() if not k.startswith("_") and v},
    }
    if stage == "dev":
        # dev never mails real people by default: every message goes to the SES mailbox simulator.
        expected["MAIL_REDIRECT_TO"] = SIMULATOR
    for function_id in FUNCTION_LOGS:
        assert template["Resources"][function_id]["Properties"]["Environment"]["Variables"] == expected, function_id
    assert expected["PUBLIC_API_URL"] == (
        "https://api.example.org" if stage == "prod" else "https://api-dev.example.org"
    )


@pytest.mark.parametrize("stage", STAGES)
def test_failed_events_queue(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    _, queue = only(template, "AWS::SQS::Queue")
    assert queue["Properties"]["QueueName"] == f"mbc-connect-{stage}-failed-events"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    _, policy = only(template, "AWS::SQS::QueuePolicy")
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("stage", STAGES)
def test_async_invocations_fail_into_the_queue_or_not_at_all(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    queue_id, _ = only(template, "AWS::SQS::Queue")
    configs = {
        c["Properties"]["FunctionName"]["Ref"]: c["Properties"]
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
    }
    assert set(configs) == {"SesEvents", "DistributeLinks"}
    # Bounces: Lambda's two retries, then the queue (never dropped).
    assert configs["SesEvents"] == {
        "FunctionName": {"Ref": "SesEvents"},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}},
    }
    # The schedule: no retries; the ledger makes the next run the retry. A late delivery (EventBridge is at
    # least once; Lambda may queue) is dropped after 10 minutes instead of overlapping the next 15-minute run.
    assert configs["DistributeLinks"] == {
        "FunctionName": {"Ref": "DistributeLinks"},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 600,
    }


@pytest.mark.parametrize("stage", STAGES)
def test_outbox_sender_reads_the_stage_table_stream(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    queue_id, _ = only(template, "AWS::SQS::Queue")
    events = template["Resources"]["OutboxSender"]["Properties"]["Events"]
    assert list(events) == ["OutboxSenderDynamodbEventSource"]
    source = events["OutboxSenderDynamodbEventSource"]
    assert source["Type"] == "DynamoDB"
    props = source["Properties"]
    # The data stack's table stream, exported there and imported here.
    data = default_synth.templates[f"{stage}-data"]
    [export] = [
        o["Export"]["Name"]
        for o in data["Outputs"].values()
        if "Export" in o and o["Value"] == {"Fn::GetAtt": [table_id(data), "StreamArn"]}
    ]
    assert props["Stream"] == {"Fn::ImportValue": export}
    assert (props["BatchSize"], props["StartingPosition"]) == (25, "TRIM_HORIZON")
    assert props["MaximumRetryAttempts"] == 5
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRecordAgeInSeconds"] == 3600
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # An outbox item's own later writes (claim, retry, park, sent) never invoke the sender (issue 19:
    # a MODIFY filter turned one undeliverable email into thousands of SES calls).
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert patterns == [
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}},
        {
            "eventName": ["INSERT", "MODIFY"],
            "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "INTAKE#"}, {"prefix": "SIGNINREQ#"}]}}},
        },
    ]


def test_the_app_placeholder_stream_is_never_deployed(
    default_synth: Synth, waf_synth: Synth, restored_synth: Synth
) -> None:
    for synth in (default_synth, waf_synth, restored_synth):
        for name in synth.templates:
            text = synth.text(name)
            assert "mbc-connect-placeholder" not in text, name
            assert "000000000000" not in text, name


# ---------------------------------------------------------------- API and its domain


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
        },
        {
            "ResourcePath": "/~1j~1{token}",
            "HttpMethod": "GET",
            "ThrottlingRateLimit": values["join_link_throttle_rate_limit"],
            "ThrottlingBurstLimit": values["join_link_throttle_burst_limit"],
            "MetricsEnabled": False,
            "DataTraceEnabled": False,
        },
    ]
    assert api["Name"] == f"mbc-connect-{stage}"
    assert api["StageName"] == "api"


def test_throttles_are_what_a_chapter_needs(stages_file: dict[str, Any]) -> None:
    """A few thousand requests a day is well under 1/s; the cap bounds what abuse can cost
    (docs/deploy.md, 'Costs'). Raise it deliberately, with the cost table, not by accident."""
    prod, dev = stages_file["stages"]["prod"], stages_file["stages"]["dev"]
    assert prod["api_throttle_rate_limit"] <= 5
    assert prod["api_throttle_burst_limit"] <= 10
    assert dev["api_throttle_rate_limit"] <= prod["api_throttle_rate_limit"]


def test_join_links_survive_the_minute_a_meeting_starts(stages_file: dict[str, Any]) -> None:
    """200 members clicking within a minute of 4pm must not meet a gateway 429: the join route's
    burst holds a crowd arriving together and its rate outpaces the rest, yet stays bounded."""
    for stage in STAGES:
        values = stages_file["stages"][stage]
        assert values["join_link_throttle_burst_limit"] > values["api_throttle_burst_limit"]
        assert values["join_link_throttle_rate_limit"] >= values["api_throttle_rate_limit"]
    prod = stages_file["stages"]["prod"]
    assert prod["join_link_throttle_burst_limit"] >= 100
    assert prod["join_link_throttle_rate_limit"] * 60 >= 200
    assert prod["join_link_throttle_rate_limit"] <= 50


def public_methods(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation the deployed API answers without an organizer key."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() for m, op in ops.items() if not op.get("security"))


def throttle_for(template: dict[str, Any], method: str, path: str) -> tuple[float, int]:
    """(rate, burst) API Gateway applies to one method: its own MethodSettings entry, else the stage's /*/*."""
    settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    # MethodSettings name a resource as "/" + its path with each "/" written "~1": /j/{token} is /~1j~1{token}.
    escaped = "/" + path.replace("/", "~1")
    mine = [s for s in settings if s["ResourcePath"] == escaped and s["HttpMethod"] == method]
    [chosen] = mine or [s for s in settings if (s["ResourcePath"], s["HttpMethod"]) == ("/*", "*")]
    return chosen["ThrottlingRateLimit"], chosen["ThrottlingBurstLimit"]


def test_every_method_override_names_a_real_route(default_synth: Synth) -> None:
    for stage in STAGES:
        template = default_synth.templates[stage]
        paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
        for setting in template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]:
            if setting["ResourcePath"] != "/*":
                path = setting["ResourcePath"][1:].replace("~1", "/")
                assert setting["HttpMethod"].lower() in paths[path], setting


def test_no_public_route_answers_429_in_normal_use(default_synth: Synth) -> None:
    """Every public route's biggest normal crowd (mbc_infra/route_load.py) fits its gateway bucket in
    prod; a public route nobody has described fails here (docs/deploy.md, 'Costs')."""
    template = default_synth.templates["prod"]
    routes = public_methods(template)
    assert ("GET", "/console/static/{version}/{name}") in routes
    undescribed = [r for r in routes if route_load.crowd_for(*r) is None]
    assert undescribed == [], "describe their crowd in infra/mbc_infra/route_load.py"
    too_tight = []
    for method, path in routes:
        crowd = route_load.crowd_for(method, path)
        assert crowd is not None
        rate, burst = throttle_for(template, method, path)
        if not crowd.fits(rate, burst):
            too_tight.append((method, path, rate, burst, crowd))
    assert too_tight == []
    # No stale rule: each describes at least one route the API has.
    for pattern, crowd in route_load.PUBLIC_ROUTES:
        assert any(route_load.crowd_for(*r) is crowd for r in routes), pattern


def test_dev_lets_one_person_load_any_public_page(default_synth: Synth) -> None:
    """dev's lower limits still let a volunteer trying things load a page, its stylesheet and retry once."""
    template = default_synth.templates["dev"]
    for method, path in public_methods(template):
        rate, burst = throttle_for(template, method, path)
        assert burst >= 3, (method, path)
        assert rate >= 1, (method, path)


@pytest.mark.parametrize("stage", STAGES)
def test_api_is_regional_on_its_custom_domain_only(default_synth: Synth, org_file: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["EndpointConfiguration"] == "REGIONAL"
    # The default execute-api host (TLS 1.0) answers nothing; the API carries the enhanced policy too.
    assert api["DisableExecuteApiEndpoint"] is True
    assert (api["SecurityPolicy"], api["EndpointAccessMode"]) == ("SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09", "STRICT")
    domain = org_file["stages"][stage]["api_domain"]
    cert_template = default_synth.templates[f"{stage}-cert"]
    cert_id, cert = only(cert_template, "AWS::CertificateManager::Certificate")
    assert cert["Properties"]["DomainName"] == domain
    assert cert["Properties"]["ValidationMethod"] == "DNS"
    [export] = [
        o["Export"]["Name"]
        for o in cert_template["Outputs"].values()
        if "Export" in o and o["Value"] == {"Ref": cert_id}
    ]
    domain_id, domain_name = only(template, "AWS::ApiGateway::DomainName")
    assert domain_name["Properties"] == {
        "DomainName": domain,
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
        "RegionalCertificateArn": {"Fn::ImportValue": export},
        # The enhanced policy: TLS 1.3 and 1.2, forward secrecy only, post-quantum key exchange offered;
        # STRICT: a request's Host/SNI must name this domain.
        "SecurityPolicy": "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09",
        "EndpointAccessMode": "STRICT",
        "Tags": domain_name["Properties"]["Tags"],
    }
    _, mapping = only(template, "AWS::ApiGateway::BasePathMapping")
    assert mapping["Properties"] == {
        "DomainName": {"Ref": domain_id},
        "RestApiId": {"Ref": "RestAPI"},
        "Stage": {"Fn::Sub": "${RestAPI.Stage}"},
    }
    assert "BasePath" not in mapping["Properties"]  # the root: https://api.<domain>/groups/...


def test_chalice_config_makes_the_api_regional(chalice_config: dict[str, Any]) -> None:
    for stage in STAGES:
        assert chalice_config["stages"][stage]["api_gateway_endpoint_type"] == "REGIONAL"


@pytest.mark.parametrize("stage", STAGES)
def test_api_access_logging(default_synth: Synth, stage: str) -> None:
    template = default_synth.templates[stage]
    setting = template["Resources"]["RestAPI"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    fields = json.loads(setting["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"
    # The client IP next to POST .../signups of a cancer support group: 14 days at most.
    assert template["Resources"]["ApiAccessLogs"]["Properties"]["RetentionInDays"] <= 14


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
def test_outputs(default_synth: Synth, org_file: dict[str, Any], stage: str) -> None:
    template = default_synth.templates[stage]
    domain = org_file["stages"][stage]["api_domain"]
    outputs = template["Outputs"]
    assert outputs["ApiUrl"]["Value"] == f"https://{domain}/"
    assert outputs["ApiDomainDnsRecord"]["Value"] == {
        "Fn::Join": ["", [f"{domain} CNAME ", {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]}]]
    }
    # Chalice's EndpointURL (the disabled execute-api host) is gone; nothing else names that host.
    assert "EndpointURL" not in outputs
    assert "execute-api.${AWS::Region}" not in json.dumps(outputs)


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


@pytest.mark.parametrize("stage", STAGES)
def test_outbox_stream_mapping_is_the_one_the_local_poller_plays(default_synth: Synth, stage: str) -> None:
    """The deployed mapping is chalicelib/outbox/mapping.py, the module devtools/stream_poller.py plays
    against DynamoDB Local: what the tests see locally is what production does."""
    from chalicelib.outbox import mapping

    event = default_synth.templates[stage]["Resources"]["OutboxSender"]["Properties"]["Events"]
    props = event["OutboxSenderDynamodbEventSource"]["Properties"]
    assert [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]] == list(mapping.FILTER_PATTERNS)
    assert {
        "BatchSize": props["BatchSize"],
        "StartingPosition": props["StartingPosition"],
        "MaximumRetryAttempts": props["MaximumRetryAttempts"],
        "BisectBatchOnFunctionError": props["BisectBatchOnFunctionError"],
        "MaximumRecordAgeInSeconds": props["MaximumRecordAgeInSeconds"],
        "FunctionResponseTypes": props["FunctionResponseTypes"],
    } == {
        "BatchSize": mapping.BATCH_SIZE,
        "StartingPosition": mapping.STARTING_POSITION,
        "MaximumRetryAttempts": mapping.MAXIMUM_RETRY_ATTEMPTS,
        "BisectBatchOnFunctionError": mapping.BISECT_BATCH_ON_FUNCTION_ERROR,
        "MaximumRecordAgeInSeconds": mapping.MAXIMUM_RECORD_AGE_SECONDS,
        "FunctionResponseTypes": list(mapping.FUNCTION_RESPONSE_TYPES),
    }
