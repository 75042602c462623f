"""Sends what the outbox holds, once: the handler behind the table's stream (and the sweep that
catches up on anything the stream did not deliver).

Each item is claimed with a condition (pending → sending, with a lease), rendered from the
record it refers to as it stands now, sent, and finished (sent, held or failed) with a condition
on the claim. A stream record delivered twice finds the item no longer pending and sends nothing.
The only duplicate possible is a crash after SES accepted the message and before the item was
marked sent (the lease then runs out and the sweep sends again).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.clock import Clock
from chalicelib.db import from_item
from chalicelib.mail.backends import Mailer, SendError
from chalicelib.mail.message import OutgoingEmail
from chalicelib.metrics import emit
from chalicelib.outbox.records import OUTBOX_PREFIX, AddressLimit, OutboxRecord
from chalicelib.outbox.storage import OutboxRepository

log = logging.getLogger("mbc.outbox")

LEASE_SECONDS = 120
# Sent (or held) items are kept this long, then expire (DynamoDB TTL).
RETENTION = timedelta(days=30)
# The sweep leaves items this young to the stream.
SWEEP_AFTER = timedelta(minutes=2)
FINISH_TRIES = 3

# kind -> what to send for an item (rendered from the records it refers to, as they stand): None
# when there is nothing to send any more (the item is then "held"); [] when the work is done and
# no email was due (then "done").
Handler = Callable[[OutboxRecord], list[OutgoingEmail] | None]
# (recipient, limit) -> may this address be mailed now? (the per-address limits)
AddressCheck = Callable[[str, AddressLimit], bool]
# Items of other prefixes the same stream handler processes (signup forms): item -> None.
Processor = Callable[[dict[str, Any]], None]

Finished = Literal["sent", "done", "held", "failed"]
Outcome = Literal["sent", "done", "held", "failed", "skipped", "retry", "deferred"]


class RetryLater(Exception):
    """Some items could not be handled now (throttling, an outage): the stream delivers the batch
    again, and the sweep catches up after that."""


@dataclass
class BatchReport:
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


class OutboxSender:
    def __init__(
        self,
        *,
        repo: OutboxRepository,
        mailer: Mailer,
        clock: Clock,
        handlers: Mapping[str, Handler],
        address_check: AddressCheck,
        processors: Mapping[str, Processor] | None = None,
        lease_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repo = repo
        self.mailer = mailer
        self.clock = clock
        self.handlers = dict(handlers)
        self.address_check = address_check
        self.processors = dict(processors or {})
        self.lease_clock = lease_clock
        self.sleep = sleep

    # ---------------------------------------------------------------- entry points

    def handle_stream(self, records: Iterable[tuple[str, dict[str, Any] | None]]) -> dict[str, int]:
        """A batch of stream records, as (event name, new image in DynamoDB JSON)."""
        report = BatchReport()
        retry = False
        for event_name, image in records:
            if event_name not in ("INSERT", "MODIFY") or not image:
                continue
            values = from_item(image)
            pk = str(values.get("pk", ""))
            try:
                if pk.startswith(OUTBOX_PREFIX):
                    if values.get("status") == "pending":
                        outcome = self.deliver(pk[len(OUTBOX_PREFIX) :])
                        report.count(outcome)
                        retry = retry or outcome == "retry"
                    continue
                for prefix, process in self.processors.items():
                    if pk.startswith(prefix):
                        process(values)
                        report.count("processed")
            except RetryLater:
                retry = True
                report.count("retry")
        if retry:
            raise RetryLater(f"retry: {report.outcomes}")
        return report.outcomes

    def sweep(
        self,
        *,
        pending_intake: Callable[[str], list[dict[str, Any]]] | None = None,
        min_age: timedelta = SWEEP_AFTER,
    ) -> dict[str, int]:
        """What the stream did not deliver (written ``min_age`` ago or earlier): the scheduled run
        calls this with the default of two minutes, leaving younger items to the stream."""
        before = (self.clock.now() - min_age).isoformat() + "~"  # "~" sorts after "#<id>": inclusive
        report = BatchReport()
        for item in self.repo.pending(created_before=before):
            report.count(self.deliver(item["id"]))
        if pending_intake is not None:
            for values in pending_intake(before):
                pk = str(values.get("pk", ""))
                for prefix, process in self.processors.items():
                    if pk.startswith(prefix):
                        try:
                            process(values)
                            report.count("processed")
                        except RetryLater:
                            report.count("retry")
        if report.outcomes:
            log.info("outbox sweep %s", report.outcomes)
        return report.outcomes

    # ---------------------------------------------------------------- one item

    def deliver(self, outbox_id: str) -> Outcome:
        run_id = secrets.token_hex(6)
        item = self.repo.claim(outbox_id, run_id=run_id, now_epoch=int(self.lease_clock()), lease_seconds=LEASE_SECONDS)
        if item is None:
            return "skipped"  # sent, held, failed, or another sender has it
        handler = self.handlers.get(item["kind"])
        if handler is None:
            return self._fail(item, run_id, f"no handler for {item['kind']}")
        try:
            emails = handler(item)
        except RetryLater:
            self.repo.release(outbox_id, run_id=run_id)
            return "retry"
        if emails is None:
            return self._finish(item, run_id, "held", "nothing to send")
        if not emails:
            return self._finish(item, run_id, "done")
        limit = item.get("limit")
        if limit is not None and not all(self.address_check(mail.to, limit) for mail in emails):
            log.info("outbox item held by the address limit outbox=%s kind=%s", outbox_id, item["kind"])
            return self._finish(item, run_id, "held", "address limit")
        for mail in emails:
            mail.tags = {**mail.tags, "kind": item["kind"]}
            try:
                self.mailer.send(mail)
            except SendError as exc:
                return self._send_failed(item, run_id, exc)
        log.info("outbox sent outbox=%s kind=%s emails=%d", outbox_id, item["kind"], len(emails))
        return self._finish(item, run_id, "sent")

    def _send_failed(self, item: OutboxRecord, run_id: str, exc: SendError) -> Outcome:
        if exc.kind == "rejected":  # this recipient will never take it: no retry
            return self._fail(item, run_id, exc.code)
        if exc.kind == "unknown":
            # SES may have accepted it: no retry now; the sweep takes it once the claim's lease ends.
            log.error("outbox send outcome unknown outbox=%s kind=%s code=%s", item["id"], item["kind"], exc.code)
            return "deferred"
        self.repo.release(item["id"], run_id=run_id)
        if exc.kind != "throttled":  # the account or the configuration: someone must act
            emit("outbox_failed", kind=item["kind"], outbox_id=item["id"], reason=exc.code)
        log.warning("outbox send deferred outbox=%s kind=%s code=%s", item["id"], item["kind"], exc.code)
        return "retry"

    def _fail(self, item: OutboxRecord, run_id: str, reason: str) -> Outcome:
        emit("outbox_failed", kind=item["kind"], outbox_id=item["id"], reason=reason)
        return self._finish(item, run_id, "failed", reason)

    def _finish(
        self,
        item: OutboxRecord,
        run_id: str,
        status: Literal["sent", "done", "held", "failed"],
        reason: str | None = None,
    ) -> Outcome:
        now = self.clock.now()
        expires = int((now + RETENTION).timestamp())
        for attempt in range(FINISH_TRIES):
            try:
                self.repo.finish(
                    item["id"], run_id=run_id, status=status, when=now.isoformat(), expires_at=expires, reason=reason
                )
                return status
            except Exception as exc:  # deliberate: a storage hiccup must not re-send what was sent; retry the mark
                if attempt == FINISH_TRIES - 1:
                    log.error("outbox mark failed outbox=%s error=%s", item["id"], type(exc).__name__)
                    raise
                self.sleep(0.2 * 2**attempt)
        return status


def new_outbox_id(now: datetime) -> str:
    """Sortable and unguessable: the creation instant, then 48 random bits."""
    return f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(6)}"
