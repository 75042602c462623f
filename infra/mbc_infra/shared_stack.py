"""Account-and-region-wide resources that dev and prod share (one copy per account/region):

- the SES domain identity (Easy DKIM, custom MAIL FROM domain). SES identities are per
  account and region, so two stage stacks creating the same domain would collide.
- API Gateway's account setting: the role it uses to write access logs to CloudWatch.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from mbc_infra.nag import acknowledge
from mbc_infra.settings import SharedSettings

SPF_RECORD = "v=spf1 include:amazonses.com ~all"
DMARC_START = "v=DMARC1; p=none"


def _label(domain: str) -> str:
    return "".join(part.capitalize() for part in domain.replace("-", ".").split("."))


class SharedStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, settings: SharedSettings, **kwargs: object) -> None:
        super().__init__(
            scope,
            construct_id,
            stack_name=settings.stack_name,
            description=f"{settings.app_name}: SES domain identity and API Gateway logging role (account-wide)",
            **kwargs,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.identities: dict[str, ses.EmailIdentity] = {}
        for domain in settings.mail_domains:
            self._identity(domain)
        self._api_gateway_logging_role()

    def _identity(self, domain: str) -> None:
        label = _label(domain)
        mail_from = f"{self.settings.mail_from_subdomain}.{domain}"
        identity = ses.EmailIdentity(
            self,
            f"Identity{label}",
            identity=ses.Identity.domain(domain),
            # Easy DKIM: SES generates the keys and rotates them; three CNAMEs in DNS.
            dkim_identity=ses.DkimIdentity.easy_dkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
            dkim_signing=True,
            # Custom MAIL FROM: bounces go to <subdomain>.<domain>, so SPF aligns with the From domain.
            mail_from_domain=mail_from,
            mail_from_behavior_on_mx_failure=ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
        )
        self.identities[domain] = identity
        for i, record in enumerate(identity.dkim_records, start=1):
            cdk.CfnOutput(
                self,
                f"{label}DkimCname{i}",
                description=f"DNS CNAME {i} of 3 for Easy DKIM of {domain}: name -> value",
                value=cdk.Fn.join(" CNAME ", [record.name, record.value]),
            )
        cdk.CfnOutput(
            self,
            f"{label}MailFromMx",
            description=f"DNS MX record for the custom MAIL FROM domain {mail_from}",
            value=cdk.Fn.sub(f"{mail_from} MX 10 feedback-smtp.${{AWS::Region}}.amazonses.com"),
        )
        cdk.CfnOutput(
            self,
            f"{label}MailFromSpf",
            description=f"DNS TXT record (SPF) for the custom MAIL FROM domain {mail_from}",
            value=f'{mail_from} TXT "{SPF_RECORD}"',
        )
        cdk.CfnOutput(
            self,
            f"{label}Dmarc",
            description="DNS TXT record to start DMARC in monitoring mode (add rua=mailto:<a mailbox you read>)",
            value=f'_dmarc.{domain} TXT "{DMARC_START}"',
        )

    def _api_gateway_logging_role(self) -> None:
        role = iam.Role(
            self,
            "ApiGatewayCloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway write REST API access logs to CloudWatch Logs (account setting)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        acknowledge(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for API Gateway's account-level "
            "logging role. Only apigateway.amazonaws.com can assume the role, and API Gateway names its log "
            "groups itself, so no narrower resource list is possible.",
        )
