"""One stage of mbc-connect (dev or prod): the Chalice app and everything around it.

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
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib import table as table_design
from mbc_infra.functions import BY_LOGICAL_ID, FUNCTIONS, SES_SEND, FunctionSpec
from mbc_infra.nag import acknowledge
from mbc_infra.settings import REPO_DIR, ConfigError, StageSettings

# The log line chalicelib/distribution.py writes when SES refuses to send for the account.
DISTRIBUTION_STOPPED_LINE = "ALARM distribution stopped"
SES_EVENT_TYPES = (
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
    ses.EmailSendingEvent.REJECT,
    ses.EmailSendingEvent.DELIVERY_DELAY,
    ses.EmailSendingEvent.RENDERING_FAILURE,
)
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
}
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


class ChaliceWithBytecode(Chalice):
    """Chalice's construct, with precompiled bytecode added to deployment.zip before it becomes
    the asset: without it every cold start compiles pydantic and the app (docs/benchmarks.md)."""

    def _package_app(self) -> None:
        from devtools.package import add_bytecode  # the same step `make package` runs

        super()._package_app()
        add_bytecode(Path(self._sam_package_dir) / "deployment.zip")


_DDB_TYPES = {"S": ddb.AttributeType.STRING, "N": ddb.AttributeType.NUMBER, "B": ddb.AttributeType.BINARY}
_PROJECTIONS = {
    "ALL": ddb.ProjectionType.ALL,
    "KEYS_ONLY": ddb.ProjectionType.KEYS_ONLY,
    "INCLUDE": ddb.ProjectionType.INCLUDE,
}


def _attribute(name: str) -> ddb.Attribute:
    types = {d["AttributeName"]: d["AttributeType"] for d in table_design.ATTRIBUTE_DEFINITIONS}
    return ddb.Attribute(name=name, type=_DDB_TYPES[types[name]])


def _key(schema: list[dict[str, str]], key_type: str) -> ddb.Attribute | None:
    names = [k["AttributeName"] for k in schema if k["KeyType"] == key_type]
    return _attribute(names[0]) if names else None


class StageStack(cdk.Stack):
    def __init__(self, scope: Construct, settings: StageSettings, **kwargs: Any) -> None:
        super().__init__(
            scope,
            settings.stage,
            stack_name=settings.stack_name,
            description=f"{settings.app_name} {settings.stage}: API, scheduled distribution, table, SES, alarms",
            **kwargs,
        )
        self.settings = settings
        self.alarm_email = cdk.CfnParameter(
            self,
            "AlarmEmail",
            type="String",
            description="Address that receives alarm emails (confirm the subscription email SNS sends to it)",
            allowed_pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            constraint_description="must be an email address",
        )
        self._table()
        self.topic_key = self._topic_key()
        self.alarm_topic = self._alarm_topic()
        self.ses_events_topic = self._ses_events_topic()
        self.configuration_set = self._configuration_set()
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
            self, "ChaliceApp", source_dir=str(REPO_DIR), stage_config={"autogen_policy": False}
        )
        self._wire_functions()
        self._wire_api()
        self._wire_ses_events()
        if settings.waf:
            self._waf()
        self._alarms()
        self._outputs()

    # ------------------------------------------------------------------ data

    def _table(self) -> None:
        s = self.settings
        if s.manage_table:
            table = ddb.Table(
                self,
                "Table",
                table_name=s.table_name,
                partition_key=_key(table_design.KEY_SCHEMA, "HASH"),
                sort_key=_key(table_design.KEY_SCHEMA, "RANGE"),
                billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=True,
                encryption=ddb.TableEncryption.AWS_MANAGED,
                time_to_live_attribute=table_design.TTL_ATTRIBUTE,
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            for gsi in table_design.GLOBAL_SECONDARY_INDEXES:
                projection = gsi["Projection"]
                table.add_global_secondary_index(
                    index_name=gsi["IndexName"],
                    partition_key=_key(gsi["KeySchema"], "HASH"),  # type: ignore[arg-type]
                    sort_key=_key(gsi["KeySchema"], "RANGE"),
                    projection_type=_PROJECTIONS[projection["ProjectionType"]],
                    non_key_attributes=projection.get("NonKeyAttributes"),
                )
            self.table_arn = table.table_arn
        else:
            # After a point-in-time restore: the restored table (TABLE_NAME in .chalice/config.json)
            # is not owned by this stack; the old one was retained (RemovalPolicy.RETAIN).
            self.table_arn = self.format_arn(service="dynamodb", resource="table", resource_name=s.table_name)
        self.index_arns = [
            f"{self.table_arn}/index/{gsi['IndexName']}" for gsi in table_design.GLOBAL_SECONDARY_INDEXES
        ]

    # ------------------------------------------------------------------ topics and SES

    def _topic_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "TopicKey",
            description=f"{self.settings.stack_name}: encrypts the SES-events and alarm SNS topics",
            enable_key_rotation=True,
        )
        # CloudWatch alarms and SES cannot use the AWS-managed aws/sns key, so the topics use this one.
        for sid, service in (("AllowCloudWatchAlarms", "cloudwatch.amazonaws.com"), ("AllowSes", "ses.amazonaws.com")):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                )
            )
        return key

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=self.settings.alarm_topic_name,
            display_name=f"{self.settings.stack_name} alarms",
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
                },
            )
        )
        sns.Subscription(
            self,
            "AlarmEmailSubscription",
            topic=topic,
            protocol=sns.SubscriptionProtocol.EMAIL,
            endpoint=self.alarm_email.value_as_string,
        )
        return topic

    def _ses_events_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "SesEventsTopic",
            topic_name=self.settings.ses_events_topic_name,
            display_name=f"{self.settings.stack_name} SES events",
            master_key=self.topic_key,
            enforce_ssl=True,
        )
        # ses.EventDestination.sns_topic adds the topic policy statement for SES (source account and
        # this configuration set's ARN as conditions).
        return topic

    def _configuration_set(self) -> ses.ConfigurationSet:
        s = self.settings
        config_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            configuration_set_name=s.configuration_set,
            # Account-level suppression list: SES itself stops sending to addresses that bounced or complained.
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            reputation_metrics=True,
            sending_enabled=True,
        )
        config_set.add_event_destination(
            "SesEvents",
            configuration_set_event_destination_name="ses-events-to-sns",
            destination=ses.EventDestination.sns_topic(self.ses_events_topic),
            events=list(SES_EVENT_TYPES),
        )
        return config_set

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
        for spec in FUNCTIONS:
            name = self.settings.function_name(spec.python_name)
            function = self.chalice.get_resource(spec.logical_id)
            function.add_property_override("FunctionName", name)
            function.add_property_override("Description", f"{self.settings.stack_name}: {spec.description}")
            # The log group (with retention) exists before the function can write to it.
            function.add_resource_dependency(self.function_logs[spec.python_name])
            # Replace Chalice's policy (from .chalice/policy-<stage>.json) on the L1 itself, not through a raw
            # override, so cdk-nag checks the policy that is actually deployed.
            role = self.chalice.get_resource(spec.role_logical_id)
            role.policies = [  # type: ignore[attr-defined]
                iam.CfnRole.PolicyProperty(policy_name=f"{name}-least-privilege", policy_document=self._policy(spec))
            ]
            if spec.reads_signing_key:
                acknowledge(
                    role,
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
                    "kms:Decrypt for the SSM SecureString signing key: the aws/ssm key id is generated per "
                    "account, so the resource is key/* in this account and region; the conditions allow it only "
                    "through SSM (kms:ViaService) and only for this one parameter "
                    "(kms:EncryptionContext:PARAMETER_ARN).",
                )

    def signing_key_arn(self) -> str:
        return self.format_arn(service="ssm", resource="parameter", resource_name=self.settings.signing_key_param_name)

    def ses_resource_arns(self) -> list[str]:
        s = self.settings
        return [
            self.format_arn(service="ses", resource="identity", resource_name=s.mail_domain),
            self.format_arn(service="ses", resource="configuration-set", resource_name=s.configuration_set),
        ]

    def _policy(self, spec: FunctionSpec) -> iam.PolicyDocument:
        log_group = self.function_logs[spec.python_name]
        statements = [
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.attr_arn],
            ),
            iam.PolicyStatement(
                sid="Table",
                actions=sorted(spec.table_actions),
                resources=[self.table_arn, *(self.index_arns if spec.uses_index else [])],
            ),
        ]
        if spec.reads_signing_key:
            param_arn = self.signing_key_arn()
            statements += [
                iam.PolicyStatement(sid="SigningKey", actions=["ssm:GetParameter"], resources=[param_arn]),
                iam.PolicyStatement(
                    sid="SigningKeyDecrypt",
                    actions=["kms:Decrypt"],
                    resources=[self.format_arn(service="kms", resource="key", resource_name="*")],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"ssm.{self.region}.amazonaws.com",
                            "kms:EncryptionContext:PARAMETER_ARN": param_arn,
                        }
                    },
                ),
            ]
        if spec.sends_email:
            statements.append(
                iam.PolicyStatement(sid="Mail", actions=list(SES_SEND), resources=self.ses_resource_arns())
            )
        return iam.PolicyDocument(statements=statements)

    def _wire_api(self) -> None:
        s = self.settings
        api = self.chalice.get_resource("RestAPI")
        # A stage-specific API name, so the API Gateway metrics (ApiName dimension) of dev and prod differ.
        api.add_property_override("Name", s.stack_name)
        api.add_property_override("DefinitionBody.info.title", s.stack_name)
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
                }
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

    def _wire_ses_events(self) -> None:
        # app.py names a topic ("mbc-connect-ses-events"); each stage subscribes to its own topic instead,
        # the one its configuration set publishes to.
        function = self.chalice.get_resource("SesEvents")
        function.add_property_override(
            "Events.SesEventsSnsSubscription.Properties.Topic", self.ses_events_topic.topic_arn
        )

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
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            alarm_name=f"{self.settings.stack_name}-{suffix}",
            alarm_description=description,
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

    def _lambda_metric(self, python_name: str, metric_name: str, period: cdk.Duration) -> cw.Metric:
        return cw.Metric(
            namespace="AWS/Lambda",
            metric_name=metric_name,
            dimensions_map={"FunctionName": self.settings.function_name(python_name)},
            statistic="Sum",
            period=period,
        )

    def _alarms(self) -> None:
        s = self.settings
        five_minutes, one_hour = cdk.Duration.minutes(5), cdk.Duration.hours(1)
        for spec in FUNCTIONS:
            self._alarm(
                f"{spec.logical_id}ErrorsAlarm",
                f"{spec.python_name}-errors",
                f"{spec.python_name} ({spec.description}) failed (crash, timeout or unhandled error) in the last "
                "5 minutes. See docs/deploy.md 'What the alarms mean'.",
                self._lambda_metric(spec.python_name, "Errors", five_minutes),
                1,
            )
        self._alarm(
            "DistributionNoSuccessAlarm",
            "distribute_links-no-successful-run",
            "distribute_links has not completed a run in the last hour (it runs every 15 minutes): the schedule "
            "is off, or every run failed. Meeting links may not go out.",
            cw.MathExpression(
                expression="FILL(invocations, 0) - FILL(errors, 0)",
                using_metrics={
                    "invocations": self._lambda_metric("distribute_links", "Invocations", one_hour),
                    "errors": self._lambda_metric("distribute_links", "Errors", one_hour),
                },
                label="successful distribute_links runs",
                period=one_hour,
            ),
            1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cw.TreatMissingData.BREACHING,
        )
        namespace = f"{s.app_name}/{s.stage}"
        logs.CfnMetricFilter(
            self,
            "DistributionStoppedFilter",
            log_group_name=self.function_logs["distribute_links"].ref,
            filter_pattern=f'"{DISTRIBUTION_STOPPED_LINE}"',
            metric_transformations=[
                logs.CfnMetricFilter.MetricTransformationProperty(
                    metric_namespace=namespace, metric_name="DistributionStopped", metric_value="1", unit="Count"
                )
            ],
        )
        self._alarm(
            "DistributionStoppedAlarm",
            "distribution-stopped",
            f'distribute_links logged "{DISTRIBUTION_STOPPED_LINE}": SES refused to send for the whole account '
            "(sending paused, quota or MAIL FROM problem). Links stop going out until it is fixed.",
            cw.Metric(namespace=namespace, metric_name="DistributionStopped", statistic="Sum", period=five_minutes),
            1,
        )
        self._alarm(
            "Api5xxAlarm",
            "api-5xx",
            "The API answered 5XX errors in the last 5 minutes (the site's forms and organizer tools may fail).",
            cw.Metric(
                namespace="AWS/ApiGateway",
                metric_name="5XXError",
                dimensions_map={"ApiName": s.stack_name, "Stage": s.api_gateway_stage},
                statistic="Sum",
                period=five_minutes,
            ),
            3,
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
                    cw.Metric(namespace="AWS/SES", metric_name=metric_name, statistic="Maximum", period=one_hour),
                    threshold,
                )

    def _outputs(self) -> None:
        s = self.settings
        cdk.CfnOutput(
            self,
            "ApiUrl",
            description="Base URL of the API (the website form posts to <ApiUrl>groups/<group>/signups)",
            value=cdk.Fn.sub(
                f"https://${{RestAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{s.api_gateway_stage}/"
            ),
        )
        cdk.CfnOutput(self, "TableName", value=s.table_name, description="DynamoDB table (TABLE_NAME)")
        cdk.CfnOutput(self, "ConfigurationSetName", value=s.configuration_set, description="SES configuration set")
        cdk.CfnOutput(
            self, "SigningKeyParameter", value=s.signing_key_param, description="SSM SecureString to create once"
        )
        cdk.CfnOutput(self, "SesEventsTopicArn", value=self.ses_events_topic.topic_arn)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
