"""Builds the CDK app: the shared stack plus one stack per selected stage, checked by cdk-nag."""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk

from mbc_infra import nag
from mbc_infra.settings import DEPLOYABLE, ConfigError, load_shared, load_stage, with_overrides
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


def build(app: cdk.App, *, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, cdk.Stack]:
    """Adds the stacks to ``app``. ``overrides`` (tests) maps a stage to settings overrides."""
    # Chalice's packager builds a boto3 session; it needs some region even though the package
    # does not depend on it (the template uses ${AWS::Region}). cdk deploy sets CDK_DEFAULT_REGION.
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("CDK_DEFAULT_REGION") or "us-east-1"
    context = app.node.try_get_context
    mail_domain = context("mail_domain")
    stacks: dict[str, cdk.Stack] = {}
    shared = SharedStack(app, "shared", load_shared(mail_domain=mail_domain))
    stacks["shared"] = shared
    for stage in selected_stages(context("stage") or context("stages")):
        settings = with_overrides(
            load_stage(stage, mail_domain=mail_domain),
            waf=context("waf"),
            **(overrides or {}).get(stage, {}),
        )
        stack = StageStack(app, settings)
        stack.add_stack_dependency(shared, "API access logging needs API Gateway's account logging role")
        stacks[stage] = stack
    for name, stack in stacks.items():
        cdk.Tags.of(stack).add("project", "mbc-connect")
        cdk.Tags.of(stack).add("stage", name)
    nag.enable(app)
    return stacks
