"""Builds the CDK app: the shared stack plus one stack per selected stage, checked by cdk-nag."""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk

from mbc_infra import nag
from mbc_infra.cert_stack import CertificateStack
from mbc_infra.data_stack import DataStack
from mbc_infra.settings import DEPLOYABLE, ConfigError, load_org, load_shared, load_stage, with_overrides
from mbc_infra.shared_stack import SharedStack
from mbc_infra.stage_stack import StageStack


def selected_stages(value: Any) -> list[str]:
    """``-c stage=prod`` (or ``-c stages=dev,prod``); default: every deployable stage."""
    if value is None or str(value).strip() == "":
        return list(DEPLOYABLE)
    stages = [part.strip() for part in str(value).split(",") if part.strip()]
    for stage in stages:
        if stage not in DEPLOYABLE:
            raise ConfigError(f"unknown stage {stage!r}: choose from {', '.join(DEPLOYABLE)}")
    return stages


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def build(app: cdk.App, *, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, cdk.Stack]:
    """Adds the stacks to ``app``. ``overrides`` (tests) maps a stage to settings overrides.

    Context: ``org`` (deploy/<org>.json; default: the one organisation file), ``offline_check``
    (placeholders allowed: make infra-test only), ``stage``/``stages``, ``waf``, and for
    ``make adopt-table`` ``manage_table=false`` with ``table_stream_label``.
    """
    context = app.node.try_get_context
    offline_check = _flag(context("offline_check"))
    org = load_org(context("org") or os.environ.get("ORG") or None, offline_check=offline_check)
    # cdk deploy sets CDK_DEFAULT_REGION from the credentials' region: deploying to another region than the
    # organisation's would create a second, empty installation there.
    target_region = os.environ.get("CDK_DEFAULT_REGION")
    if not offline_check and target_region and target_region != org.region:
        raise ConfigError(
            f"{org.relative_path} says region {org.region}, but your AWS settings point at {target_region}: "
            f"export AWS_REGION={org.region} (the make targets do it for you)"
        )
    # Chalice's packager builds a boto3 session; it needs some region even though the package
    # does not depend on it (the template uses ${AWS::Region}).
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = org.region
    stacks: dict[str, cdk.Stack] = {}
    shared = SharedStack(app, "shared", load_shared(org))
    stacks["shared"] = shared
    for stage in selected_stages(context("stage") or context("stages")):
        settings = with_overrides(
            load_stage(stage, org),
            **{
                "waf": context("waf"),
                # make adopt-table: the app stack of an older installation lets go of the table it owned.
                "manage_table": context("manage_table"),
                "table_stream_label": context("table_stream_label"),
                **(overrides or {}).get(stage, {}),
            },
        )
        # The order a first deploy creates them in: shared, the table, the certificate (the DNS wait), the app.
        data: DataStack | None = None
        if settings.manage_table:
            data = DataStack(app, settings)
            data.add_stack_dependency(shared, "created after the account-wide stack")
            stacks[data.node.id] = data
        cert = CertificateStack(app, settings)
        cert.add_stack_dependency(data or shared, "the data exists before the certificate's DNS wait starts")
        stacks[cert.node.id] = cert
        stack = StageStack(
            app,
            settings,
            topic_key=shared.topic_key,
            certificate=cert.certificate,
            table_stream_arn=data.stream_arn if data else None,
        )
        stack.add_stack_dependency(shared, "API access logging role, SES identity and the topics' KMS key")
        stack.add_stack_dependency(cert, "the API's certificate")
        if data:
            stack.add_stack_dependency(data, "the table and its stream")
        stacks[stage] = stack
    for name, stack in stacks.items():
        cdk.Tags.of(stack).add("project", "mbc-connect")
        cdk.Tags.of(stack).add("stage", name.split("-")[0])
        cdk.Tags.of(stack).add("org", org.name)
    nag.enable(app)
    return stacks
