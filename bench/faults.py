"""The duplicate window under injected faults: the container's ``Distributor`` on DynamoDB Local,
sending through the app's real ``SesMailer`` (so ``classify`` sorts every error) to an SES v2
client stand-in that injects faults for chosen recipients, and with faults injected into the
ledger's ``mark_sent`` writes by botocore event hooks on the container's own DynamoDB client.

Faults (per recipient, consumed one per attempt):

- ``crash``: SES accepts the message, then the process dies before the ledger records it. Every
  later SES or DynamoDB call of that process raises ``Crash`` (a BaseException, as
  tests/support/fakes.py: nothing in the run catches it), so the other workers die where they
  stand, as in a real crash. The next scheduled run is a new container (a new process).
- ``timeout`` / ``5xx``: SES accepts the message, the client sees a read timeout
  (``ReadTimeoutError``) or a 500; ``5xx-refused``: a 503 before SES took it. All three are
  "unknown" outcomes to the app.
- ``closed``: SES accepts, then the connection drops before the response
  (``ConnectionClosedError``).
- ``throttle``: SES refuses with TooManyRequestsException (429); nothing accepted.
- ``mark-before``: the ``mark_sent`` UpdateItem fails with a throttling ClientError before it
  reaches DynamoDB (as if botocore's own retries were exhausted); ``mark-after``: the write is
  applied, then the response is lost (a 500 raised in ``after-call``).

The schedule runs every 15 minutes: the plan clock (a FixedClock) moves on 15 minutes per run and
the lease clock (wall time plus an offset) 900 s, so every lease a dead or unknown send left
behind has run out by the next run (LEASE_SECONDS is 300). Runs continue until one plans nothing.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import seed
from bench.common import app_environment, apply_environment, create_table, percentile
from bench.distribution import MEETING_DAY, PLAN_NOW, UNLIMITED_ACCOUNT
from chalicelib.distribution.runner import SEND_SLOTS, WORKERS

SCHEDULE = timedelta(minutes=15)
MAX_RUNS = 8  # 22:30 to 00:15: the 60-minute reminder stays due until the meeting ends at 00:30


class Crash(BaseException):
    """The Lambda process dies (not an Exception: nothing in the run may catch it)."""


class Process:
    """Whether the current (simulated) Lambda process is alive."""

    def __init__(self) -> None:
        self.dead = False


@dataclass
class Accepted:
    at: float
    to: str
    message: str
    run: int


def _client_error(code: str, status: int, message: str, operation: str) -> Exception:
    from botocore.exceptions import ClientError

    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


class FaultySes:
    """An SES v2 client stand-in (``send_email(**kwargs)``) for the real ``SesMailer``: waits like a
    round trip (SES accepts half-way), records what it accepted, and plays each recipient's faults."""

    ACCEPTING = ("crash", "timeout", "5xx", "closed", None)

    def __init__(
        self, process: Process, faults: dict[str, list[str]], latency: tuple[float, float], seed_value: int = 7
    ) -> None:
        self.process = process
        self.faults = {to: list(kinds) for to, kinds in faults.items()}
        self.latency = latency
        self.random = random.Random(seed_value)  # noqa: S311 (latency jitter, not security)
        self.lock = threading.Lock()
        self.accepted: list[Accepted] = []
        self.attempts = 0
        self.injected: Counter[str] = Counter()
        self.ids = itertools.count(1)
        self.run = 0

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        to = kwargs["Destination"]["ToAddresses"][0]
        tags = {t["Name"]: t["Value"] for t in kwargs.get("EmailTags", [])}
        with self.lock:
            delay = self.random.uniform(*self.latency)
        if self.process.dead:
            raise Crash()
        time.sleep(delay / 2)
        with self.lock:
            if self.process.dead:
                raise Crash()  # the process died while this request was on its way: never sent
            self.attempts += 1
            pending = self.faults.get(to)
            fault = pending.pop(0) if pending else None
            if fault:
                self.injected[fault] += 1
            if fault in self.ACCEPTING:
                self.accepted.append(Accepted(time.monotonic(), to, tags.get("message", ""), self.run))
        time.sleep(delay / 2)
        if fault == "crash":
            self.process.dead = True
            raise Crash()
        if fault == "throttle":
            raise _client_error("TooManyRequestsException", 429, "Maximum sending rate exceeded.", "SendEmail")
        if fault == "5xx":
            raise _client_error("InternalFailure", 500, "Internal failure.", "SendEmail")
        if fault == "5xx-refused":
            raise _client_error("ServiceUnavailable", 503, "Service unavailable.", "SendEmail")
        if fault == "timeout":
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url="https://ses.invalid/v2/email/outbound-emails")
        if fault == "closed":
            from botocore.exceptions import ConnectionClosedError

            raise ConnectionClosedError(endpoint_url="https://ses.invalid/v2/email/outbound-emails")
        return {"MessageId": f"ses-{next(self.ids)}"}


class LedgerFaults:
    """botocore hooks on the container's DynamoDB client: a dead process makes no more calls; chosen
    rows' ``mark_sent`` fails before or after the write; every successful mark is timed."""

    def __init__(self, client: Any, process: Process, faults: dict[str, list[str]]) -> None:
        self.client = client
        self.process = process
        self.faults = {sid: list(kinds) for sid, kinds in faults.items()}  # signup id -> mark faults
        self.lock = threading.Lock()
        self.marked: dict[str, float] = {}  # signup id -> when the first successful mark returned
        self.injected: Counter[str] = Counter()
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._before, unique_id="bench-faults-before")
        events.register("after-call.dynamodb.UpdateItem", self._after, unique_id="bench-faults-after")

    def close(self) -> None:
        events = self.client.meta.events
        events.unregister("before-parameter-build.dynamodb.*", unique_id="bench-faults-before")
        events.unregister("after-call.dynamodb.UpdateItem", unique_id="bench-faults-after")

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if self.process.dead:
            raise Crash()
        if model.name != "UpdateItem" or "message_id" not in params.get("ExpressionAttributeNames", {}).values():
            return
        signup_id = params["Key"]["sk"]["S"].split("#", 1)[0]
        context["bench_mark"] = signup_id
        with self.lock:
            pending = self.faults.get(signup_id)
            fault = pending.pop(0) if pending else None
            if fault:
                self.injected[fault] += 1
        if fault == "mark-before":
            raise _client_error(
                "ProvisionedThroughputExceededException", 400, "Rate of requests exceeds capacity.", "UpdateItem"
            )
        if fault == "mark-after":
            context["bench_lose_response"] = True

    def _after(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        signup_id = context.get("bench_mark")
        if signup_id is None or getattr(http_response, "status_code", 500) >= 300:
            return
        with self.lock:
            self.marked.setdefault(signup_id, time.monotonic())  # the ledger has it from now on
        if context.pop("bench_lose_response", False):
            raise _client_error("InternalServerError", 500, "Internal server error.", "UpdateItem")


@dataclass
class FaultScenario:
    key: str
    label: str
    faults: str  # one fault kind per faulted recipient ("a,b" for several attempts), see the module docstring
    count: int  # faulted recipients
    members: int
    workers: int = WORKERS  # the deployed count (a1: one)
    mark_tries: int | None = None  # patch sending.MARK_TRIES (1: the code before the local mark retry)
    # "zero": no duplicate allowed; "per_fault": at most one per accepted fault; "in_flight": at most
    # one per message SES accepted and the ledger had not recorded when the process died
    expect: str = "zero"
    why: str = ""


@dataclass
class FaultResult:
    scenario: FaultScenario
    injected: Counter[str] = field(default_factory=Counter)
    runs: list[str] = field(default_factory=list)  # per run: "sent 180, stopped error" / "crashed" / ...
    accepted: int = 0
    accepted_faults: int = 0  # injected faults after which SES had the message
    duplicates: int = 0
    missing: int = 0
    ledger: dict[str, int] = field(default_factory=dict)
    exposed: int = 0  # crash: messages SES had and the ledger had not recorded when the process died
    windows: list[float] = field(default_factory=list)  # accepted -> recorded, seconds, every message
    fault_windows: list[float] = field(default_factory=list)  # the same for the rows whose mark failed
    resend_runs: list[int] = field(default_factory=list)  # runs between a duplicate's two copies
    delayed: int = 0  # members without a fault first served by a later run than the first
    log_lines: Counter[str] = field(default_factory=Counter)  # the app's warnings and errors, by message
    wall_s: float = 0.0

    @property
    def window_p50(self) -> float:
        return percentile(self.windows, 50)

    @property
    def window_p99(self) -> float:
        return percentile(self.windows, 99)


def scenarios(members: int) -> list[FaultScenario]:
    return [
        FaultScenario(
            "a1",
            "(a) crash after SES accepted, 1 worker",
            "crash",
            2,
            max(members // 2, 6),
            workers=1,
            expect="per_fault",
            why="the process dies right after SES accepted a message (as the tests' crash): one worker, so one "
            "message is in flight",
        ),
        FaultScenario(
            "a4",
            f"(a) crash after SES accepted, {WORKERS} workers",
            "crash",
            2,
            members,
            workers=WORKERS,
            expect="in_flight",
            why=f"the same with the deployed {WORKERS} workers, at most {SEND_SLOTS} of them between the budget's "
            "moment and the ledger's record (the runner's send slots): the other workers die where they stand, so "
            "every message SES had taken and the ledger had not recorded yet goes again",
        ),
        FaultScenario(
            "b",
            "(b) read timeout / 5xx after SES accepted",
            "timeout,5xx,timeout,5xx-refused",
            4,
            members,
            expect="per_fault",
            why="SES took the message but the client saw a read timeout (2) or a 500 (1), or a 503 before SES took "
            "it (1): 'unknown' to the app, which stops the run and leaves the claim to its lease",
        ),
        FaultScenario(
            "c",
            "(c) storage error on mark_sent",
            "mark-before,mark-before,mark-after",
            6,
            members,
            why="the mark_sent UpdateItem fails once: 4 rows before it reached DynamoDB (throttled), 2 after it "
            "was applied (the response lost); the runner retries the mark locally (MARK_TRIES = 3)",
        ),
        FaultScenario(
            "c0",
            "(c) the same, without the local mark retry",
            "mark-before,mark-before,mark-after",
            6,
            members,
            mark_tries=1,
            expect="per_fault",
            why="the same faults with `sending.MARK_TRIES` patched to 1 in this process: the code before the local "
            "retry, where a failed mark left the row claimed",
        ),
        FaultScenario(
            "d",
            "(d) SES throttling",
            "throttle+5,throttle,throttle,throttle,throttle,throttle,throttle,throttle,throttle,throttle,throttle,"
            "throttle",
            12,
            members,
            why="one recipient throttled 5 times (its 4 retries run out: the run stops, the claim is released, the "
            "next run sends it) and 11 on their first attempt only (retried in the run after a back-off)",
        ),
        FaultScenario(
            "e",
            "(e) connection closed after SES accepted",
            "closed",
            2,
            members,
            expect="per_fault",
            why="SES took the message, then the connection dropped before the response (botocore's "
            "ConnectionClosedError)",
        ),
    ]


def fault_plan(sc: FaultScenario, records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Recipient -> the fault of each of its attempts, spread evenly over the members."""
    kinds = sc.faults.split(",")
    count = min(sc.count, max(len(records) // 3, 1))  # smoke sizes: fewer faults, in the same order
    step = max(len(records) // (count + 1), 1)
    plan: dict[str, list[str]] = {}
    for i in range(count):
        kind = kinds[i % len(kinds)]
        if "+" in kind:
            name, times = kind.split("+")
            attempts = [name] * int(times)
        else:
            attempts = [kind]
        plan[records[step * (i + 1) - 1]["email"]] = attempts
    return plan


def run(
    sc: FaultScenario,
    endpoint: str,
    state_dir: Path,
    table: str,
    latency: tuple[float, float],
    sleep_scale: float,
    log: Callable[[str], None],
) -> FaultResult:
    from chalicelib import container
    from chalicelib.clock import FixedClock
    from chalicelib.distribution import sending as runner_module
    from chalicelib.mail.backends import SesMailer
    from chalicelib.settings import get_settings

    apply_environment(app_environment(table, endpoint, state_dir))
    settings = dataclasses.replace(get_settings(), max_send_rate=1e6)  # no rate limit: the faults are the point
    records = seed.member_records(sc.members, prefix=f"{table}-")
    plan = fault_plan(sc, records)
    by_email = {r["email"]: r for r in records}
    process = Process()
    send_faults = {to: [k for k in kinds if not k.startswith("mark")] for to, kinds in plan.items()}
    ses = FaultySes(process, send_faults, latency)
    mark_faults = {
        by_email[to]["id"]: [k for k in kinds if k.startswith("mark")]
        for to, kinds in plan.items()
        if any(k.startswith("mark") for k in kinds)
    }
    clock = FixedClock(PLAN_NOW)
    offset = [0.0]

    def build() -> Any:
        mailer = SesMailer(ses, settings.mail_from, settings.mail_reply_to, settings.ses_configuration_set)
        return container.build(
            settings=settings,
            clock=clock,
            mailer=mailer,
            lease_clock=lambda: time.time() + offset[0],
            sleep=lambda s: time.sleep(s * sleep_scale),
            workers=sc.workers,
            # No rate limit: without it the budget asked the stand-in client for the account's rate, got
            # nothing and fell back to the sandbox's 1 a second (a 200-member scenario took minutes).
            account_send_rate=lambda: UNLIMITED_ACCOUNT,
        )

    c = build()
    container.install(c)
    client = c.dynamodb
    create_table(client, table)
    seed.create_group(client, table)
    from chalicelib.signups.storage import SignupRepository

    capture = seed.CaptureClient()
    repo = SignupRepository(capture, table)
    for record in records:
        repo.put_new(record, now_epoch=0)  # type: ignore[arg-type]
    seed.batch_write(client, table, capture.items)
    hooks = LedgerFaults(client, process, mark_faults)
    result = FaultResult(sc)
    saved_tries = runner_module.MARK_TRIES
    if sc.mark_tries is not None:
        runner_module.MARK_TRIES = sc.mark_tries
    app_log = logging.getLogger("mbc")
    capture_log = _CountingHandler(result.log_lines)
    app_log.addHandler(capture_log)
    propagate, app_log.propagate = app_log.propagate, False  # expected errors: counted, not printed
    started = time.perf_counter()
    try:
        for k in range(MAX_RUNS):
            clock.set(PLAN_NOW + SCHEDULE * k)
            offset[0] = SCHEDULE.total_seconds() * k
            ses.run = k
            t_run = time.perf_counter()
            try:
                report = c.distributor.run(remaining_seconds=lambda t_run=t_run: 880.0 - (time.perf_counter() - t_run))
            except Crash:
                # The process is gone; the next run is a new one. What SES took and the ledger never
                # recorded is still claimed: it goes again once the lease has run out.
                process.dead = False
                result.exposed += _exposed(ses, c.ledger.rows(seed.GROUP_ID, MEETING_DAY), by_email)
                result.runs.append("crashed")
                log(f"  {sc.key}: run {k + 1}: the process died ({time.perf_counter() - t_run:.1f} s)")
                c = build()
                container.install(c)
                continue
            except Exception as exc:  # an error the runner lets out: the invocation fails, nothing retries it
                result.runs.append(f"failed ({type(exc).__name__})")
                log(f"  {sc.key}: run {k + 1}: failed with {type(exc).__name__} ({time.perf_counter() - t_run:.1f} s)")
                continue
            stopped = f", stopped {report.stopped}" if report.stopped else ""
            result.runs.append(f"planned {report.planned}, sent {report.sent}{stopped}")
            log(f"  {sc.key}: run {k + 1}: {result.runs[-1]} ({time.perf_counter() - t_run:.1f} s)")
            if report.planned == 0:
                break
    finally:
        runner_module.MARK_TRIES = saved_tries
        hooks.close()
        app_log.removeHandler(capture_log)
        app_log.propagate = propagate
    result.wall_s = time.perf_counter() - started

    rows = c.ledger.rows(seed.GROUP_ID, MEETING_DAY)
    result.ledger = dict(Counter(str(r.get("status")) for r in rows))
    result.injected = ses.injected + hooks.injected
    result.accepted = len(ses.accepted)
    copies = Counter((a.to, a.message) for a in ses.accepted)
    result.duplicates = sum(n - 1 for n in copies.values() if n > 1)
    got = Counter(a.to for a in ses.accepted)
    result.missing = sum(1 for r in records if got.get(r["email"], 0) == 0)
    result.accepted_faults = sum(ses.injected[k] for k in ("crash", "timeout", "5xx", "closed"))
    first: dict[str, Accepted] = {}
    for a in ses.accepted:
        first.setdefault(a.to, a)
    runs_of: dict[tuple[str, str], list[int]] = {}
    for a in ses.accepted:
        runs_of.setdefault((a.to, a.message), []).append(a.run)
    result.resend_runs = [r[1] - r[0] for r in runs_of.values() if len(r) > 1]
    result.delayed = sum(1 for email, a in first.items() if a.run > 0 and email not in plan)
    for email, a in first.items():
        marked = hooks.marked.get(by_email[email]["id"])
        if marked is not None and copies[(a.to, a.message)] == 1:
            result.windows.append(marked - a.at)
            if by_email[email]["id"] in mark_faults:
                result.fault_windows.append(marked - a.at)
    c.dynamodb.delete_table(TableName=table)
    return result


class _CountingHandler(logging.Handler):
    """Counts the app's warnings and errors by their message (the text before the first field)."""

    def __init__(self, counts: Counter[str]) -> None:
        super().__init__(logging.WARNING)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[str(record.msg).split(" signup=")[0].split(" outbox=")[0].split(" (")[0]] += 1


def _exposed(ses: FaultySes, rows: list[Any], by_email: dict[str, dict[str, Any]]) -> int:
    """Messages SES accepted whose ledger row the dead process left claimed."""
    claimed = {r["signup_id"] for r in rows if r.get("status") == "claimed"}
    accepted = {a.to for a in ses.accepted}
    return sum(1 for email in accepted if by_email[email]["id"] in claimed)


def violations(result: FaultResult) -> list[str]:
    sc = result.scenario
    problems = []
    if result.missing:
        problems.append(f"faults {sc.label}: {result.missing} members got no email")
    if result.ledger != {"sent": sc.members}:
        problems.append(f"faults {sc.label}: ledger is {result.ledger}, expected all {sc.members} sent")
    if sc.expect == "zero" and result.duplicates:
        problems.append(f"faults {sc.label}: {result.duplicates} duplicates (none allowed)")
    if sc.expect == "per_fault" and result.duplicates > max(result.accepted_faults, _lost_marks(result)):
        problems.append(
            f"faults {sc.label}: {result.duplicates} duplicates for {sum(result.injected.values())} injected faults"
        )
    if sc.expect == "in_flight" and (
        result.duplicates > result.exposed or result.exposed > min(sc.workers, SEND_SLOTS) * result.injected["crash"]
    ):
        problems.append(
            f"faults {sc.label}: {result.duplicates} duplicates, {result.exposed} messages in flight at "
            f"{result.injected['crash']} crashes of {sc.workers} workers ({SEND_SLOTS} send slots)"
        )
    return problems


def _lost_marks(result: FaultResult) -> int:
    """Without the local retry, a mark that failed before the write leaves its row claimed."""
    return result.injected["mark-before"] if result.scenario.mark_tries == 1 else 0
