"""The structured log lines the app writes (one line of pure JSON on stdout each) and the
CloudWatch Logs metric filter patterns that turn them into alarm metrics.

The patterns are the contract with the app: tests pin them, evaluate them offline against lines
the app's own code writes (infra/tests/filter_pattern.py), ``make status`` checks them against the
sample lines with CloudWatch's own matcher (``TestMetricFilter``), and docs/deploy.md lists them.
Change a pattern and its samples together.

Who writes what (``chalicelib.metrics.emit``; every ``emit(`` in chalicelib is covered here):

- ``distribution_run`` (chalicelib/distribution/runner.py, ``RunReport.summary()``): the scheduled
  run (``distribute_links``), and a new member's catch-up (``deliver_now``, from the outbox sender:
  ``outbox_sender``, or the scheduled run's outbox sweep).
- ``announcement_run`` (chalicelib/announcements/service.py): each sending pass of an announcement,
  from its outbox item (``outbox_sender``, or the sweep) and from the scheduled run's
  ``continue_sending`` (``distribute_links``).
- ``outbox_failed`` (chalicelib/outbox/sender.py): a transactional email that could not be sent.
- ``scheduled_run_dropped`` (chalicelib/distribution/scheduled.py): a scheduled invocation that did
  nothing (late, overlapping, repeated): counted (``RUN_DROPPED``), not alarmed on its own.

A stop that means "sending cannot work" (error, throttled, account, config) feeds one metric,
``DistributionStopped``, and a refusal (``failed``) feeds ``MailFailed``, whichever line says so:
an SES account problem stops reminders and announcements together, and is one incident (one email).
"""

from __future__ import annotations

import json
from dataclasses import dataclass


def _line(**fields: object) -> str:
    return json.dumps(fields, separators=(", ", ": "))


def run_summary(**overrides: object) -> str:
    """A ``distribution_run`` line, fields in the order ``RunReport.summary()`` writes them."""
    fields: dict[str, object] = {
        "event": "distribution_run",
        "run_id": "0123456789abcdef",
        "planned": 12,
        "sent": 12,
        "skipped": 0,
        "failed": 0,
        "released": 0,
        "deferred": 0,
        "lost_claims": 0,
        "stale": 0,
        "stopped": None,
        "scope": "all",
        "remaining": 0,
        "remaining_by_meeting": {},
    }
    fields.update(overrides)
    return _line(**fields)


def announcement_summary(**overrides: object) -> str:
    """An ``announcement_run`` line, fields in the order ``AnnouncementService.deliver`` writes them."""
    fields: dict[str, object] = {
        "event": "announcement_run",
        "run_id": "0123456789abcdef",
        "announcement_id": "20261201T190000-0123456789ab",
        "sent": 40,
        "skipped": 0,
        "failed": 0,
        "released": 0,
        "deferred": 0,
        "lost_claims": 0,
        "stale": 0,
        "stopped": None,
        "finished": True,
        "remaining": 0,
        "group_id": "mbc-connection-group",
    }
    fields.update(overrides)
    return _line(**fields)


# The stops that mean sending cannot work (chalicelib/distribution/sending.py StopReason, less "deadline").
BAD_STOPS = ("error", "throttled", "account", "config")

OUTBOX_FAILED_LINE = _line(event="outbox_failed", kind="confirm", outbox_id="obx_0123456789ab", reason="rejected")
# Lines no filter below may count.
UNRELATED_LINES = (
    "START RequestId: 0f0e0d0c-0000-4000-8000-000000000000 Version: $LATEST",
    '{"event": "something_else", "stopped": "error", "failed": 3}',
    '{"event": "distribution_runs", "stopped": "error", "failed": 3}',
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
    pattern=(
        '{ ($.event = "distribution_run") && ($.scope = "all") && (($.stopped IS NULL) || ($.stopped = "deadline")) }'
    ),
    metric_value="1",
    default_value=None,
    log_groups=("distribute_links",),
    matches=(
        run_summary(),
        run_summary(planned=0, sent=0),
        run_summary(stopped="deadline", sent=3),
        run_summary(deferred=1, sent=11),
    ),
    non_matches=(
        *(run_summary(stopped=s) for s in BAD_STOPS),
        run_summary(scope="member", planned=1, sent=1),  # a new member's catch-up is not the schedule
        announcement_summary(),
        *UNRELATED_LINES,
    ),
)
# A run that stopped because sending cannot work: errors, throttling, the SES account, the configuration.
# Also a new member's catch-up run, which the outbox sender makes (never counted as a success above).
RUN_STOPPED = MetricFilterSpec(
    construct_id="DistributionStoppedFilter",
    metric_name="DistributionStopped",
    pattern=(
        '{ ($.event = "distribution_run") && (($.stopped = "error") || ($.stopped = "throttled") || '
        '($.stopped = "account") || ($.stopped = "config")) }'
    ),
    metric_value="1",
    default_value=0,
    log_groups=("distribute_links", "outbox_sender"),
    matches=tuple(run_summary(stopped=s, sent=0) for s in BAD_STOPS),
    non_matches=(
        run_summary(),
        run_summary(stopped="deadline"),
        run_summary(deferred=1),
        *(announcement_summary(stopped=s, sent=0) for s in BAD_STOPS),
        *UNRELATED_LINES,
    ),
)
# Deliveries SES refused for their recipient (recorded as failed, not retried: requeue after a fix),
# counted by the summary's `failed`. A lost SES answer (`deferred`) is not a failure: the claim's lease
# runs out and a later run sends it; three in one run stop it with "error" (RUN_STOPPED).
RUN_FAILED = MetricFilterSpec(
    construct_id="DistributionFailedFilter",
    metric_name="MailFailed",
    pattern='{ ($.event = "distribution_run") && ($.failed > 0) }',
    metric_value="$.failed",
    default_value=0,
    log_groups=("distribute_links", "outbox_sender"),
    matches=(run_summary(failed=2, sent=10), run_summary(failed=1, stopped="error")),
    non_matches=(run_summary(), run_summary(deferred=2), announcement_summary(failed=2), *UNRELATED_LINES),
)
# An announcement's sending pass that stopped because sending cannot work (the scheduled run resumes it
# after the fix). "deadline" is a normal hand-over to the next pass.
ANNOUNCEMENT_STOPPED = MetricFilterSpec(
    construct_id="AnnouncementStoppedFilter",
    metric_name="DistributionStopped",
    pattern=(
        '{ ($.event = "announcement_run") && (($.stopped = "error") || ($.stopped = "throttled") || '
        '($.stopped = "account") || ($.stopped = "config")) }'
    ),
    metric_value="1",
    default_value=0,
    log_groups=("outbox_sender", "distribute_links"),
    matches=tuple(announcement_summary(stopped=s, sent=3, finished=False) for s in BAD_STOPS),
    non_matches=(
        announcement_summary(),
        announcement_summary(stopped="deadline", finished=False),
        announcement_summary(deferred=1, finished=False),
        *(run_summary(stopped=s) for s in BAD_STOPS),
        *UNRELATED_LINES,
    ),
)
# Members whose address SES refused for an announcement (recorded as failed; the others still get it).
ANNOUNCEMENT_FAILED = MetricFilterSpec(
    construct_id="AnnouncementFailedFilter",
    metric_name="MailFailed",
    pattern='{ ($.event = "announcement_run") && ($.failed > 0) }',
    metric_value="$.failed",
    default_value=0,
    log_groups=("outbox_sender", "distribute_links"),
    matches=(announcement_summary(failed=1, sent=39), announcement_summary(failed=2, stopped="account")),
    non_matches=(announcement_summary(), announcement_summary(deferred=2), run_summary(failed=2), *UNRELATED_LINES),
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

# A scheduled run that ran out of time with reminders still due (the next run continues them): one is
# normal after a big announcement, two in a row mean the sending has fallen behind its schedule.
RUN_AT_DEADLINE = MetricFilterSpec(
    construct_id="DistributionRunAtDeadlineFilter",
    metric_name="DistributionRunsAtDeadline",
    pattern='{ ($.event = "distribution_run") && ($.scope = "all") && ($.stopped = "deadline") }',
    metric_value="1",
    default_value=0,
    log_groups=("distribute_links",),
    matches=(run_summary(stopped="deadline", sent=3),),
    non_matches=(
        run_summary(),
        *(run_summary(stopped=s) for s in BAD_STOPS),
        run_summary(scope="member", stopped="deadline"),
        announcement_summary(stopped="deadline", finished=False),
        *UNRELATED_LINES,
    ),
)


def dropped_line(**overrides: object) -> str:
    """A ``scheduled_run_dropped`` line, as chalicelib/distribution/scheduled.py writes it."""
    fields: dict[str, object] = {"event": "scheduled_run_dropped", "reason": "held", "event_id": "e-0123"}
    fields.update(overrides)
    return _line(**fields)


# An invocation of the schedule that did nothing: late (older than 10 minutes), another run holding the
# run lease, or the same event delivered again. Counted, not alarmed on its own: if runs keep being
# dropped, none succeeds and the no-successful-run alarm (RUN_SUCCEEDED) fires.
RUN_DROPPED = MetricFilterSpec(
    construct_id="ScheduledRunDroppedFilter",
    metric_name="ScheduledRunsDropped",
    pattern='{ $.event = "scheduled_run_dropped" }',
    metric_value="1",
    default_value=0,
    log_groups=("distribute_links",),
    matches=(dropped_line(), dropped_line(reason="late", age_s=700), dropped_line(reason="duplicate")),
    non_matches=(run_summary(), run_summary(stopped="deadline", sent=3)),
)

ALL_FILTERS = (
    RUN_SUCCEEDED,
    RUN_STOPPED,
    RUN_FAILED,
    ANNOUNCEMENT_STOPPED,
    ANNOUNCEMENT_FAILED,
    OUTBOX_FAILED,
    RUN_AT_DEADLINE,
    RUN_DROPPED,
)
# dev ("minimal" alarms) keeps only the filters behind its two alarms.
MINIMAL_FILTERS = (RUN_STOPPED, RUN_FAILED, ANNOUNCEMENT_STOPPED, ANNOUNCEMENT_FAILED, OUTBOX_FAILED)
# The events these filters read: every structured line the app writes (chalicelib.metrics.emit).
EVENTS = ("distribution_run", "announcement_run", "outbox_failed", "scheduled_run_dropped")
