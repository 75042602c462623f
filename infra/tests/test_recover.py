"""make abandon-first-deploy and make adopt-table decide from what AWS answers: botocore's Stubber
plays CloudFormation, ACM and DynamoDB (exact requests, canned answers), so each decision is checked
without an account, and a test fails if the command would delete what it must not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from conftest import REPO_DIR

from devtools import deploy_recover, deploy_settings
from devtools.deploy_common import Aws, stage_names

PROD = stage_names("prod")
STACKS = (PROD.stack, PROD.cert_stack, PROD.data_stack, "mbc-connect-shared")


@dataclass
class StubbedAws:
    """An Aws whose clients are stubbed; ``stubs`` by service name."""

    session: Any = field(default_factory=lambda: boto3.Session(region_name="us-west-2"))
    clients: dict[str, Any] = field(default_factory=dict)
    stubs: dict[str, Stubber] = field(default_factory=dict)

    def aws(self) -> Aws:
        aws = Aws(session=self.session, region="us-west-2", account="111122223333", caller_arn="arn:aws:iam::x")
        aws.client = self.client  # type: ignore[method-assign]
        return aws

    def client(self, service: str, region: str | None = None) -> Any:
        if service not in self.clients:
            client = self.session.client(
                service, region_name="us-west-2", aws_access_key_id="k", aws_secret_access_key="s"
            )
            self.clients[service] = client
            self.stubs[service] = Stubber(client)
            self.stubs[service].activate()
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self.stubs[service]


def org() -> deploy_settings.OrgSettings:
    data = deploy_settings.new_org_data("mbc-idmt.org", "alarms@mbc-idmt.org")
    return deploy_settings.parse(data, REPO_DIR / "deploy" / "mbc-idmt.org.json")


def missing(stub: Stubber, stack: str) -> None:
    stub.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {stack} does not exist",
        expected_params={"StackName": stack},
    )


def present(stub: Stubber, stack: str, status: str, resources: list[dict[str, Any]] | None = None) -> None:
    stub.add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": stack, "StackStatus": status, "CreationTime": "2026-12-06T07:00:00Z"}]},
        {"StackName": stack},
    )
    stub.add_response(
        "describe_stack_resources",
        {"StackResources": resources or []},
        {"StackName": stack},
    )


def table_resource(status: str = "CREATE_COMPLETE") -> dict[str, Any]:
    return {
        "LogicalResourceId": "TableCD117FA1",
        "PhysicalResourceId": PROD.table,
        "ResourceType": "AWS::DynamoDB::Table",
        "ResourceStatus": status,
        "Timestamp": "2026-12-06T07:00:00Z",
    }


def test_a_rolled_back_first_deploy_is_cleared_and_nothing_complete_is_touched() -> None:
    """The app stack rolled back (a mistyped alarm address, a quota): deleted; the certificate and the
    table, both complete, and the shared stack stay."""
    fake = StubbedAws()
    cfn = fake.stub("cloudformation")
    present(cfn, PROD.stack, "ROLLBACK_COMPLETE")
    present(cfn, PROD.cert_stack, "CREATE_COMPLETE")
    present(cfn, PROD.data_stack, "CREATE_COMPLETE", [table_resource()])
    present(cfn, "mbc-connect-shared", "CREATE_COMPLETE")
    cfn.add_response("delete_stack", {}, {"StackName": PROD.stack})
    decisions = deploy_recover.abandon(fake.aws(), org(), PROD)
    assert [(d.stack, d.action) for d in decisions] == [
        (PROD.stack, "delete"),
        (PROD.cert_stack, "keep"),
        (PROD.data_stack, "refuse"),
        ("mbc-connect-shared", "keep"),
    ]
    cfn.assert_no_pending_responses()


def test_a_certificate_waiting_for_dns_is_abandoned_and_the_table_kept() -> None:
    """Ctrl-C during the DNS wait leaves the certificate stack creating for hours: it is deleted (nothing
    else is), so the same make first-deploy can start again later."""
    fake = StubbedAws()
    cfn = fake.stub("cloudformation")
    missing(cfn, PROD.stack)
    present(cfn, PROD.cert_stack, "CREATE_IN_PROGRESS")
    acm = fake.stub("acm")
    acm.add_response(
        "list_certificates",
        {
            "CertificateSummaryList": [
                {"CertificateArn": "arn:aws:acm:us-west-2:1:certificate/c", "DomainName": "api.mbc-idmt.org"}
            ]
        },
        {"CertificateStatuses": ["PENDING_VALIDATION"]},
    )
    present(cfn, PROD.data_stack, "CREATE_COMPLETE", [table_resource()])
    present(cfn, "mbc-connect-shared", "CREATE_COMPLETE")
    cfn.add_response("delete_stack", {}, {"StackName": PROD.cert_stack})
    decisions = deploy_recover.abandon(fake.aws(), org(), PROD)
    assert {d.stack: d.action for d in decisions} == {
        PROD.stack: "absent",
        PROD.cert_stack: "delete",
        PROD.data_stack: "refuse",
        "mbc-connect-shared": "keep",
    }
    cfn.assert_no_pending_responses()
    acm.assert_no_pending_responses()


def test_a_rolled_back_data_stack_is_deleted_only_without_a_table() -> None:
    fake = StubbedAws()
    cfn = fake.stub("cloudformation")
    missing(cfn, PROD.stack)
    missing(cfn, PROD.cert_stack)
    present(cfn, PROD.data_stack, "ROLLBACK_COMPLETE", [table_resource("DELETE_COMPLETE")])
    present(cfn, "mbc-connect-shared", "REVIEW_IN_PROGRESS")
    cfn.add_response(
        "update_termination_protection",
        {},
        {"EnableTerminationProtection": False, "StackName": PROD.data_stack},
    )
    cfn.add_response("delete_stack", {}, {"StackName": PROD.data_stack})
    cfn.add_response(
        "update_termination_protection",
        {},
        {"EnableTerminationProtection": False, "StackName": "mbc-connect-shared"},
    )
    cfn.add_response("delete_stack", {}, {"StackName": "mbc-connect-shared"})
    decisions = deploy_recover.abandon(fake.aws(), org(), PROD)
    assert [d.action for d in decisions] == ["absent", "absent", "delete", "delete"]
    cfn.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("status", "cert_stack", "pending", "action"),
    [
        ("CREATE_IN_PROGRESS", True, False, "wait"),  # the certificate is not what it waits for
        ("CREATE_IN_PROGRESS", False, True, "wait"),  # only the certificate stack is abandoned mid-create
        ("ROLLBACK_IN_PROGRESS", False, False, "wait"),
        ("UPDATE_COMPLETE", False, False, "keep"),
        ("UPDATE_ROLLBACK_COMPLETE", False, False, "keep"),
        ("DELETE_FAILED", False, False, "refuse"),
        ("CREATE_FAILED", False, False, "delete"),
        ("ROLLBACK_FAILED", True, False, "delete"),
    ],
)
def test_abandon_action_by_state(status: str, cert_stack: bool, pending: bool, action: str) -> None:
    decision = deploy_recover.abandon_action(
        "s", status, resources=[], is_certificate_stack=cert_stack, certificate_pending=pending
    )
    assert decision.action == action


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "CREATE_FAILED", "ROLLBACK_FAILED", "CREATE_IN_PROGRESS"])
def test_never_a_stack_that_holds_a_table(status: str) -> None:
    decision = deploy_recover.abandon_action(
        PROD.data_stack, status, resources=[table_resource()], is_certificate_stack=True, certificate_pending=True
    )
    assert decision.action == "refuse"
    assert PROD.table in decision.reason


# ---------------------------------------------------------------- adopt-table


def describe_table(stub: Stubber, stream_label: str | None) -> None:
    table: dict[str, Any] = {"TableName": PROD.table, "TableStatus": "ACTIVE"}
    if stream_label:
        table["LatestStreamArn"] = f"arn:aws:dynamodb:us-west-2:1:table/{PROD.table}/stream/{stream_label}"
    stub.add_response("describe_table", {"Table": table}, {"TableName": PROD.table})


def owner(stub: Stubber, stack: str | None) -> None:
    if stack is None:
        stub.add_client_error(
            "describe_stack_resources",
            service_error_code="ValidationError",
            service_message=f"Stack for {PROD.table} does not exist",
            expected_params={"PhysicalResourceId": PROD.table},
        )
        return
    resource = {**table_resource(), "StackName": stack}
    stub.add_response("describe_stack_resources", {"StackResources": [resource]}, {"PhysicalResourceId": PROD.table})


def test_adopt_a_table_left_by_an_older_installation() -> None:
    """The table sits in mbc-connect-prod (before the data stack existed): released, then imported."""
    fake = StubbedAws()
    describe_table(fake.stub("dynamodb"), "2026-01-01T00:00:00.000")
    cfn = fake.stub("cloudformation")
    owner(cfn, PROD.stack)
    missing(cfn, PROD.data_stack)
    plan = deploy_recover.plan_adoption(fake.aws(), PROD)
    assert plan.steps == ("release-from-app-stack", "import-into-data-stack")
    assert plan.stream_label == "2026-01-01T00:00:00.000"


def test_adopt_a_retained_table_without_a_stack() -> None:
    fake = StubbedAws()
    describe_table(fake.stub("dynamodb"), "2026-01-01T00:00:00.000")
    cfn = fake.stub("cloudformation")
    owner(cfn, None)
    present_status_only = {
        "Stacks": [
            {"StackName": PROD.data_stack, "StackStatus": "ROLLBACK_COMPLETE", "CreationTime": "2026-12-06T07:00:00Z"}
        ]
    }
    cfn.add_response("describe_stacks", present_status_only, {"StackName": PROD.data_stack})
    assert deploy_recover.plan_adoption(fake.aws(), PROD).steps == ("import-into-data-stack",)


@pytest.mark.parametrize(
    ("table", "owner_stack", "data_status", "message"),
    [
        (None, None, None, "nothing to adopt"),
        ({"LatestStreamArn": "arn:x/stream/l"}, "mbc-connect-prod-data", "CREATE_COMPLETE", "nothing to do"),
        ({"LatestStreamArn": "arn:x/stream/l"}, "someone-else", None, "not this installation"),
        ({"LatestStreamArn": "arn:x/stream/l"}, None, "UPDATE_COMPLETE", "exists (UPDATE_COMPLETE) without the table"),
        ({}, None, None, "has no stream"),
    ],
)
def test_adopt_refusals(
    table: dict[str, Any] | None, owner_stack: str | None, data_status: str | None, message: str
) -> None:
    plan = deploy_recover.adopt_plan(table=table, owner_stack=owner_stack, names=PROD, data_stack_status=data_status)
    assert plan.steps == ()
    assert message in plan.message


def test_adopt_runs_the_import_with_the_cdk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The two cdk deploys of an older installation's move, in order, with the stream label."""
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        deploy_recover,
        "plan_adoption",
        lambda aws, names: deploy_recover.AdoptPlan(("release-from-app-stack", "import-into-data-stack"), "m", "L"),
    )
    monkeypatch.setattr(deploy_recover, "run_cdk", lambda org, verb, *args, **kw: calls.append((verb, *args)) or 0)
    deploy_recover.adopt(object(), org(), PROD)  # type: ignore[arg-type]
    release, imported = calls
    assert release[-1] == "prod"
    assert {"manage_table=false", "table_stream_label=L"} <= set(release)
    assert "--exclusively" not in release  # the new certificate stack is created on the way
    assert imported[-1] == "prod-data"
    assert {"--import-existing-resources", "--exclusively"} <= set(imported)


# ---------------------------------------------------------------- preflight: the domain's zone, the SES sandbox


def hosted_zones(stub: Stubber, zones: list[dict[str, Any]]) -> None:
    stub.add_response(
        "list_hosted_zones_by_name",
        {"HostedZones": zones, "IsTruncated": False, "MaxItems": "1"},
        {"DNSName": "mbc-idmt.org", "MaxItems": "1"},
    )


def zone(name: str, *, private: bool = False) -> dict[str, Any]:
    return {"Id": "/hostedzone/Z1", "Name": name, "CallerReference": "r", "Config": {"PrivateZone": private}}


def test_preflight_finds_the_zone_in_route53(capsys: pytest.CaptureFixture[str]) -> None:
    from devtools import deploy_preflight

    fake = StubbedAws()
    hosted_zones(fake.stub("route53"), [zone("mbc-idmt.org.")])
    assert deploy_preflight.check_domain_zone(fake.aws(), "mbc-idmt.org", resolve=lambda n, r: [])
    assert "a Route 53 hosted zone in this account" in capsys.readouterr().out


def test_preflight_finds_the_zone_on_the_public_dns(capsys: pytest.CaptureFixture[str]) -> None:
    """Another provider's zone; a private Route 53 zone or a neighbour's name does not count."""
    from devtools import deploy_preflight

    fake = StubbedAws()
    hosted_zones(fake.stub("route53"), [zone("mbc-idmt.org.", private=True)])
    asked: list[tuple[str, str]] = []

    def resolve(name: str, record: str) -> list[str]:
        asked.append((name, record))
        return ["ns1.dns-provider.net."] if record == "NS" else []

    assert deploy_preflight.check_domain_zone(fake.aws(), "mbc-idmt.org", resolve=resolve)
    assert asked == [("mbc-idmt.org", "NS")]
    assert "served by ns1.dns-provider.net." in capsys.readouterr().out


def test_preflight_stops_on_a_domain_without_a_zone(capsys: pytest.CaptureFixture[str]) -> None:
    from devtools import deploy_preflight

    fake = StubbedAws()
    hosted_zones(fake.stub("route53"), [zone("mbc-idmt.org.uk.")])
    assert not deploy_preflight.check_domain_zone(fake.aws(), "mbc-idmt.org", resolve=lambda n, r: [])
    assert "[FAIL] mbc-idmt.org has no DNS zone" in capsys.readouterr().out


def test_preflight_says_what_the_sandbox_allows() -> None:
    from devtools import deploy_preflight

    fake = StubbedAws()
    fake.stub("sesv2").add_response(
        "list_email_identities",
        {
            "EmailIdentities": [
                {"IdentityType": "EMAIL_ADDRESS", "IdentityName": "dana@mbc-idmt.org", "VerificationStatus": "SUCCESS"},
                {"IdentityType": "EMAIL_ADDRESS", "IdentityName": "x@mbc-idmt.org", "VerificationStatus": "PENDING"},
                {"IdentityType": "DOMAIN", "IdentityName": "mbc-idmt.org", "VerificationStatus": "SUCCESS"},
            ]
        },
        {"PageSize": 100},
    )
    verified = deploy_preflight.verified_addresses(fake.aws())
    assert verified == ["dana@mbc-idmt.org"]
    text = deploy_preflight.sandbox_explanation({"Max24HourSend": 200.0, "MaxSendRate": 1.0}, verified)
    assert "at most 200 emails a day, 1 a second" in text
    assert "only to addresses verified in this account and to the SES mailbox simulator" in text
    assert "1 verified address(es)" in text
    assert "always from your mail_from" in text


# ---------------------------------------------------------------- make deploy: adopt first, when needed


def test_deploy_adopts_a_table_left_without_its_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """An installation older than the data stack: make deploy moves the table before deploying, or the data
    stack's create would fail on "already exists"."""
    from devtools import deploy_cdk, deploy_common

    steps: list[str] = []
    monkeypatch.setattr(deploy_cdk, "ensure_keys", lambda aws, names: [])
    monkeypatch.setattr(
        deploy_recover,
        "plan_adoption",
        lambda aws, names: deploy_recover.AdoptPlan(("import-into-data-stack",), "m", "L"),
    )
    monkeypatch.setattr(deploy_recover, "adopt", lambda aws, org, names: steps.append(f"adopt {names.table}"))
    monkeypatch.setattr(deploy_cdk, "run_cdk", lambda org, verb, *args, **kw: steps.append(f"{verb} {args[-1]}") or 0)
    monkeypatch.setattr(deploy_common, "certificate_validation_records", lambda acm, domain, **kw: [])
    fake = StubbedAws()
    deploy_cdk.deploy(None, "prod", waf=None, checked=(org(), fake.aws()))
    assert steps == ["adopt mbc-connect-prod", "deploy prod"]


def test_deploy_after_a_restore_adopts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """manage_table false (a point-in-time restore): the restored table belongs to no stack on purpose."""
    from devtools import deploy_cdk

    monkeypatch.setattr(deploy_cdk, "_manages_table", lambda stage: False)
    monkeypatch.setattr(deploy_cdk, "ensure_keys", lambda aws, names: [])
    monkeypatch.setattr(deploy_recover, "plan_adoption", lambda aws, names: pytest.fail("no adoption after a restore"))
    calls: list[str] = []
    monkeypatch.setattr(deploy_cdk, "run_cdk", lambda org, verb, *args, **kw: calls.append(verb) or 0)
    deploy_cdk.deploy(None, "prod", waf=None, checked=(org(), StubbedAws().aws()))
    assert calls == ["deploy"]


def test_manage_table_is_read_from_stages_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from devtools import deploy_cdk

    assert deploy_cdk._manages_table("prod") is True
    (tmp_path / "stages.json").write_text('{"stages": {"prod": {"manage_table": false}, "dev": {}}}')
    monkeypatch.setattr(deploy_cdk, "INFRA", tmp_path)
    assert deploy_cdk._manages_table("prod") is False
    assert deploy_cdk._manages_table("dev") is True
