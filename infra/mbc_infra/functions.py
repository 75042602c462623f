"""What each Lambda function may do: the least-privilege table.

Chalice (``autogen_policy: false``) gives every function its own role; infra replaces
each role's inline policy with exactly what that function needs, on the real ARNs.
A function that appears in the app without an entry here stops the synth: add it here
with the narrowest set of actions its code paths use.

DynamoDB: TransactWriteItems has no IAM action of its own; it is authorised per item
(PutItem, UpdateItem, DeleteItem, ConditionCheckItem).
"""

from __future__ import annotations

from dataclasses import dataclass

TABLE_READ_WRITE = (
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
SES_SEND = ("ses:SendEmail", "ses:SendRawEmail")
# What Lambda's poller needs on the table's stream (the function's role reads it).
STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")


@dataclass(frozen=True)
class FunctionSpec:
    python_name: str  # the name in app.py (and in .chalice/config.json lambda_functions)
    logical_id: str  # the function's logical id in Chalice's SAM template
    role_logical_id: str
    table_actions: tuple[str, ...]
    uses_index: bool
    sends_email: bool
    # ssm:GetParameter (+ kms:Decrypt via SSM) on the signing key, the previous signing key and the identity key.
    reads_keys: bool
    description: str
    # dynamodb:LeadingKeys patterns the table statement is limited to (None: any item).
    leading_keys: tuple[str, ...] | None = None
    reads_stream: bool = False
    # Failed asynchronous invocations / stream batches go to the stage's failed-events queue.
    failure_queue: bool = False


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        python_name="api_handler",
        logical_id="APIHandler",
        role_logical_id="ApiHandlerRole",
        table_actions=TABLE_READ_WRITE,
        uses_index=True,
        sends_email=True,
        reads_keys=True,
        description="the REST API (every route)",
    ),
    FunctionSpec(
        python_name="organizer_key",
        logical_id="OrganizerKey",
        role_logical_id="OrganizerKeyRole",
        # One GetItem on ORGKEY#<sha256>: nothing else, and no other partition.
        table_actions=("dynamodb:GetItem",),
        uses_index=False,
        sends_email=False,
        reads_keys=False,
        description="the organizer-key authorizer",
        leading_keys=("ORGKEY#*",),
    ),
    FunctionSpec(
        python_name="distribute_links",
        logical_id="DistributeLinks",
        role_logical_id="DistributeLinksRole",
        # Reminders and notices, plus the sweep of stale outbox items.
        table_actions=TABLE_READ_WRITE,
        uses_index=True,
        sends_email=True,
        reads_keys=True,
        description="the scheduled Zoom-link distribution and outbox sweep (every 15 minutes)",
    ),
    FunctionSpec(
        python_name="ses_events",
        logical_id="SesEvents",
        role_logical_id="SesEventsRole",
        # Finds a person's rows through gsi1 (Query) and reads them (GetItem), records the suppression
        # (PutItem), marks signups bounced (UpdateItem); the keyed address hash needs the identity key.
        table_actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        uses_index=True,
        sends_email=False,
        reads_keys=True,
        description="SES bounce and complaint events (SNS)",
        failure_queue=True,
    ),
    FunctionSpec(
        python_name="outbox_sender",
        logical_id="OutboxSender",
        role_logical_id="OutboxSenderRole",
        table_actions=TABLE_READ_WRITE,
        uses_index=True,
        sends_email=True,
        reads_keys=True,
        description="the transactional outbox sender (table stream)",
        reads_stream=True,
        failure_queue=True,
    ),
)

BY_LOGICAL_ID = {f.logical_id: f for f in FUNCTIONS}
BY_NAME = {f.python_name: f for f in FUNCTIONS}
