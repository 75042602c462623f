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


@dataclass(frozen=True)
class FunctionSpec:
    python_name: str  # the name in app.py (and in .chalice/config.json lambda_functions)
    logical_id: str  # the function's logical id in Chalice's SAM template
    role_logical_id: str
    table_actions: tuple[str, ...]
    uses_index: bool
    sends_email: bool
    reads_signing_key: bool
    description: str


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        python_name="api_handler",
        logical_id="APIHandler",
        role_logical_id="ApiHandlerRole",
        table_actions=TABLE_READ_WRITE,
        uses_index=True,
        sends_email=True,
        reads_signing_key=True,
        description="the REST API (every route)",
    ),
    FunctionSpec(
        python_name="organizer_key",
        logical_id="OrganizerKey",
        role_logical_id="OrganizerKeyRole",
        # One GetItem on ORGKEY#<sha256>: nothing else.
        table_actions=("dynamodb:GetItem",),
        uses_index=False,
        sends_email=False,
        reads_signing_key=False,
        description="the organizer-key authorizer",
    ),
    FunctionSpec(
        python_name="distribute_links",
        logical_id="DistributeLinks",
        role_logical_id="DistributeLinksRole",
        table_actions=TABLE_READ_WRITE,
        uses_index=True,
        sends_email=True,
        reads_signing_key=True,
        description="the scheduled Zoom-link distribution (every 15 minutes)",
    ),
    FunctionSpec(
        python_name="ses_events",
        logical_id="SesEvents",
        role_logical_id="SesEventsRole",
        # Lists groups (Query), records the suppression (PutItem), marks signups bounced (UpdateItem);
        # the keyed address hash needs the signing key.
        table_actions=("dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        uses_index=False,
        sends_email=False,
        reads_signing_key=True,
        description="SES bounce and complaint events (SNS)",
    ),
)

BY_LOGICAL_ID = {f.logical_id: f for f in FUNCTIONS}
