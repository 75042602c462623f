"""The API's certificate, alone in its own stack ``mbc-connect-<stage>-cert``.

ACM validates it through DNS: CloudFormation waits until the validation CNAME exists, possibly for hours.
Alone here, that wait can hold up nothing else: the table is already created (its own stack, deployed
first) and the app waits for this stack. A volunteer who cannot add the record now stops with
``make abandon-first-deploy``, which deletes this half-made stack (never the data stack) so the same
``make first-deploy`` starts again later (docs/deploy.md, "If the first deploy fails").
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

from mbc_infra.settings import StageSettings


class CertificateStack(cdk.Stack):
    """Construct id ``<stage>-cert``, stack name ``mbc-connect-<stage>-cert``."""

    def __init__(self, scope: Construct, settings: StageSettings, **kwargs: Any) -> None:
        super().__init__(
            scope,
            f"{settings.stage}-cert",
            stack_name=settings.cert_stack_name,
            description=f"{settings.app_name} {settings.stage}: the API's certificate (validated through DNS)",
            **kwargs,
        )
        self.certificate = acm.Certificate(
            self,
            "ApiCertificate",
            domain_name=settings.api_domain,
            validation=acm.CertificateValidation.from_dns(),
            certificate_name=f"{settings.stack_name} API",
        )
        cdk.CfnOutput(
            self,
            "CertificateArn",
            value=self.certificate.certificate_arn,
            description=f"ACM certificate of {settings.api_domain}",
        )
