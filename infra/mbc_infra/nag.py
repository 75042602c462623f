"""cdk-nag (AwsSolutions pack) wiring and the one way this app acknowledges a finding.

cdk-nag 3 runs as a CDK validation plugin: any unacknowledged finding stops the synth.
Every acknowledgment names one finding (``Rule[Finding]``) and carries a written reason;
the reasons are also written into the template metadata (``cdk_nag.rules_to_suppress``).
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 40


def enable(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule_id} needs a written reason, not {reason!r}")
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule_id, reason=" ".join(reason.split())))
