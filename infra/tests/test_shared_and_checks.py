"""The shared stack, cdk-nag, cfn-lint on the non-default variants, the Lambda package,
and what must never be in a template."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from cfnlint.api import lint
from conftest import Synth
from mbc_infra import nag
from mbc_infra.builder import build
from mbc_infra.settings import ORG_OWNED_ENV, ConfigError, load_org, load_shared, load_stage
from template_helpers import as_list, flatten, only, resources

from devtools import deploy_settings

# Every acknowledged cdk-nag finding. A new one must be added here on purpose (with its reason in code).
APIGW_LOGS_POLICY = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
SSM_KEY = "Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*"
SES_IDENTITIES = "Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*"
EXPECTED_ACKNOWLEDGMENTS = {
    "shared": {
        ("ApiGatewayCloudWatchRole86F22A4D", f"AwsSolutions-IAM4[{APIGW_LOGS_POLICY}]"),
        ("KeyAdminRoleDefaultPolicy1C80684F", f"AwsSolutions-IAM5[{SSM_KEY}]"),
        ("OperatorPolicy63C1EB6F", "AwsSolutions-IAM5[Resource::*]"),
        *(
            ("OperatorPolicy63C1EB6F", f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:{rest}]")
            for rest in (
                "cloudformation:<AWS::Region>:<AWS::AccountId>:stack/mbc-connect-*",
                "ses:<AWS::Region>:<AWS::AccountId>:configuration-set/mbc-connect-*",
                "sns:<AWS::Region>:<AWS::AccountId>:mbc-connect-*-alarms",
                "sqs:<AWS::Region>:<AWS::AccountId>:mbc-connect-*-failed-events",
                "cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:mbc-connect-*",
                "logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/lambda/mbc-connect-*-distribute_links:*",
            )
        ),
        ("TrailBucketA831CE63", "AwsSolutions-S1"),
        ("TrailBucketPolicyFEBC3C5C", "AwsSolutions-S1"),
    },
    **{
        stage: {
            *(
                (role, f"AwsSolutions-IAM5[{SSM_KEY}]")
                for role in ("ApiHandlerRole", "DistributeLinksRole", "SesEventsRole", "OutboxSenderRole")
            ),
            (
                "OutboxSenderRole",
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:"
                f"table/mbc-connect-{stage}/stream/*]",
            ),
            ("FailedEventsA83487DA", "AwsSolutions-SQS3"),
            *(
                (role, f"AwsSolutions-IAM5[{SES_IDENTITIES}]")
                for role in ("ApiHandlerRole", "DistributeLinksRole", "OutboxSenderRole")
            ),
            # ses:GetAccount (the sending budget's rate) takes no resource.
            *(
                (role, "AwsSolutions-IAM5[Resource::*]")
                for role in ("ApiHandlerRole", "DistributeLinksRole", "OutboxSenderRole")
            ),
        }
        for stage in ("dev", "prod")
    },
    **{f"{stage}-{kind}": set() for stage in ("dev", "prod") for kind in ("data", "cert")},
}


# ---------------------------------------------------------------- shared stack


def test_domain_identity_with_easy_dkim_and_mail_from(default_synth: Synth) -> None:
    template = default_synth.templates["shared"]
    _, identity = only(template, "AWS::SES::EmailIdentity")
    props = identity["Properties"]
    assert props["EmailIdentity"] == "example.org"
    assert props["DkimAttributes"] == {"SigningEnabled": True}
    assert props["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    assert props["MailFromAttributes"] == {
        "MailFromDomain": "bounce.example.org",
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }
    outputs = template["Outputs"]
    assert len([k for k in outputs if "DkimCname" in k]) == 3
    assert "feedback-smtp.${AWS::Region}.amazonses.com" in json.dumps(outputs["ExampleOrgMailFromMx"])
    assert "v=spf1 include:amazonses.com ~all" in outputs["ExampleOrgMailFromSpf"]["Value"]
    assert outputs["ExampleOrgDmarc"]["Value"] == '_dmarc.example.org TXT "v=DMARC1; p=none"'


def test_identity_is_retained(default_synth: Synth) -> None:
    """Replacing or deleting the identity would change the DKIM tokens and stop mail until DNS is redone."""
    _, identity = only(default_synth.templates["shared"], "AWS::SES::EmailIdentity")
    # RetainExceptOnCreate: a failed first create of the shared stack leaves no identity behind to collide
    # with the retry; afterwards it is kept.
    assert identity["DeletionPolicy"] == "RetainExceptOnCreate"
    assert identity["UpdateReplacePolicy"] == "Retain"


def test_api_gateway_logging_role(default_synth: Synth) -> None:
    template = default_synth.templates["shared"]
    role_id, role = next(
        (k, v) for k, v in resources(template, "AWS::IAM::Role").items() if k.startswith("ApiGatewayCloudWatchRole")
    )
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    _, account = only(template, "AWS::ApiGateway::Account")
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_one_customer_managed_key_for_every_topic(default_synth: Synth) -> None:
    """The only customer-managed key (SES, CloudWatch and Budgets cannot publish to aws/sns topics)."""
    keys = [k for t in default_synth.templates.values() for k in resources(t, "AWS::KMS::Key").values()]
    assert len(keys) == 1
    key_id, key = only(default_synth.templates["shared"], "AWS::KMS::Key")
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
    props = key["Properties"]
    assert props["EnableKeyRotation"] is True
    assert props["RotationPeriodInDays"] == 2560  # docs/deploy.md, "Costs": why the longest period
    services = {}
    for statement in props["KeyPolicy"]["Statement"]:
        principal = statement["Principal"]
        if "Service" in principal:
            services[principal["Service"]] = statement
            # Service principals act for this account only (confused deputy).
            assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
            assert sorted(as_list(statement["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert set(services) == {"cloudwatch.amazonaws.com", "ses.amazonaws.com", "budgets.amazonaws.com"}
    exports = {o.get("Export", {}).get("Name", "") for o in default_synth.templates["shared"]["Outputs"].values()}
    assert any("TopicKey" in e for e in exports), key_id


def test_key_guard_and_key_admin_role(default_synth: Synth) -> None:
    """Only the key-admin role may write or delete the key parameters of either stage."""
    template = default_synth.templates["shared"]
    params = sorted(
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/mbc-connect/" + f"{stage}/{name}"
        for stage in ("dev", "prod")
        for name in ("signing-key", "signing-key-previous", "identity-key")
    )
    role_id, role = next(
        (k, v) for k, v in resources(template, "AWS::IAM::Role").items() if k.startswith("KeyAdminRole")
    )
    assert role["Properties"]["RoleName"] == "mbc-connect-key-admin"
    assert role["Properties"]["MaxSessionDuration"] == 3600
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert flatten(trust["Principal"]["AWS"]) == "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
    [policy] = [
        p
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["ManagedPolicyName"] == "mbc-connect-protect-keys"
    ]
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert {"ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters"} <= set(deny["Action"])
    assert sorted(flatten(r) for r in deny["Resource"]) == params
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [role_id, "Arn"]}}}
    [admin_policy] = resources(template, "AWS::IAM::Policy").values()
    statements = {s["Sid"]: s for s in admin_policy["Properties"]["PolicyDocument"]["Statement"]}
    assert sorted(flatten(r) for r in statements["KeyParameters"]["Resource"]) == params
    assert set(statements["KeyParameters"]["Action"]) == {"ssm:DeleteParameter", "ssm:GetParameter", "ssm:PutParameter"}


# What make status and make alarm-test call (devtools/deploy_status.py), as IAM actions.
STATUS_ACTIONS = {
    "cloudformation:DescribeStacks",
    "ses:GetEmailIdentity",
    "ses:GetAccount",
    "ses:GetConfigurationSet",
    "sns:ListSubscriptionsByTopic",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:SetAlarmState",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
    "acm:ListCertificates",
    "ssm:DescribeParameters",
    "logs:FilterLogEvents",
    "logs:TestMetricFilter",
}


def test_operator_reads_health_never_data_or_keys(default_synth: Synth) -> None:
    """make status AS=operator: everything status reads is allowed; reading the table (or its stream, or an
    export), the failed-events queue's messages or the keys is denied explicitly (a deny beats any allow)."""
    template = default_synth.templates["shared"]
    [(policy_id, policy)] = [
        (k, v)
        for k, v in resources(template, "AWS::IAM::ManagedPolicy").items()
        if v["Properties"]["ManagedPolicyName"] == "mbc-connect-operator"
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allowed = {a for st in statements if st["Effect"] == "Allow" for a in as_list(st["Action"])}
    assert allowed >= STATUS_ACTIONS
    assert not {a for a in allowed if a.split(":")[1].startswith(("Get", "Receive", "Query", "Scan", "Decrypt"))} - {
        "ses:GetAccount",
        "ses:GetConfigurationSet",
        "ses:GetEmailIdentity",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "lambda:GetAccountSettings",
    }
    [deny] = [st for st in statements if st["Effect"] == "Deny"]
    assert deny["Resource"] == "*"
    assert {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:BatchGetItem",
        "dynamodb:PartiQLSelect",
        "dynamodb:GetRecords",
        "dynamodb:ExportTableToPointInTime",
        "sqs:ReceiveMessage",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "ssm:GetParameterHistory",
        "kms:Decrypt",
    } <= set(deny["Action"])
    [logs] = [st for st in statements if st.get("Sid") == "RunSummaries"]
    assert flatten(logs["Resource"]).endswith(":log-group:/aws/lambda/mbc-connect-*-distribute_links:*")
    [(_, role)] = [
        (k, v)
        for k, v in resources(template, "AWS::IAM::Role").items()
        if v["Properties"].get("RoleName") == "mbc-connect-operator"
    ]
    assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": policy_id}]
    assert role["Properties"]["MaxSessionDuration"] == 3600


def test_one_management_events_trail(default_synth: Synth) -> None:
    trails = [t for tpl in default_synth.templates.values() for t in resources(tpl, "AWS::CloudTrail::Trail").values()]
    assert len(trails) == 1
    props = trails[0]["Properties"]
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["IsLogging"] is True
    [selector] = props.get("EventSelectors", [{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    assert selector["IncludeManagementEvents"] is True
    assert "DataResources" not in selector
    _, bucket = only(default_synth.templates["shared"], "AWS::S3::Bucket")
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [rule] = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 365


def test_the_stacks_holding_data_are_protected_from_deletion(default_synth: Synth) -> None:
    """shared (the SES identity, the topics' key, the trail) and each data stack (the table): termination
    protection; the app and certificate stacks can be deleted and deployed again at will."""
    protected = {name for name, stack in default_synth.stacks.items() if stack.termination_protection}
    assert protected == {"shared", "dev-data", "prod-data"}


def test_stage_stacks_depend_on_shared(default_synth: Synth) -> None:
    for stage in ("dev", "prod"):
        assert default_synth.stacks["shared"] in default_synth.stacks[stage].dependencies


# ---------------------------------------------------------------- cdk-nag


def test_cdk_nag_reports_nothing(default_synth: Synth, waf_synth: Synth, restored_synth: Synth) -> None:
    """AwsSolutions runs as a validation plugin; any finding would have failed the synth."""
    for synth in (default_synth, waf_synth, restored_synth):
        assert synth.validation_report["pluginReports"] == []


def test_every_acknowledgment_is_expected_and_reasoned(default_synth: Synth) -> None:
    for name, template in default_synth.templates.items():
        found = set()
        for resource_id, resource in template["Resources"].items():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                assert len(rule["reason"]) >= nag.MIN_REASON_LENGTH, rule
                found.add((resource_id, rule["id"]))
        assert found == EXPECTED_ACKNOWLEDGMENTS[name], name


def test_cdk_nag_fails_the_synth_on_a_finding(in_tmp_dir: Path) -> None:
    """Proves the plugin is wired to stop synthesis: a topic without TLS enforcement or SSE."""
    app = cdk.App(outdir=str(in_tmp_dir / "cdk.out"))
    stack = cdk.Stack(app, "Bad")
    sns.Topic(stack, "Plain")
    nag.enable(app)
    with pytest.raises(Exception, match=r"AwsSolutions-SNS[23]"):
        app.synth()


def test_acknowledging_needs_a_reason(in_tmp_dir: Path) -> None:
    app = cdk.App(outdir=str(in_tmp_dir / "cdk.out"))
    with pytest.raises(ValueError, match="written reason"):
        nag.acknowledge(cdk.Stack(app, "S"), "AwsSolutions-SNS2", "because")


# ---------------------------------------------------------------- cfn-lint (the CLI lints the default synth)


@pytest.mark.parametrize(("variant", "stage"), [("waf", "dev"), ("restored", "prod")])
def test_cfn_lint_variants(waf_synth: Synth, restored_synth: Synth, variant: str, stage: str) -> None:
    synth = {"waf": waf_synth, "restored": restored_synth}[variant]
    matches = lint(json.dumps(synth.templates[stage]), regions=["us-east-1", "us-west-2"])
    assert [str(m) for m in matches] == []


# ---------------------------------------------------------------- the Lambda package


def test_deployment_package_has_the_app_and_no_boto3(default_synth: Synth) -> None:
    zips = default_synth.deployment_zips
    assert len(zips) == 2  # dev and prod
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        tops = {n.split("/", 1)[0] for n in names}
        assert {"app.py", "chalicelib", "pydantic"} <= tops
        assert "chalicelib/table.py" in names
        assert not tops & {"boto3", "botocore", "s3transfer", "infra", "tests", "devtools", ".local", "node_modules"}
        # Trimmed as `make package` trims (devtools/package.py): nothing no route imports or reads.
        assert not tops & {"dns"}
        assert not [t for t in tops if t.endswith(".dist-info")]
        assert path.stat().st_size <= 6 * 1024 * 1024
        # precompiled for the Lambda runtime (python3.12), so cold starts do not compile
        assert "chalicelib/__pycache__/settings.cpython-312.pyc" in names
        # third-party modules as bytecode only (devtools/package.py OWN_CODE)
        assert "pydantic/main.pyc" in names
        assert "pydantic/main.py" not in names


# ---------------------------------------------------------------- nothing private in a template

ACCOUNT_IN_ARN = re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{12}:")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def test_no_account_ids_or_real_addresses(default_synth: Synth, waf_synth: Synth, restored_synth: Synth) -> None:
    for synth in (default_synth, waf_synth, restored_synth):
        for name in synth.templates:
            text = synth.text(name)
            assert not ACCOUNT_IN_ARN.search(text), name
            # The example organisation, and the SES mailbox simulator dev mails instead of people.
            assert {m.group(1) for m in EMAIL.finditer(text)} <= {"example.org", "simulator.amazonses.com"}, name


# ---------------------------------------------------------------- settings


def chalice_config_with(stage_env: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(config))
    copy["stages"]["dev"]["environment_variables"].update(stage_env)
    return copy


def example_org() -> Any:
    return load_org("example.org", offline_check=True)


def test_stage_values_are_required(chalice_config: dict[str, Any], stages_file: dict[str, Any]) -> None:
    org = example_org()
    with pytest.raises(ConfigError, match="local"):
        load_stage("local", org)
    with pytest.raises(ConfigError, match="TABLE_NAME"):
        load_stage("dev", org, chalice_config=chalice_config_with({"TABLE_NAME": ""}, chalice_config))
    with pytest.raises(ConfigError, match="IDENTITY_KEY_PARAM"):
        load_stage("dev", org, chalice_config=chalice_config_with({"IDENTITY_KEY_PARAM": ""}, chalice_config))
    bad = json.loads(json.dumps(stages_file))
    bad["stages"]["dev"]["log_retention_days"] = 31
    with pytest.raises(ConfigError, match="retention"):
        load_stage("dev", org, stages_file=bad)
    del bad["stages"]["dev"]["api_throttle_rate_limit"]
    bad["stages"]["dev"]["log_retention_days"] = 30
    with pytest.raises(ConfigError, match="api_throttle_rate_limit"):
        load_stage("dev", org, stages_file=bad)


def test_access_logs_with_ips_are_kept_14_days_at_most(stages_file: dict[str, Any]) -> None:
    bad = json.loads(json.dumps(stages_file))
    bad["stages"]["prod"]["access_log_retention_days"] = 30
    with pytest.raises(ConfigError, match="at most 14 days"):
        load_stage("prod", example_org(), stages_file=bad)


def test_a_restored_table_needs_its_stream_label(stages_file: dict[str, Any]) -> None:
    bad = json.loads(json.dumps(stages_file))
    bad["stages"]["prod"]["manage_table"] = False
    with pytest.raises(ConfigError, match="table_stream_label"):
        load_stage("prod", example_org(), stages_file=bad)


def test_organisation_values_are_not_in_chalice_config(chalice_config: dict[str, Any]) -> None:
    """One place for the organisation's values: config.json setting one is refused, naming both files."""
    for stage in ("dev", "prod"):
        env = chalice_config["stages"][stage]["environment_variables"]
        assert not set(env) & set(ORG_OWNED_ENV), stage
    config = chalice_config_with({"MAIL_FROM": "MBC <connect@example.org>"}, chalice_config)
    with pytest.raises(ConfigError, match=r"MAIL_FROM.*deploy/example\.org\.json"):
        load_stage("dev", example_org(), chalice_config=config)


def test_shared_resources_cover_every_stage() -> None:
    shared = load_shared(example_org())
    assert shared.mail_domains == ("example.org",)
    assert shared.stack_name == "mbc-connect-shared"
    assert len(shared.key_params) == 6


def test_synth_refuses_placeholders_without_the_offline_check(in_tmp_dir: Path) -> None:
    """A bare `cdk synth`/`cdk deploy` of the example (no offline_check) stops before any stack exists."""
    app = cdk.App(context={"org": "example.org"}, outdir=str(in_tmp_dir / "cdk.out"))
    with pytest.raises(ConfigError) as info:
        build(app)
    message = str(info.value)
    assert "deploy/example.org.json" in message
    for field in ("domain", "alarm_email", "mail_from", "stages.prod.api_domain", "stages.prod.website_origins.0"):
        assert field in message


def test_deploy_refuses_another_region(in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    org_path = write_real_org(tmp_path)
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-central-1")
    app = cdk.App(context={"org": str(org_path)}, outdir=str(in_tmp_dir / "cdk.out"))
    with pytest.raises(ConfigError, match=r"region us-west-2.*eu-central-1"):
        build(app)


def write_real_org(tmp_path: Path, **changes: Any) -> Path:
    data = deploy_settings.new_org_data("mbc-test.net", "alarms@mbc-test.net")
    data.update(changes)
    path = tmp_path / "mbc-test.net.json"
    path.write_text(json.dumps(data))
    return path
