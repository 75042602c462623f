"""Account-and-region-wide resources that dev and prod share (one copy per account/region):

- the SES domain identity (Easy DKIM, custom MAIL FROM domain). SES identities are per
  account and region, so two stage stacks creating the same domain would collide. Retained:
  replacing or deleting it would change the DKIM tokens and stop mail until DNS is redone.
- API Gateway's account setting: the role it uses to write access logs to CloudWatch.
- the one customer-managed KMS key, for the SNS topics of both stages (SES events, alarms,
  budget notices): SES, CloudWatch and Budgets cannot publish to topics under ``aws/sns``.
- the key guard: a managed policy denying writes and deletes of the SSM key parameters to
  everyone but the key-admin role (attach it to the administrators' group or permission set),
  and that role, the one explicit way to create, rotate, restore or retire the keys.
- the operator: a managed policy (for an IAM Identity Center permission set or a group) and a role with
  what ``make status`` and ``make alarm-test`` read, which cannot read the table, the failed-events
  queue or the keys (explicit denies: they win over anything else attached).
- one CloudTrail trail of management events (who changed what in the account), into a retained,
  private S3 bucket, kept a year.

Stateful resources (identity, key, trail bucket) use ``RETAIN_ON_UPDATE_OR_DELETE``
(``DeletionPolicy: RetainExceptOnCreate``): a failed first create cleans up, later deletes keep them.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from constructs import Construct

from mbc_infra.nag import acknowledge
from mbc_infra.settings import SharedSettings

SPF_RECORD = "v=spf1 include:amazonses.com ~all"
DMARC_START = "v=DMARC1; p=none"
# KMS allows 90-2560 days. The key only wraps SNS messages until they are delivered (seconds): rotation
# protects no stored data here, and each of the first two rotations adds $1/month. docs/deploy.md, "Costs".
KEY_ROTATION_DAYS = 2560
# Service principals that publish to the encrypted topics: (statement id, service, source ARN pattern).
TOPIC_PUBLISHERS = (
    ("AllowCloudWatchAlarms", "cloudwatch.amazonaws.com"),
    ("AllowSesEvents", "ses.amazonaws.com"),
    ("AllowBudgets", "budgets.amazonaws.com"),
)
# What the key guard denies on the key parameters (everyone but the key-admin role).
# What the operator may never do, whatever else is attached: read members' data (the table and its stream,
# a point-in-time export), the failed-events queue's messages (bounce events hold addresses), or the keys.
OPERATOR_DENIED = (
    "dynamodb:BatchGetItem",
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:PartiQLSelect",
    "dynamodb:Query",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:Scan",
    "kms:Decrypt",
    "sqs:ReceiveMessage",
    "ssm:GetParameter",
    "ssm:GetParameterHistory",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
)
# make status reads these (devtools/deploy_status.py), and make alarm-test sets one alarm's state.
OPERATOR_READS_ANYWHERE = (
    "acm:ListCertificates",
    "cloudwatch:DescribeAlarms",
    "lambda:GetAccountSettings",
    "logs:TestMetricFilter",
    "ses:GetAccount",
    "ses:ListEmailIdentities",
    "ssm:DescribeParameters",
)
TRAIL_RETENTION = cdk.Duration.days(365)
GUARDED_SSM_ACTIONS = (
    "ssm:DeleteParameter",
    "ssm:DeleteParameters",
    "ssm:LabelParameterVersion",
    "ssm:PutParameter",
    "ssm:UnlabelParameterVersion",
)


def _label(domain: str) -> str:
    return "".join(part.capitalize() for part in domain.replace("-", ".").split("."))


class SharedStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, settings: SharedSettings, **kwargs: object) -> None:
        super().__init__(
            scope,
            construct_id,
            stack_name=settings.stack_name,
            description=f"{settings.app_name}: SES domain identity and API Gateway logging role (account-wide)",
            # Never deleted by accident: the identity's DKIM tokens are in the organisation's DNS.
            termination_protection=True,
            **kwargs,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.identities: dict[str, ses.EmailIdentity] = {}
        for domain in settings.mail_domains:
            self._identity(domain)
        self._api_gateway_logging_role()
        self.topic_key = self._topic_key()
        self._key_guard()
        self._operator()
        self._trail()

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
        # Kept if the stack deletes or replaces it: the DKIM tokens in DNS belong to this identity.
        identity.apply_removal_policy(cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
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

    def _topic_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "TopicKey",
            alias=f"alias/{self.settings.app_name}-topics",
            description=f"{self.settings.app_name}: encrypts the SNS topics of every stage (SES events, alarms)",
            enable_key_rotation=True,
            rotation_period=cdk.Duration.days(KEY_ROTATION_DAYS),
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        # The services encrypt the messages they publish to the topics with this key; only on behalf of
        # this account (confused-deputy protection: another account's alarm or budget cannot use it).
        for sid, service in TOPIC_PUBLISHERS:
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                )
            )
        cdk.CfnOutput(self, "TopicKeyArn", value=key.key_arn, description="KMS key of the SNS topics")
        return key

    def _key_param_arns(self) -> list[str]:
        return [
            self.format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))
            for name in self.settings.key_params
        ]

    def _key_guard(self) -> None:
        s = self.settings
        params = self._key_param_arns()
        admin = iam.Role(
            self,
            "KeyAdminRole",
            role_name=s.key_admin_role_name,
            description="The one way to create, rotate, restore or retire the mbc-connect key parameters",
            # Anyone in this account whose own policies allow sts:AssumeRole on it (administrators).
            assumed_by=iam.AccountRootPrincipal(),
            max_session_duration=cdk.Duration.hours(1),
        )
        admin.add_to_policy(
            iam.PolicyStatement(
                sid="KeyParameters",
                actions=["ssm:DeleteParameter", "ssm:GetParameter", "ssm:PutParameter"],
                resources=params,
            )
        )
        admin.add_to_policy(
            iam.PolicyStatement(
                sid="KeyParametersEncryption",
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[self.format_arn(service="kms", resource="key", resource_name="*")],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"ssm.{self.region}.amazonaws.com",
                        "kms:EncryptionContext:PARAMETER_ARN": params,
                    }
                },
            )
        )
        acknowledge(
            admin.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
            "SecureString encryption through SSM with the aws/ssm key, whose id is generated per account: the "
            "resource is key/* in this account and region, limited by kms:ViaService (SSM only) and "
            "kms:EncryptionContext:PARAMETER_ARN (only the key parameters).",
        )
        iam.ManagedPolicy(
            self,
            "KeyGuardPolicy",
            managed_policy_name=s.key_guard_policy_name,
            description=(
                "Attach to every administrator (IAM group or Identity Center permission set): only the "
                f"{s.key_admin_role_name} role may change or delete the mbc-connect key parameters"
            ),
            statements=[
                iam.PolicyStatement(
                    sid="OnlyTheKeyAdminRoleWritesKeys",
                    effect=iam.Effect.DENY,
                    actions=list(GUARDED_SSM_ACTIONS),
                    resources=params,
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": admin.role_arn}},
                )
            ],
        )
        cdk.CfnOutput(self, "KeyAdminRoleArn", value=admin.role_arn, description="Assume it to change the keys")
        cdk.CfnOutput(
            self,
            "KeyGuardPolicyName",
            value=s.key_guard_policy_name,
            description="Attach this managed policy to your administrators",
        )

    @property
    def operator_role_name(self) -> str:
        return f"{self.settings.app_name}-operator"

    def _operator(self) -> None:
        """What a volunteer who only looks after the installation needs: ``make status`` and ``make alarm-test``."""
        app = self.settings.app_name
        arn = self.format_arn
        statements = [
            iam.PolicyStatement(sid="ReadAnywhere", actions=list(OPERATOR_READS_ANYWHERE), resources=["*"]),
            iam.PolicyStatement(
                sid="Stacks",
                actions=["cloudformation:DescribeStacks", "cloudformation:DescribeStackResources"],
                resources=[arn(service="cloudformation", resource="stack", resource_name=f"{app}-*")],
            ),
            iam.PolicyStatement(
                sid="Mail",
                actions=["ses:GetConfigurationSet", "ses:GetEmailIdentity"],
                resources=[
                    arn(service="ses", resource="identity", resource_name=self.settings.org.domain),
                    arn(service="ses", resource="configuration-set", resource_name=f"{app}-*"),
                ],
            ),
            iam.PolicyStatement(
                sid="AlarmsAndQueue",
                actions=["sns:ListSubscriptionsByTopic", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[
                    arn(service="sns", resource=f"{app}-*-alarms"),
                    arn(service="sqs", resource=f"{app}-*-failed-events"),
                ],
            ),
            iam.PolicyStatement(
                sid="AlarmTest",
                actions=["cloudwatch:SetAlarmState"],
                resources=[
                    arn(
                        service="cloudwatch",
                        resource="alarm",
                        resource_name=f"{app}-*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(
                sid="RunSummaries",
                actions=["logs:FilterLogEvents"],
                # Only the scheduled function's log: run summaries hold ids and counts.
                resources=[
                    arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"/aws/lambda/{app}-*-distribute_links:*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(
                sid="NeverMembersDataOrKeys",
                effect=iam.Effect.DENY,
                actions=list(OPERATOR_DENIED),
                resources=["*"],
            ),
        ]
        policy = iam.ManagedPolicy(
            self,
            "OperatorPolicy",
            managed_policy_name=self.operator_role_name,
            description=(
                "make status and make alarm-test: read the installation's health, never the table, the "
                "failed-events queue or the keys. Attach to the operators' permission set or group."
            ),
            statements=statements,
        )
        role = iam.Role(
            self,
            "OperatorRole",
            role_name=self.operator_role_name,
            description="make status AS=operator: the installation's health without access to members' data",
            assumed_by=iam.AccountRootPrincipal(),
            max_session_duration=cdk.Duration.hours(1),
            managed_policies=[policy],
        )
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Read-only calls that accept no narrower resource (ListCertificates, DescribeAlarms, GetAccountSettings, "
            "TestMetricFilter, GetAccount, ListEmailIdentities, DescribeParameters: names and metadata, never values), "
            "and the explicit deny of every data and key read, which must cover everything.",
        )
        for finding, reason in (
            (
                f"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/{app}-*",
                "The installation's stacks (shared, and per stage the data, certificate and app stacks): their states "
                "and outputs, which hold names and DNS records only.",
            ),
            (
                f"Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/{app}-*",
                "The configuration sets of both stages (sending switch, TLS policy): settings, no messages.",
            ),
            (
                f"Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:{app}-*-alarms",
                "The alarm topics of both stages: whether the alarm mailbox confirmed its subscription.",
            ),
            (
                f"Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:{app}-*-failed-events",
                "The failed-events queues' depth only (GetQueueAttributes); reading messages is denied.",
            ),
            (
                f"Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:{app}-*",
                "make alarm-test sets one of the installation's alarms to ALARM to prove the email path.",
            ),
            (
                f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/lambda/{app}-*-distribute_links:*",
                "The scheduled function's log of both stages: its run summaries carry ids and counts only.",
            ),
        ):
            acknowledge(policy, f"AwsSolutions-IAM5[{finding}]", reason)
        cdk.CfnOutput(self, "OperatorRoleArn", value=role.role_arn, description="make status AS=operator")

    def _trail(self) -> None:
        """One trail of the account's management events (every region): who created, changed or deleted
        what, kept a year. The first copy of management events is free; storage costs cents."""
        bucket = s3.Bucket(
            self,
            "TrailBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=TRAIL_RETENTION)],
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "This bucket only receives CloudTrail's log files; its own reads and writes are management and data "
            "events of the account, and server access logs of a log bucket would need yet another bucket.",
        )
        cloudtrail.Trail(
            self,
            "Trail",
            trail_name=f"{self.settings.app_name}-management-events",
            bucket=bucket,
            is_multi_region_trail=True,
            include_global_service_events=True,
            management_events=cloudtrail.ReadWriteType.ALL,
            enable_file_validation=True,
            send_to_cloud_watch_logs=False,
        )
