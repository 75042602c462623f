"""One stage of mbc-connect (dev or prod): the Chalice app and everything around it.

What fails quietly raises an alarm (docs/deploy.md, "What the alarms mean"): structured run
summaries and outbox failures through metric filters (mbc_infra/log_contract.py), failed
asynchronous invocations and stream batches through the failed-events queue, a stuck stream
through its iterator age, and spend through an AWS Budgets alert.

The stack's construct id IS the Chalice stage name: ``chalice.cdk.Chalice`` packages the
stage named by its scope (``scope.to_string()``), so the stack for dev has id ``dev`` and
CloudFormation name ``mbc-connect-dev``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib import table as table_design
from chalicelib.distribution import scheduled as scheduled_run
from chalicelib.outbox import mapping as stream_mapping
from mbc_infra import log_contract
from mbc_infra.functions import BY_LOGICAL_ID, FUNCTIONS, SES_SEND, STREAM_READ, FunctionSpec
from mbc_infra.nag import acknowledge
from mbc_infra.settings import REPO_DIR, ConfigError, StageSettings

# app.py declares the outbox sender on this stream; infra points the mapping at the stage table's stream.
OUTBOX_STREAM_PLACEHOLDER_TABLE = "mbc-connect-placeholder"
# The mapping (filter, retries, bisect, record age, partial batch failures) is defined once, in
# chalicelib/outbox/mapping.py: devtools/stream_poller.py plays the same definition locally.
# Asynchronous invocations (SNS -> ses_events): Lambda's default retries, then the failed-events queue.
SES_EVENTS_MAX_RETRIES = 2
FAILED_EVENTS_RETENTION = cdk.Duration.days(14)
# The distribution runs every 15 minutes: an invocation older than 10 minutes is dropped (the next run is due).
# The same age the app checks itself (chalicelib/distribution/scheduled.py), for a duplicate delivered late.
SCHEDULED_RUN_MAX_EVENT_AGE_SECONDS = scheduled_run.MAX_EVENT_AGE_SECONDS
# Alarm when the stream is this far behind (the sender normally keeps up within seconds).
ITERATOR_AGE_ALARM_MS = 15 * 60 * 1000
SES_EVENT_TYPES = (
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
    ses.EmailSendingEvent.REJECT,
    ses.EmailSendingEvent.DELIVERY_DELAY,
    ses.EmailSendingEvent.RENDERING_FAILURE,
)
# SES events other than bounces and complaints (those go to the app): counted per configuration set in
# CloudWatch (AWS/SES, dimension ses:configuration-set) and alarmed: a late or refused reminder says so.
SES_DELIVERY_PROBLEMS = (
    ses.EmailSendingEvent.DELIVERY_DELAY,
    ses.EmailSendingEvent.REJECT,
    ses.EmailSendingEvent.RENDERING_FAILURE,
)
SES_DELIVERY_PROBLEM_METRICS = ("DeliveryDelay", "Reject", "RenderingFailure")
SES_CONFIGURATION_SET_DIMENSION = "ses:configuration-set"
# ACM renews a DNS-validated certificate by itself while its validation record exists: fewer days than this
# means renewal is failing (the record was removed) and the API's address stops working when it expires.
CERTIFICATE_EXPIRY_ALARM_DAYS = 30
# The personal join links' route in the access log, and what its spikes look like (alarm thresholds per 5 minutes):
# 429s mean members are refused by the route's throttle (one client can use it up for everyone);
# many 4xx mean someone is guessing links.
JOIN_LINK_ROUTE = "/j/{token}"
JOIN_LINK_THROTTLED_PATTERN = f'{{ ($.resourcePath = "{JOIN_LINK_ROUTE}") && ($.status = "429") }}'
JOIN_LINK_REFUSED_PATTERN = (
    f'{{ ($.resourcePath = "{JOIN_LINK_ROUTE}") && (($.status = "400") || ($.status = "403") || '
    '($.status = "404") || ($.status = "410")) }'
)
JOIN_LINK_THROTTLED_ALARM = 10
JOIN_LINK_REFUSED_ALARM = 50
# API Gateway access log line (JSON). No request bodies, headers or query strings.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "authorizerError": "$context.authorizer.error",
    "wafResponse": "$context.wafResponseCode",
    # What clients negotiate: the evidence before tightening the TLS policy further (docs/deploy.md).
    "tlsVersion": "$context.tlsVersion",
    "cipherSuite": "$context.cipherSuite",
}
# The custom domain's TLS: the enhanced policy (TLS 1.3 + 1.2 with forward secrecy, post-quantum key
# exchange offered) requires an endpoint access mode; STRICT refuses requests whose Host/SNI is not the domain.
API_SECURITY_POLICY = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
API_ENDPOINT_ACCESS_MODE = "STRICT"
# API Gateway's own answers (no key, unknown route, throttling, errors before the Lambda runs)
# in the API's one error shape, {"error": {"code", "message", "fields"}}, as the Lambda answers.
GATEWAY_RESPONSES: dict[str, tuple[str, str, str]] = {
    # response type: (status, code, message)
    "UNAUTHORIZED": ("401", "unauthorized", '"A valid organizer key is required."'),
    "ACCESS_DENIED": ("403", "forbidden", '"A valid organizer key is required."'),
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", '"No such resource."'),
    "THROTTLED": ("429", "too_many_requests", '"Too many requests. Please try again shortly."'),
    "DEFAULT_4XX": ("", "bad_request", "$context.error.messageString"),
    "DEFAULT_5XX": ("", "internal_error", '"Something went wrong on our side; please try again."'),
}


# .chalice/ has no policy-dev.json or policy-prod.json on purpose: a plain `chalice deploy --stage prod`
# stops on the missing file instead of creating a second, unmanaged API next to the CDK's. Packaging (here and
# `make package`) names a deny-all placeholder; every role's policy is replaced below (functions.py).
PACKAGE_POLICY_FILE = "../infra/chalice-package-policy.json"  # relative to .chalice/
CHALICE_PACKAGE_CONFIG = {"autogen_policy": False, "iam_policy_file": PACKAGE_POLICY_FILE}


class ChaliceWithBytecode(Chalice):
    """Chalice's construct, with precompiled bytecode added to deployment.zip before it becomes
    the asset: without it every cold start compiles pydantic and the app (docs/benchmarks.md)."""

    def _package_app(self) -> None:
        from devtools.package import add_bytecode  # the same step `make package` runs

        super()._package_app()
        add_bytecode(Path(self._sam_package_dir) / "deployment.zip")


class StageStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        settings: StageSettings,
        *,
        topic_key: kms.IKey,
        certificate: acm.ICertificate,
        table_stream_arn: str | None,
        **kwargs: Any,
    ) -> None:
        """``table_stream_arn``: the data stack's table stream (None after a point-in-time restore, when the
        stack names the restored table's stream from stages.json). ``certificate``: the certificate stack's."""
        super().__init__(
            scope,
            settings.stage,
            stack_name=settings.stack_name,
            description=f"{settings.app_name} {settings.stage}: API, distribution, outbox, SES, alarms (no data)",
            **kwargs,
        )
        self.settings = settings
        self.topic_key = topic_key
        self.certificate = certificate
        self._table(table_stream_arn)
        self.alarm_topic = self._alarm_topic()
        self.ses_events_topic = self._ses_events_topic()
        self.configuration_set = self._configuration_set()
        self.failed_events = self._failed_events_queue()
        self.function_logs = {
            spec.python_name: logs.CfnLogGroup(
                self,
                f"{spec.logical_id}Logs",
                log_group_name=f"/aws/lambda/{settings.function_name(spec.python_name)}",
                retention_in_days=settings.log_retention_days,
            )
            for spec in FUNCTIONS
        }
        self.access_logs = logs.CfnLogGroup(
            self,
            "ApiAccessLogs",
            log_group_name=f"/aws/apigateway/{settings.stack_name}-access",
            retention_in_days=settings.access_log_retention_days,
        )
        # Chalice packages the app (deployment.zip + SAM template) during synth. Stage values
        # come from .chalice/config.json; autogen_policy stays off (infra writes the policies).
        self.chalice = ChaliceWithBytecode(
            self, "ChaliceApp", source_dir=str(REPO_DIR), stage_config=CHALICE_PACKAGE_CONFIG
        )
        self._wire_functions()
        self._wire_api()
        self._custom_domain()
        self._wire_ses_events()
        self._wire_schedule()
        self._wire_outbox_stream()
        if settings.waf:
            self._waf()
        self._alarms()
        if settings.budget:
            self._budget()
        self._outputs()

    # ------------------------------------------------------------------ data

    def _table(self, stream_arn: str | None) -> None:
        """The table lives in the data stack (data_stack.py) or, after a point-in-time restore, in no stack;
        either way its name is fixed (TABLE_NAME), so this stack builds its ARN and only takes the stream."""
        s = self.settings
        self.table_arn = self.format_arn(service="dynamodb", resource="table", resource_name=s.table_name)
        if stream_arn is not None:
            self.stream_arn: str = stream_arn
        else:
            # After a point-in-time restore: the restored table's stream, enabled by hand (docs/deploy.md) and
            # named by stages.json table_stream_label.
            self.stream_arn = self.format_arn(
                service="dynamodb", resource="table", resource_name=f"{s.table_name}/stream/{s.table_stream_label}"
            )
        self.index_arns = [
            f"{self.table_arn}/index/{gsi['IndexName']}" for gsi in table_design.GLOBAL_SECONDARY_INDEXES
        ]

    # ------------------------------------------------------------------ topics, queue and SES

    def _alarm_topic(self) -> sns.Topic:
        s = self.settings
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=s.alarm_topic_name,
            display_name=f"{s.stack_name} alarms",
            master_key=self.topic_key,
            enforce_ssl=True,
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": self.format_arn(service="cloudwatch", resource="alarm:*")},
                    "StringEquals": {"aws:SourceAccount": self.account},
                },
            )
        )
        if s.budget:
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowBudgets",
                    principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                    conditions={
                        "ArnLike": {"aws:SourceArn": self.format_arn(service="budgets", region="", resource="*")},
                        "StringEquals": {"aws:SourceAccount": self.account},
                    },
                )
            )
        # The address comes from deploy/<org>.json: a second volunteer's deploy keeps it.
        sns.Subscription(
            self,
            "AlarmEmailSubscription",
            topic=topic,
            protocol=sns.SubscriptionProtocol.EMAIL,
            endpoint=s.org.alarm_email,
        )
        return topic

    def _ses_events_topic(self) -> sns.Topic:
        # ses.EventDestination.sns_topic adds the topic policy statement for SES (source account and
        # this configuration set's ARN as conditions).
        return sns.Topic(
            self,
            "SesEventsTopic",
            topic_name=self.settings.ses_events_topic_name,
            display_name=f"{self.settings.stack_name} SES events",
            master_key=self.topic_key,
            enforce_ssl=True,
        )

    def _configuration_set(self) -> ses.ConfigurationSet:
        s = self.settings
        config_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            configuration_set_name=s.configuration_set,
            # Account-level suppression list: SES itself stops sending to addresses that bounced or complained.
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            reputation_metrics=True,
            # deploy/<org>.json sending_enabled: false keeps an emergency stop across deploys.
            sending_enabled=s.org_stage.sending_enabled,
            # Reminders carry the meeting link and passcode: never hand them to a server without TLS.
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
        )
        config_set.add_event_destination(
            "SesEvents",
            configuration_set_event_destination_name="ses-events-to-sns",
            destination=ses.EventDestination.sns_topic(self.ses_events_topic),
            events=list(SES_EVENT_TYPES),
        )
        # Counted in CloudWatch too, for the delivery-problems alarm (the app records bounces and complaints).
        config_set.add_event_destination(
            "SesDeliveryProblems",
            configuration_set_event_destination_name="delivery-problems-to-cloudwatch",
            destination=ses.EventDestination.cloud_watch_dimensions(
                [
                    ses.CloudWatchDimension(
                        name=SES_CONFIGURATION_SET_DIMENSION,
                        source=ses.CloudWatchDimensionSource.MESSAGE_TAG,
                        default_value=s.configuration_set,
                    )
                ]
            ),
            events=list(SES_DELIVERY_PROBLEMS),
        )
        return config_set

    def _failed_events_queue(self) -> sqs.Queue:
        """Where failed work lands instead of vanishing: SES events the bounce handler could not process
        (after Lambda's retries) and outbox stream batches the sender gave up on. One queue, one alarm."""
        queue = sqs.Queue(
            self,
            "FailedEvents",
            queue_name=self.settings.failed_events_queue_name,
            # SSE-SQS (free). Bounce events hold recipient addresses; a customer-managed key adds nothing here.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=FAILED_EVENTS_RETENTION,
        )
        acknowledge(
            queue.node.default_child,  # type: ignore[arg-type]
            "AwsSolutions-SQS3",
            "This queue is itself the failure destination of the bounce handler's asynchronous invocations and "
            "of the outbox stream mapping; nothing consumes it automatically, so a dead-letter queue behind it "
            "would never receive anything. Its depth raises the failed-events alarm.",
        )
        return queue

    # ------------------------------------------------------------------ the Chalice app

    def _sam_function_ids(self) -> set[str]:
        ids = set()
        for child in self.chalice.sam_template.node.children:
            if cdk.CfnResource.is_cfn_resource(child) and child.cfn_resource_type == "AWS::Serverless::Function":  # type: ignore[attr-defined]
                ids.add(child.node.id)
        return ids

    def _wire_functions(self) -> None:
        found = self._sam_function_ids()
        unknown = sorted(found - BY_LOGICAL_ID.keys())
        if unknown:
            raise ConfigError(
                f"app.py has Lambda functions infra has no policy for: {', '.join(unknown)}. "
                "Add them to infra/mbc_infra/functions.py with the narrowest permissions they need."
            )
        gone = sorted(BY_LOGICAL_ID.keys() - found)
        if gone:
            raise ConfigError(f"infra/mbc_infra/functions.py lists functions app.py no longer has: {', '.join(gone)}")
        environment = self.settings.function_environment()
        for spec in FUNCTIONS:
            name = self.settings.function_name(spec.python_name)
            function = self.chalice.get_resource(spec.logical_id)
            function.add_property_override("FunctionName", name)
            function.add_property_override("Description", f"{self.settings.stack_name}: {spec.description}")
            # The organisation's values (deploy/<org>.json), on every function.
            for key, value in sorted(environment.items()):
                function.add_property_override(f"Environment.Variables.{key}", value)
            # The log group (with retention) exists before the function can write to it.
            function.add_resource_dependency(self.function_logs[spec.python_name])
            # Replace Chalice's placeholder policy (PACKAGE_POLICY_FILE) on the L1 itself, not through a raw
            # override, so cdk-nag checks the policy that is actually deployed.
            role = self.chalice.get_resource(spec.role_logical_id)
            role.policies = [  # type: ignore[attr-defined]
                iam.CfnRole.PolicyProperty(policy_name=f"{name}-least-privilege", policy_document=self._policy(spec))
            ]
            if spec.reads_keys:
                acknowledge(
                    role,
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
                    "kms:Decrypt for the SSM SecureString keys: the aws/ssm key id is generated per account, so the "
                    "resource is key/* in this account and region; the conditions allow it only through SSM "
                    "(kms:ViaService) and only for the stage's key parameters (kms:EncryptionContext:PARAMETER_ARN).",
                )
            if spec.sends_email:
                acknowledge(
                    role,
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]",
                    "In the SES sandbox SES authorizes the recipients' verified identities too, so the volunteer's own "
                    "verified address can receive the sign-in link and test mail: the account's identities, and only "
                    "with ses:FromAddress equal to the configured sender (the sender stays pinned).",
                )
                acknowledge(
                    role,
                    "AwsSolutions-IAM5[Resource::*]",
                    "ses:GetAccount (the account's send rate, for the shared sending budget) is an account-level "
                    "read that accepts no resource; it is the only action on *.",
                )
            if spec.reads_stream:
                acknowledge(
                    role,
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:"
                    f"table/{self.settings.table_name}/stream/*]",
                    "Lambda's stream poller reads the table's stream with the function's role; AWS documents these "
                    "four actions on table/<name>/stream/*. The table has one stream, so this is that stream only "
                    "(its label changes if the stream is ever re-enabled).",
                )

    def param_arn(self, name: str) -> str:
        return self.format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))

    def ses_resource_arns(self) -> list[str]:
        s = self.settings
        return [
            self.format_arn(service="ses", resource="identity", resource_name=s.mail_domain),
            self.format_arn(service="ses", resource="configuration-set", resource_name=s.configuration_set),
        ]

    def _policy(self, spec: FunctionSpec) -> iam.PolicyDocument:
        s = self.settings
        log_group = self.function_logs[spec.python_name]
        table = iam.PolicyStatement(
            sid="Table",
            actions=sorted(spec.table_actions),
            resources=[self.table_arn, *(self.index_arns if spec.uses_index else [])],
        )
        if spec.leading_keys:
            table.add_condition("ForAllValues:StringLike", {"dynamodb:LeadingKeys": list(spec.leading_keys)})
        statements = [
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.attr_arn],
            ),
            table,
        ]
        if spec.reads_stream:
            statements.append(
                iam.PolicyStatement(sid="Stream", actions=list(STREAM_READ), resources=[f"{self.table_arn}/stream/*"])
            )
        if spec.reads_keys:
            param_arns = [self.param_arn(p) for p in s.key_params]
            statements += [
                iam.PolicyStatement(sid="Keys", actions=["ssm:GetParameter"], resources=param_arns),
                iam.PolicyStatement(
                    sid="KeysDecrypt",
                    actions=["kms:Decrypt"],
                    resources=[self.format_arn(service="kms", resource="key", resource_name="*")],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"ssm.{self.region}.amazonaws.com",
                            "kms:EncryptionContext:PARAMETER_ARN": param_arns,
                        }
                    },
                ),
            ]
        if spec.sends_email:
            # Only as the configured sender: a bug or a stolen role cannot mail as anyone else at the domain.
            sender = {"StringEquals": {"ses:FromAddress": s.mail_from_address}}
            statements.append(
                iam.PolicyStatement(
                    sid="Mail", actions=list(SES_SEND), resources=self.ses_resource_arns(), conditions=sender
                )
            )
            # In the SES sandbox, SES also authorizes each recipient's verified identity: the account's
            # identities, still only from the configured sender (docs/deploy.md, step 7).
            statements.append(
                iam.PolicyStatement(
                    sid="MailSandboxRecipients",
                    actions=list(SES_SEND),
                    resources=[self.format_arn(service="ses", resource="identity", resource_name="*")],
                    conditions=sender,
                )
            )
            # The sending budget reads the account's send rate (SendQuota.MaxSendRate) once per container
            # (chalicelib/mail/budget.py). GetAccount reads account settings only and takes no resource.
            statements.append(iam.PolicyStatement(sid="SesAccountRate", actions=["ses:GetAccount"], resources=["*"]))
        if spec.failure_queue:
            statements.append(
                iam.PolicyStatement(
                    sid="FailedEvents", actions=["sqs:SendMessage"], resources=[self.failed_events.queue_arn]
                )
            )
        return iam.PolicyDocument(statements=statements)

    def _wire_api(self) -> None:
        s = self.settings
        api = self.chalice.get_resource("RestAPI")
        # A stage-specific API name, so the API Gateway metrics (ApiName dimension) of dev and prod differ.
        api.add_property_override("Name", s.stack_name)
        api.add_property_override("DefinitionBody.info.title", s.stack_name)
        # Only the custom domain (TLS 1.2) serves the API; the default execute-api host (TLS 1.0) is off.
        api.add_property_override("DisableExecuteApiEndpoint", True)
        # The same enhanced TLS policy as the custom domain, on the API itself (SAM passes both through).
        api.add_property_override("SecurityPolicy", API_SECURITY_POLICY)
        api.add_property_override("EndpointAccessMode", API_ENDPOINT_ACCESS_MODE)
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": s.throttle_rate_limit,
                    "ThrottlingBurstLimit": s.throttle_burst_limit,
                    "MetricsEnabled": False,
                    "DataTraceEnabled": False,
                },
                # Personal join links are clicked by most members in the minute a meeting starts;
                # the stage-wide cap would answer some of them 429 (docs/deploy.md, 'Costs').
                {
                    "ResourcePath": "/~1j~1{token}",
                    "HttpMethod": "GET",
                    "ThrottlingRateLimit": s.join_link_throttle_rate_limit,
                    "ThrottlingBurstLimit": s.join_link_throttle_burst_limit,
                    "MetricsEnabled": False,
                    "DataTraceEnabled": False,
                },
            ],
        )
        api.add_property_override(
            "AccessLogSetting",
            {
                "DestinationArn": self.access_logs.attr_arn,
                "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
            },
        )
        for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
            headers = {"gatewayresponse.header.Content-Type": "'application/json'"}
            if response_type == "UNAUTHORIZED":
                headers["gatewayresponse.header.WWW-Authenticate"] = "'Bearer'"
            body = '{"error":{"code":"%s","message":%s,"fields":{}}}' % (code, message)  # noqa: UP031
            apigw.CfnGatewayResponse(
                self,
                f"GatewayResponse{response_type.title().replace('_', '')}",
                rest_api_id=api.ref,
                response_type=response_type,
                status_code=status or None,
                response_parameters=headers,
                response_templates={"application/json": body},
            )

    def _custom_domain(self) -> None:
        """api.<domain>: the certificate stack's ACM certificate, a REGIONAL domain name with the enhanced TLS
        policy (TLS 1.3 and 1.2, forward secrecy only, post-quantum key exchange offered), STRICT access mode
        (a request's Host/SNI must name this domain), and the API's stage mapped at its root."""
        s = self.settings
        self.api_domain_name = apigw.CfnDomainName(
            self,
            "ApiDomain",
            domain_name=s.api_domain,
            regional_certificate_arn=self.certificate.certificate_arn,
            endpoint_configuration=apigw.CfnDomainName.EndpointConfigurationProperty(types=["REGIONAL"]),
            security_policy=API_SECURITY_POLICY,
            endpoint_access_mode=API_ENDPOINT_ACCESS_MODE,
        )
        apigw.CfnBasePathMapping(
            self,
            "ApiDomainMapping",
            domain_name=self.api_domain_name.ref,
            rest_api_id=self.chalice.get_resource("RestAPI").ref,
            # ${RestAPI.Stage} is SAM's reference to the stage it generates (and waits for it).
            stage=cdk.Fn.sub("${RestAPI.Stage}"),
        )

    def _wire_ses_events(self) -> None:
        # app.py names a topic ("mbc-connect-ses-events"); each stage subscribes to its own topic instead,
        # the one its configuration set publishes to.
        function = self.chalice.get_resource("SesEvents")
        function.add_property_override(
            "Events.SesEventsSnsSubscription.Properties.Topic", self.ses_events_topic.topic_arn
        )
        # SNS invokes the function asynchronously: after Lambda's retries the event goes to the queue
        # instead of being dropped (a lost bounce would keep mailing a dead address).
        lambda_.CfnEventInvokeConfig(
            self,
            "SesEventsInvokeConfig",
            function_name=function.ref,
            qualifier="$LATEST",
            maximum_retry_attempts=SES_EVENTS_MAX_RETRIES,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=self.failed_events.queue_arn)
            ),
        )

    def _wire_schedule(self) -> None:
        # No retries of a failed run: the delivery ledger makes the next scheduled run (15 minutes) the retry,
        # and a retry overlapping the next run would only compete with it.
        lambda_.CfnEventInvokeConfig(
            self,
            "DistributeLinksInvokeConfig",
            function_name=self.chalice.get_resource("DistributeLinks").ref,
            qualifier="$LATEST",
            maximum_retry_attempts=0,
            # EventBridge delivers at least once and Lambda may queue an invocation: one that starts this late
            # would overlap the next scheduled run, which does the same work. Dropped instead.
            maximum_event_age_in_seconds=SCHEDULED_RUN_MAX_EVENT_AGE_SECONDS,
        )

    def _sam_template(self) -> dict[str, Any]:
        """The template Chalice generated (before the overrides below)."""
        path = Path(self.chalice._sam_package_dir) / "sam.json"
        template: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return template

    def _outbox_event_name(self) -> str:
        function = self._sam_template()["Resources"]["OutboxSender"]["Properties"]
        events = function.get("Events", {})
        names = [k for k, v in events.items() if v.get("Type") == "DynamoDB"]
        if len(names) != 1:
            raise ConfigError(f"outbox_sender must have exactly one DynamoDB stream event in app.py, found {names}")
        stream = str(events[names[0]]["Properties"].get("Stream", ""))
        if f":table/{OUTBOX_STREAM_PLACEHOLDER_TABLE}/" not in stream:
            raise ConfigError(
                f"outbox_sender's stream_arn in app.py must be the placeholder table {OUTBOX_STREAM_PLACEHOLDER_TABLE} "
                f"(infra points it at the stage table), not {stream!r}"
            )
        return str(names[0])

    def _wire_outbox_stream(self) -> None:
        def _compact(pattern: dict[str, Any]) -> str:
            return json.dumps(pattern, separators=(",", ":"))

        function = self.chalice.get_resource("OutboxSender")
        prefix = f"Events.{self._outbox_event_name()}.Properties"
        for key, value in {
            "Stream": self.stream_arn,
            "FilterCriteria": {"Filters": [{"Pattern": _compact(p)} for p in stream_mapping.FILTER_PATTERNS]},
            "BatchSize": stream_mapping.BATCH_SIZE,
            "StartingPosition": stream_mapping.STARTING_POSITION,
            "MaximumRetryAttempts": stream_mapping.MAXIMUM_RETRY_ATTEMPTS,
            "BisectBatchOnFunctionError": stream_mapping.BISECT_BATCH_ON_FUNCTION_ERROR,
            "MaximumRecordAgeInSeconds": stream_mapping.MAXIMUM_RECORD_AGE_SECONDS,
            "FunctionResponseTypes": list(stream_mapping.FUNCTION_RESPONSE_TYPES),
            "DestinationConfig": {"OnFailure": {"Destination": self.failed_events.queue_arn}},
        }.items():
            function.add_property_override(f"{prefix}.{key}", value)

    def _waf(self) -> None:
        s = self.settings
        metric_prefix = s.stack_name.replace("-", "")
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=s.stack_name,
            description="Per-IP rate limit in front of the API",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"{metric_prefix}WebAcl", sampled_requests_enabled=False
            ),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=s.waf_rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                        )
                    ),
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True,
                        metric_name=f"{metric_prefix}RateLimitPerIp",
                        sampled_requests_enabled=False,
                    ),
                )
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            # ${RestAPI.Stage} is SAM's reference to the stage it generates (and waits for it).
            resource_arn=cdk.Fn.sub(
                "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/${RestAPI.Stage}"
            ),
            web_acl_arn=acl.attr_arn,
        )

    # ------------------------------------------------------------------ alarms

    def _alarm(
        self,
        construct_id: str,
        suffix: str,
        description: str,
        metric: cw.IMetric,
        threshold: float,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        missing: cw.TreatMissingData = cw.TreatMissingData.IGNORE,
    ) -> cw.Alarm:
        """One email when an incident starts and one when it is over (docs/deploy.md, "One email per
        incident"): a one-hour sliding window, and periods without data keep the current state
        (IGNORE), so a failure that repeats every run stays one ALARM instead of ALARM/OK every period."""
        alarm = cw.Alarm(
            self,
            construct_id,
            alarm_name=f"{self.settings.stack_name}-{suffix}",
            alarm_description=f"{description} See docs/deploy.md, 'What the alarms mean'.",
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=missing,
        )
        action = cw_actions.SnsAction(self.alarm_topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        return alarm

    def _lambda_metric(self, python_name: str, metric_name: str, statistic: str, period: cdk.Duration) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/Lambda",
            metric_name=metric_name,
            dimensions_map={"FunctionName": self.settings.function_name(python_name)},
            statistic=statistic,
            period=period,
        )

    @property
    def metric_namespace(self) -> str:
        return f"{self.settings.app_name}/{self.settings.stage}"

    def _metric_filters(self, specs: tuple[log_contract.MetricFilterSpec, ...]) -> None:
        for spec in specs:
            for python_name in spec.log_groups:
                suffix = "" if len(spec.log_groups) == 1 else BY_NAME_LOGICAL[python_name]
                logs.CfnMetricFilter(
                    self,
                    f"{spec.construct_id}{suffix}",
                    log_group_name=self.function_logs[python_name].ref,
                    filter_pattern=spec.pattern,
                    metric_transformations=[
                        logs.CfnMetricFilter.MetricTransformationProperty(
                            metric_namespace=self.metric_namespace,
                            metric_name=spec.metric_name,
                            metric_value=spec.metric_value,
                            default_value=spec.default_value,
                            unit="Count",
                        )
                    ],
                )

    def _log_metric(self, metric_name: str, statistic: str, period: cdk.Duration) -> cw.Metric:
        return cw.Metric(namespace=self.metric_namespace, metric_name=metric_name, statistic=statistic, period=period)

    def _alarms(self) -> None:
        s = self.settings
        hour, five_minutes = cdk.Duration.hours(1), cdk.Duration.minutes(5)
        full = s.alarms == "full"
        self._metric_filters(log_contract.ALL_FILTERS if full else log_contract.MINIMAL_FILTERS)
        self._alarm(
            "DistributionStoppedAlarm",
            "distribution-stopped",
            "A distribution run or an announcement's sending pass stopped early because sending cannot work "
            "(stopped = error, throttled, account or config in its summary line): SES refuses the account, "
            "AccessDenied, quota, or a setting. Reminders, meeting links and announcements are not going out "
            "until it is fixed; the next scheduled run after the fix sends what waited.",
            self._log_metric(log_contract.RUN_STOPPED.metric_name, "Maximum", hour),
            1,
        )
        self._alarm(
            "MailFailedAlarm",
            "mail-failed",
            "Email could not be sent: SES refused a member's address in a distribution run or an announcement "
            "(failed > 0 in its summary line), or a transactional email (confirmation, welcome, organizer notice, "
            "sign-in link) logged outbox_failed.",
            self._log_metric(log_contract.RUN_FAILED.metric_name, "Sum", hour),
            1,
        )
        self._alarm(
            "CertificateExpiryAlarm",
            "certificate-expiring",
            f"The API certificate of {s.api_domain} expires in less than {CERTIFICATE_EXPIRY_ALARM_DAYS} days: ACM "
            "could not renew it, usually because its DNS validation record was removed. Put the record back "
            "(make status prints it); when the certificate expires, links in emails stop working.",
            cw.Metric(
                namespace="AWS/CertificateManager",
                metric_name="DaysToExpiry",
                dimensions_map={"CertificateArn": self.certificate.certificate_arn},
                statistic="Minimum",
                period=cdk.Duration.days(1),
            ),
            CERTIFICATE_EXPIRY_ALARM_DAYS,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        )
        if not full:
            return
        self._join_link_alarms()
        self._alarm(
            "LambdaThrottlesAlarm",
            "lambda-throttled",
            "Lambda refused to run functions in this account (throttled): the account's concurrency is used up (new "
            "accounts start at 10; request 1000 in Service Quotas) or a burst of requests took it. Pages fail, "
            "and reminders and confirmations wait. The account is mbc-connect's alone, so its total is ours.",
            # The account-wide metric (no dimension): one alarm metric instead of one per function.
            cw.Metric(namespace="AWS/Lambda", metric_name="Throttles", statistic="Sum", period=hour),
            1,
        )
        self._alarm(
            "TableThrottledAlarm",
            "table-throttled",
            f"DynamoDB throttled requests on {s.table_name} (its on-demand ceilings, infra/stages.json): sending "
            "slows down and pages may fail. A runaway loop, abuse, or a ceiling below what the send rate needs.",
            cw.MathExpression(
                expression="FILL(r, 0) + FILL(w, 0) + FILL(ir, 0) + FILL(iw, 0)",
                using_metrics={
                    "r": self._table_metric("ReadThrottleEvents", hour),
                    "w": self._table_metric("WriteThrottleEvents", hour),
                    "ir": self._table_metric("ReadThrottleEvents", hour, index=True),
                    "iw": self._table_metric("WriteThrottleEvents", hour, index=True),
                },
                period=hour,
                label="Throttle events of the table and its index",
            ),
            1,
        )
        self._alarm(
            "SesDeliveryProblemsAlarm",
            "ses-delivery-problems",
            "SES reported emails of this stage delayed (DeliveryDelay: the receiving server keeps refusing for now), "
            "rejected (Reject: SES found a virus) or not rendered (RenderingFailure): reminders may arrive late or "
            "not at all.",
            cw.MathExpression(
                expression=" + ".join(f"FILL(m{i}, 0)" for i in range(len(SES_DELIVERY_PROBLEM_METRICS))),
                using_metrics={
                    f"m{i}": cw.Metric(
                        namespace="AWS/SES",
                        metric_name=name,
                        dimensions_map={SES_CONFIGURATION_SET_DIMENSION: s.configuration_set},
                        statistic="Sum",
                        period=hour,
                    )
                    for i, name in enumerate(SES_DELIVERY_PROBLEM_METRICS)
                },
                period=hour,
                label="DeliveryDelay + Reject + RenderingFailure",
            ),
            1,
        )
        self._alarm(
            "DistributionNoSuccessAlarm",
            "distribute_links-no-successful-run",
            "No distribution run completed in the last hour (it runs every 15 minutes): the schedule is off, every "
            "run crashed, or every run stopped early. Meeting links may not go out.",
            self._log_metric(log_contract.RUN_SUCCEEDED.metric_name, "Sum", hour),
            1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cw.TreatMissingData.BREACHING,
        )
        behind = cw.Alarm(
            self,
            "DistributionBehindAlarm",
            alarm_name=f"{s.stack_name}-distribution-behind",
            alarm_description=(
                "Two scheduled distribution runs in a row ran out of time with reminders still due (stopped = "
                "deadline): sending has fallen behind the schedule (a very large announcement, a send rate below "
                "the chapter's size, or throttling). Reminders go out late. See docs/deploy.md, 'What the alarms "
                "mean'."
            ),
            metric=self._log_metric(log_contract.RUN_AT_DEADLINE.metric_name, "Maximum", cdk.Duration.minutes(15)),
            threshold=1,
            # One run every 15 minutes: two 15-minute periods in a row, each with a run at its deadline.
            evaluation_periods=2,
            datapoints_to_alarm=2,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.IGNORE,
        )
        behind.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
        behind.add_ok_action(cw_actions.SnsAction(self.alarm_topic))
        self._alarm(
            "DistributeLinksErrorsAlarm",
            "distribute_links-errors",
            "distribute_links crashed or timed out (the next run, 15 minutes later, retries what was not sent).",
            self._lambda_metric("distribute_links", "Errors", "Sum", hour),
            1,
        )
        self._alarm(
            "Api5xxAlarm",
            "api-5xx",
            "The API answered 5XX errors (3 or more within an hour): the site's forms, member links or the "
            "organizer console may be failing. The authorizer's failures show here too.",
            cw.Metric(
                namespace="AWS/ApiGateway",
                metric_name="5XXError",
                dimensions_map={"ApiName": s.stack_name, "Stage": s.api_gateway_stage},
                statistic="Sum",
                period=hour,
            ),
            3,
        )
        self._alarm(
            "FailedEventsAlarm",
            "failed-events",
            f"Work failed for good and waits in the SQS queue {s.failed_events_queue_name}: a bounce or complaint "
            "the bounce handler could not record, or an outbox stream batch the sender gave up on.",
            cw.Metric(
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions_map={"QueueName": s.failed_events_queue_name},
                statistic="Maximum",
                period=five_minutes,
            ),
            1,
        )
        self._alarm(
            "OutboxIteratorAgeAlarm",
            "outbox-stream-behind",
            "The outbox sender is more than 15 minutes behind the table's stream: confirmation and welcome emails "
            "are late (a batch keeps failing and is being retried, or the function is throttled).",
            self._lambda_metric("outbox_sender", "IteratorAge", "Maximum", hour),
            ITERATOR_AGE_ALARM_MS,
        )
        if s.ses_account_alarms:
            for metric_name, threshold, suffix, what in (
                ("Reputation.BounceRate", s.bounce_rate_threshold, "ses-bounce-rate", "bounce"),
                ("Reputation.ComplaintRate", s.complaint_rate_threshold, "ses-complaint-rate", "complaint"),
            ):
                self._alarm(
                    f"Ses{what.capitalize()}RateAlarm",
                    suffix,
                    f"The SES account's {what} rate reached {threshold:.2%}. AWS reviews accounts at 5% bounces "
                    "or 0.1% complaints and may pause sending: find the cause before sending more.",
                    cw.Metric(namespace="AWS/SES", metric_name=metric_name, statistic="Maximum", period=hour),
                    threshold,
                )

    def _table_metric(self, metric_name: str, period: cdk.Duration, *, index: bool = False) -> cw.Metric:
        dimensions = {"TableName": self.settings.table_name}
        if index:
            dimensions["GlobalSecondaryIndexName"] = table_design.GLOBAL_SECONDARY_INDEXES[0]["IndexName"]
        return cw.Metric(
            namespace="AWS/DynamoDB", metric_name=metric_name, dimensions_map=dimensions, statistic="Sum", period=period
        )

    def _join_link_alarms(self) -> None:
        """Spikes on the personal join links around a meeting's start, from the API access log."""
        five_minutes = cdk.Duration.minutes(5)
        for construct_id, metric_name, pattern, suffix, threshold, what in (
            (
                "JoinLinkThrottled",
                "JoinLinkThrottled",
                JOIN_LINK_THROTTLED_PATTERN,
                "join-links-throttled",
                JOIN_LINK_THROTTLED_ALARM,
                f"API Gateway answered 429 to {JOIN_LINK_THROTTLED_ALARM} or more personal join link clicks "
                "(GET /j/{token}) within 5 minutes: members were refused at a meeting's start. One client can use "
                "up the route's throttle for everyone: look at the access log's client IPs; raise "
                "join_link_throttle_* (infra/stages.json) or turn on the WAF.",
            ),
            (
                "JoinLinkRefused",
                "JoinLinkRefused",
                JOIN_LINK_REFUSED_PATTERN,
                "join-links-refused",
                JOIN_LINK_REFUSED_ALARM,
                f"{JOIN_LINK_REFUSED_ALARM} or more personal join link requests (GET /j/{{token}}) were refused "
                "(400, 403, 404, 410) within 5 minutes: someone may be guessing links, or a reminder went out with "
                "broken links.",
            ),
        ):
            logs.CfnMetricFilter(
                self,
                f"{construct_id}Filter",
                log_group_name=self.access_logs.ref,
                filter_pattern=pattern,
                metric_transformations=[
                    logs.CfnMetricFilter.MetricTransformationProperty(
                        metric_namespace=self.metric_namespace, metric_name=metric_name, metric_value="1", unit="Count"
                    )
                ],
            )
            self._alarm(
                f"{construct_id}Alarm",
                suffix,
                what,
                self._log_metric(metric_name, "Sum", five_minutes),
                threshold,
            )

    def _budget(self) -> None:
        """An AWS Budgets alert on the whole account's monthly cost, to the alarm topic: abuse that runs up
        the bill (API, Lambda, DynamoDB, SES) is noticed within a day, not at the end of the month."""
        s = self.settings
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=self.alarm_topic.topic_arn)
        ]
        notifications = [
            budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=threshold,
                    threshold_type="PERCENTAGE",
                ),
                subscribers=subscribers,
            )
            for kind, threshold in (("ACTUAL", 50), ("ACTUAL", 100), ("FORECASTED", 100))
        ]
        budget = budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{s.app_name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=s.org.monthly_budget_usd, unit="USD"),
            ),
            notifications_with_subscribers=notifications,
        )
        # Budgets checks that it may publish when the budget is created: the topic policy first.
        policy = self.alarm_topic.node.find_child("Policy").node.default_child
        assert isinstance(policy, cdk.CfnResource)
        budget.add_resource_dependency(policy)

    def _outputs(self) -> None:
        s = self.settings
        # Chalice's own EndpointURL output names the execute-api host, which is disabled here: ApiUrl replaces it.
        endpoint = self.chalice.sam_template.get_output("EndpointURL")
        assert endpoint.node.scope is not None
        endpoint.node.scope.node.try_remove_child(endpoint.node.id)
        cdk.CfnOutput(
            self,
            "ApiUrl",
            description="Base URL of the API (PUBLIC_API_URL; the form posts to <ApiUrl>groups/<group>/signups)",
            value=f"{s.org_stage.public_api_url}/",
        )
        cdk.CfnOutput(
            self,
            "ApiDomainDnsRecord",
            description=f"DNS record to create so {s.api_domain} reaches the API",
            value=cdk.Fn.join("", [s.api_domain, " CNAME ", self.api_domain_name.attr_regional_domain_name]),
        )
        cdk.CfnOutput(self, "TableName", value=s.table_name, description="DynamoDB table (TABLE_NAME)")
        cdk.CfnOutput(self, "ConfigurationSetName", value=s.configuration_set, description="SES configuration set")
        cdk.CfnOutput(
            self,
            "KeyParameters",
            value=" ".join(s.key_params),
            description="SSM SecureStrings: signing key, previous signing key (optional), identity key",
        )
        cdk.CfnOutput(self, "SesEventsTopicArn", value=self.ses_events_topic.topic_arn)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
        cdk.CfnOutput(self, "FailedEventsQueueUrl", value=self.failed_events.queue_url)


BY_NAME_LOGICAL = {spec.python_name: spec.logical_id for spec in FUNCTIONS}
