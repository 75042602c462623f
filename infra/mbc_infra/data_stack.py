"""One stage's data: the DynamoDB table, alone in its own stack ``mbc-connect-<stage>-data``.

Why alone (docs/deploy.md, "If the first deploy fails"):

- The table is the only thing here, so this stack's create either succeeds with the table or fails
  without one: no other resource can fail after the table exists and roll it back.
- ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE`` synthesizes ``DeletionPolicy: RetainExceptOnCreate``: a
  create that fails cleans up after itself (a retry does not meet "mbc-connect-prod already exists"),
  while any later delete or replacement keeps the table and its data.
- The app stack ``mbc-connect-<stage>`` (functions, API, alarms) only reads the table's name and stream
  from here, so it can be deleted and re-created at will without touching the data.
- A table left behind anyway (a deleted stack, an installation older than this split) is taken back with
  ``make adopt-table STAGE=<stage>`` (CloudFormation's import of an existing, named resource).

The table design comes from ``chalicelib/table.py`` (keys, index, TTL, stream).
"""

from __future__ import annotations

import math
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as ddb
from constructs import Construct

from chalicelib import table as table_design
from mbc_infra.settings import ConfigError, StageSettings

# Write units one reminder costs (measured on the distribution's writes: the delivery claim, its
# completion, the counters and the run's bookkeeping on the table; the claim's index entries on gsi1).
# The distribution sends at MAX_SEND_RATE (.chalice/config.json): the table's and the index's on-demand
# ceilings must leave room for it and for everything else at the same time (signups, the outbox, the console).
TABLE_WRITES_PER_REMINDER = 5
INDEX_WRITES_PER_REMINDER = 3
# Share of a ceiling the sending may use; the rest is for every other writer at the same moment.
SENDING_SHARE = 0.75

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


def required_write_units(send_rate: float) -> tuple[int, int]:
    """(table, index) write ceilings a send rate needs: what sending uses, within SENDING_SHARE of each."""
    return (
        math.ceil(send_rate * TABLE_WRITES_PER_REMINDER / SENDING_SHARE),
        math.ceil(send_rate * INDEX_WRITES_PER_REMINDER / SENDING_SHARE),
    )


def check_write_ceilings(settings: StageSettings) -> None:
    """The synth stops when the table's write ceiling cannot carry the stage's send rate: a ceiling that
    throttles the distribution's own writes would make reminders late with nothing but a throttle alarm."""
    table_needed, index_needed = required_write_units(settings.send_rate)
    if settings.table_max_write_units < table_needed or settings.index_max_write_units < index_needed:
        raise ConfigError(
            f"infra/stages.json {settings.stage}: sending {settings.send_rate:g} emails a second (MAX_SEND_RATE in "
            f".chalice/config.json) writes about {TABLE_WRITES_PER_REMINDER} table and {INDEX_WRITES_PER_REMINDER} "
            f"index units per email; the ceilings must be at least {table_needed} (table_max_write_request_units, "
            f"now {settings.table_max_write_units}) and {index_needed} (index_max_write_request_units, now "
            f"{settings.index_max_write_units}) so sending uses at most {SENDING_SHARE:.0%} of them"
        )


class DataStack(cdk.Stack):
    """The stage's table. Construct id ``<stage>-data``, stack name ``mbc-connect-<stage>-data``."""

    def __init__(self, scope: Construct, settings: StageSettings, **kwargs: Any) -> None:
        super().__init__(
            scope,
            f"{settings.stage}-data",
            stack_name=settings.data_stack_name,
            description=f"{settings.app_name} {settings.stage}: the DynamoDB table (never deleted with the app)",
            termination_protection=True,
            **kwargs,
        )
        check_write_ceilings(settings)
        s = settings
        table = ddb.Table(
            self,
            "Table",
            table_name=s.table_name,
            partition_key=_key(table_design.KEY_SCHEMA, "HASH"),
            sort_key=_key(table_design.KEY_SCHEMA, "RANGE"),
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            # On-demand with a ceiling: a runaway loop or abuse is throttled instead of billed without end.
            max_read_request_units=s.table_max_read_units,
            max_write_request_units=s.table_max_write_units,
            point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            encryption=ddb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=table_design.TTL_ATTRIBUTE,
            stream=ddb.StreamViewType(table_design.STREAM_SPECIFICATION["StreamViewType"]),
            # RetainExceptOnCreate: a failed first create leaves nothing behind; later, never deleted.
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        for gsi in table_design.GLOBAL_SECONDARY_INDEXES:
            projection = gsi["Projection"]
            table.add_global_secondary_index(
                index_name=gsi["IndexName"],
                partition_key=_key(gsi["KeySchema"], "HASH"),  # type: ignore[arg-type]
                sort_key=_key(gsi["KeySchema"], "RANGE"),
                projection_type=_PROJECTIONS[projection["ProjectionType"]],
                non_key_attributes=projection.get("NonKeyAttributes"),
                max_read_request_units=s.table_max_read_units,
                max_write_request_units=s.index_max_write_units,
            )
        self.table = table
        assert table.table_stream_arn is not None
        self.stream_arn: str = table.table_stream_arn
        cdk.CfnOutput(self, "TableName", value=s.table_name, description="DynamoDB table (TABLE_NAME)")
