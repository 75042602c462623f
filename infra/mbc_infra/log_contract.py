"""The structured log lines the app writes (one line of pure JSON on stdout each) and the
CloudWatch Logs metric filter patterns that turn them into alarm metrics.

The patterns are the contract with the app: tests pin them, ``make status`` checks them
against the sample lines with CloudWatch's own matcher (``TestMetricFilter``), and
docs/deploy.md lists them. Change a pattern and its samples together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


def _line(**fields: object) -> str:
    return json.dumps(fields, separators=(", ", ": "))


def run_summary(**overrides: object) -> str:
    fields: dict[str, object] = {
        "event": "distribution_run",
        "run_id": "run_0123456789ab",
        "planned": 12,
        "sent": 12,
        "skipped": 0,
        "failed": 0,
        "released": 0,
        "lost_claims": 0,
        "stopped": None,
    }
    fields.update(overrides)
    return _line(**fields)


OUTBOX_FAILED_LINE = _line(event="outbox_failed", kind="confirm", outbox_id="obx_0123456789ab", reason="rejected")
# Lines no filter below may count.
UNRELATED_LINES = (
    "START RequestId: 0f0e0d0c-0000-4000-8000-000000000000 Version: $LATEST",
    '{"event": "something_else", "stopped": "error", "failed": 3}',
    "ALARM distribution stopped: SES refuses to send (code=SendingPausedException)",
)


@dataclass(frozen=True)
class MetricFilterSpec:
    construct_id: str
    metric_name: str
    pattern: str
    metric_value: str
    # Emitted for every other log event of the group, so the alarm sees an explicit 0 (and returns to OK)
    # whenever the function runs without a match; None: no datapoint at all without a match.
    default_value: float | None
    log_groups: tuple[str, ...]  # python names of the functions whose log groups carry the line
    matches: tuple[str, ...]
    non_matches: tuple[str, ...]


# A run that finished, or stopped at its deadline (the next run continues): the link keeps going out.
RUN_SUCCEEDED = MetricFilterSpec(
    construct_id="DistributionRunSucceededFilter",
    metric_name="DistributionRunsSucceeded",
    pattern='{ ($.event = "distribution_run") && (($.stopped IS NULL) || ($.stopped = "deadline")) }',
    metric_value="1",
    default_value=None,
    log_groups=("distribute_links",),
    matches=(run_summary(), run_summary(planned=0, sent=0), run_summary(stopped="deadline", sent=3)),
    non_matches=(
        run_summary(stopped="error"),
        run_summary(stopped="throttled"),
        run_summary(stopped="account"),
        run_summary(stopped="config"),
        *UNRELATED_LINES,
    ),
)
# A run that stopped because sending cannot work: errors, throttling, the SES account, the configuration.
RUN_STOPPED = MetricFilterSpec(
    construct_id="DistributionStoppedFilter",
    metric_name="DistributionStopped",
    pattern=(
        '{ ($.event = "distribution_run") && (($.stopped = "error") || ($.stopped = "throttled") || '
        '($.stopped = "account") || ($.stopped = "config")) }'
    ),
    metric_value="1",
    default_value=0,
    log_groups=("distribute_links",),
    matches=tuple(run_summary(stopped=s, sent=0) for s in ("error", "throttled", "account", "config")),
    non_matches=(run_summary(), run_summary(stopped="deadline"), *UNRELATED_LINES),
)
# Deliveries a run could not make (the ledger retries them), counted by the summary's `failed`.
RUN_FAILED = MetricFilterSpec(
    construct_id="DistributionFailedFilter",
    metric_name="MailFailed",
    pattern='{ ($.event = "distribution_run") && ($.failed > 0) }',
    metric_value="$.failed",
    default_value=0,
    log_groups=("distribute_links",),
    matches=(run_summary(failed=2, sent=10), run_summary(failed=1, stopped="error")),
    non_matches=(run_summary(), *UNRELATED_LINES),
)
# A transactional email (confirmation, welcome, organizer notice) the outbox could not send.
OUTBOX_FAILED = MetricFilterSpec(
    construct_id="OutboxFailedFilter",
    metric_name="MailFailed",
    pattern='{ $.event = "outbox_failed" }',
    metric_value="1",
    default_value=0,
    log_groups=("outbox_sender", "distribute_links", "api_handler"),
    matches=(
        OUTBOX_FAILED_LINE,
        _line(event="outbox_failed", kind="organizer_notice", outbox_id="obx_1", reason="throttled"),
    ),
    non_matches=(run_summary(failed=0), *UNRELATED_LINES),
)

ALL_FILTERS = (RUN_SUCCEEDED, RUN_STOPPED, RUN_FAILED, OUTBOX_FAILED)
# dev ("minimal" alarms) keeps only the filters behind its two alarms.
MINIMAL_FILTERS = (RUN_STOPPED, RUN_FAILED, OUTBOX_FAILED)
