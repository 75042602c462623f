"""The outbox sender's stream event source mapping, defined once: infra/mbc_infra/stage_stack.py
writes it into the deployed mapping, devtools/stream_poller.py plays it against DynamoDB Local's
stream, and app.py takes its batch size. Plain data (no imports): cheap for every reader.

What invokes the sender (event filtering is free and happens before Lambda is invoked):

- an ``OUTBOX#`` item's INSERT only. Its later writes (claim, retry, park, sent) are MODIFY records
  and must never invoke the sender again: a retried item is found by the scheduled sweep when it
  is due (``next_attempt_at``), so an email that cannot go out now costs no invocation and no SES
  call until then (issue 19: a MODIFY filter turned one undeliverable email into a storm);
- an ``INTAKE#`` (signup form, "send me the link again") or ``SIGNINREQ#`` (console sign-in
  request) item's INSERT or MODIFY: a later post of the same address replaces the item (a put over
  it is a MODIFY). Processing deletes these items (REMOVE): nothing the processor writes matches.

Failures: the handler reports the records it could not handle (``ReportBatchItemFailures``); a
batch that raises is split in halves; a record is retried at most ``MAXIMUM_RETRY_ATTEMPTS`` times
and never after ``MAXIMUM_RECORD_AGE_SECONDS``, then its batch's description goes to the on-failure
destination (the failed-events queue in AWS, a JSON-lines file or a list locally). Nothing is lost
when a record is skipped: the item is still in the table and the sweep handles it.
"""

from __future__ import annotations

from typing import Any, Final

OUTBOX_INSERT: Final[dict[str, Any]] = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}},
}
REQUESTS: Final[dict[str, Any]] = {
    "eventName": ["INSERT", "MODIFY"],
    "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "INTAKE#"}, {"prefix": "SIGNINREQ#"}]}}},
}
# Lambda ORs the filters of a mapping (at most five).
FILTER_PATTERNS: Final[tuple[dict[str, Any], ...]] = (OUTBOX_INSERT, REQUESTS)

BATCH_SIZE: Final = 25
STARTING_POSITION: Final = "TRIM_HORIZON"
MAXIMUM_RETRY_ATTEMPTS: Final = 5
BISECT_BATCH_ON_FUNCTION_ERROR: Final = True
# The distribution's sweep sends what is still pending: a record this old is not worth a retry.
MAXIMUM_RECORD_AGE_SECONDS: Final = 3600
FUNCTION_RESPONSE_TYPES: Final = ("ReportBatchItemFailures",)


def matches(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """Does a stream record (Lambda's shape) match one filter pattern? The subset of Lambda's
    event-filtering syntax the patterns above use: nested objects, lists of literal values, and
    ``{"prefix": ...}``; a field must be present to match."""
    for name, wanted in pattern.items():
        if name not in record:
            return False
        value = record[name]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not matches(wanted, value):
                return False
            continue
        if not any(_matches_one(option, value) for option in wanted):
            return False
    return True


def _matches_one(option: Any, value: Any) -> bool:
    if isinstance(option, dict):
        prefix = option.get("prefix")
        return isinstance(prefix, str) and isinstance(value, str) and value.startswith(prefix)
    return bool(option == value)


def wanted(record: dict[str, Any]) -> bool:
    """Would the deployed mapping hand this record to the sender?"""
    return any(matches(pattern, record) for pattern in FILTER_PATTERNS)
