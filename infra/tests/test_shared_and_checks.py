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
from mbc_infra.settings import ConfigError, load_shared, load_stage
from template_helpers import only

# Every acknowledged cdk-nag finding. A new one must be added here on purpose (with its reason in code).
APIGW_LOGS_POLICY = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
SSM_KEY = "Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*"
EXPECTED_ACKNOWLEDGMENTS = {
    "shared": {("ApiGatewayCloudWatchRole86F22A4D", f"AwsSolutions-IAM4[{APIGW_LOGS_POLICY}]")},
    **{
        stage: {
            (role, f"AwsSolutions-IAM5[{SSM_KEY}]")
            for role in ("ApiHandlerRole", "DistributeLinksRole", "SesEventsRole")
        }
        for stage in ("dev", "prod")
    },
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


def test_api_gateway_logging_role(default_synth: Synth) -> None:
    template = default_synth.templates["shared"]
    role_id, role = only(template, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    _, account = only(template, "AWS::ApiGateway::Account")
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


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
        assert path.stat().st_size < 15 * 1024 * 1024
        # precompiled for the Lambda runtime (python3.12), so cold starts do not compile
        assert "chalicelib/__pycache__/settings.cpython-312.pyc" in names
        assert "pydantic/__pycache__/main.cpython-312.pyc" in names


# ---------------------------------------------------------------- nothing private in a template

ACCOUNT_IN_ARN = re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{12}:")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def test_no_account_ids_or_real_addresses(default_synth: Synth, waf_synth: Synth, restored_synth: Synth) -> None:
    for synth in (default_synth, waf_synth, restored_synth):
        for name in synth.templates:
            text = synth.text(name)
            assert not ACCOUNT_IN_ARN.search(text), name
            assert {m.group(1) for m in EMAIL.finditer(text)} <= {"example.org"}, name


# ---------------------------------------------------------------- settings


def chalice_config_with(stage_env: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(config))
    copy["stages"]["dev"]["environment_variables"].update(stage_env)
    return copy


def test_sender_domain_must_be_covered_by_the_identity(chalice_config: dict[str, Any]) -> None:
    assert load_stage("dev", mail_domain="example.org").mail_domain == "example.org"
    config = chalice_config_with({"MAIL_FROM": "MBC <connect@mail.example.org>"}, chalice_config)
    assert load_stage("dev", chalice_config=config, mail_domain="example.org").mail_domain == "example.org"
    with pytest.raises(ConfigError, match="not covered"):
        load_stage("dev", mail_domain="example.net")


def test_stage_values_are_required(chalice_config: dict[str, Any], stages_file: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="local"):
        load_stage("local")
    with pytest.raises(ConfigError, match="TABLE_NAME"):
        load_stage("dev", chalice_config=chalice_config_with({"TABLE_NAME": ""}, chalice_config))
    bad = json.loads(json.dumps(stages_file))
    bad["stages"]["dev"]["log_retention_days"] = 31
    with pytest.raises(ConfigError, match="retention"):
        load_stage("dev", stages_file=bad)
    del bad["stages"]["dev"]["api_throttle_rate_limit"]
    bad["stages"]["dev"]["log_retention_days"] = 30
    with pytest.raises(ConfigError, match="api_throttle_rate_limit"):
        load_stage("dev", stages_file=bad)


def test_shared_resources_cover_every_stage() -> None:
    shared = load_shared()
    assert shared.mail_domains == ("example.org",)
    assert shared.stack_name == "mbc-connect-shared"
