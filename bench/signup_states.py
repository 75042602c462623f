"""The signup POST for every state an address can be in (issue 12: it must do the same work, so
neither its answer nor its timing tells a prober whether someone applied).

One address per state in the group (written with the app's own ``SignupRepository``; a bounced
address also gets the suppression item ``suppress_address`` writes, a suppressed one only that),
and a fresh address for every "new" sample. The POST goes through ``app.app(event, context)`` in
process, round-robin over the states in an order shuffled every round, each request from a new
source address (the per-IP limit never kicks in, and every IP counter is created the same way).
The outbox is kept out of the timed requests (in AWS its stream handler runs later, in another
invocation); between rounds, untimed, each address's stored form is deleted as the handler's
transaction deletes it, so every timed POST finds none pending, whatever the state (the states
themselves are left as seeded: processing the forms would change them).

Besides the times: the DynamoDB calls of every timed request (operation, table, key shapes,
attribute names: identical for every state, an invariant) and, in a separate counted pass, the
consumed capacity of each call per state.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import CallCounter, CallLog, median, percentile
from bench.lambda_event import rest_event
from bench.warm import invoke

# (state, 4-letter code): every address has the same length, "new" ones too.
STATES: tuple[tuple[str, str], ...] = (
    ("new", "newa"),
    ("pending_confirmation", "pcnf"),
    ("pending_approval", "papr"),
    ("active", "actv"),
    ("unsubscribed", "unsb"),
    ("rejected", "rjct"),
    ("bounced", "bncd"),
    ("suppressed", "supp"),
)
RECORD_STATUSES = ("pending_confirmation", "pending_approval", "active", "unsubscribed", "rejected", "bounced")
NAME = "Bench Person"
_HEX = re.compile(r"[0-9a-f]{16,}")
_DIGITS = re.compile(r"[0-9]")


@dataclass
class StateResult:
    state: str
    email: str  # the reused address ("new": the first one)
    times: list[float] = field(default_factory=list)
    shapes: set[str] = field(default_factory=set)  # every timed request's call shape (one expected)
    operations: list[str] = field(default_factory=list)
    capacity: list[float] = field(default_factory=list)  # per call, from the counted pass

    @property
    def p50(self) -> float:
        return median(self.times)

    @property
    def p90(self) -> float:
        return percentile(self.times, 90)


@dataclass
class StatesRun:
    results: dict[str, StateResult]
    rounds: int
    overwrite_capacity: list[float] = field(default_factory=list)  # a repeat post with its form still pending
    insert_capacity: list[float] = field(default_factory=list)

    def medians(self) -> dict[str, float]:
        return {s: r.p50 for s, r in self.results.items()}

    @property
    def spread(self) -> float:
        """Largest median over smallest."""
        values = list(self.medians().values())
        return max(values) / min(values) if values and min(values) > 0 else float("nan")

    def paired(self) -> dict[str, float]:
        """Each state's median of (its time / the median time of its round): requests made within the
        same ~0.1 s compared, so load that comes and goes between rounds cancels out."""
        states = list(self.results)
        rounds = min(len(r.times) for r in self.results.values())
        ratios: dict[str, list[float]] = {s: [] for s in states}
        for i in range(rounds):
            middle = median([self.results[s].times[i] for s in states])
            for s in states:
                ratios[s].append(self.results[s].times[i] / middle)
        return {s: median(v) for s, v in ratios.items()}

    @property
    def paired_spread(self) -> float:
        values = list(self.paired().values())
        return max(values) / min(values) if values and min(values) > 0 else float("nan")

    @property
    def same_calls(self) -> bool:
        shapes = {shape for r in self.results.values() for shape in r.shapes}
        return len(shapes) == 1

    @property
    def same_capacity(self) -> bool:
        return len({tuple(r.capacity) for r in self.results.values()}) == 1


def address(code: str, n: int = 0) -> str:
    return f"{code}{n:06d}@example.org"


def seed(container: Any, group_id: str) -> dict[str, str]:
    """One address per state (the "new" one is never written). Returns state -> address."""
    from chalicelib.signups.addresses import email_hash, signup_id_for
    from chalicelib.signups.consent import CONSENT_VERSION

    repo = container.signups.repo
    now = int(time.time())
    emails = {}
    for state, code in STATES:
        email = address(code)
        emails[state] = email
        if state in RECORD_STATUSES:
            record: dict[str, Any] = {
                "id": signup_id_for(group_id, email),
                "group_id": group_id,
                "email": email,
                "name": NAME,
                "state": "MT",
                "status": state,
                "created_at": "2026-11-01T00:00:00+00:00",
                "updated_at": "2026-11-01T00:05:00+00:00",
                "gen": "1",
                "version": 1,
                "consent_at": "2026-11-01T00:00:00+00:00",
                "consent_version": CONSENT_VERSION,
            }
            if state == "pending_confirmation":
                record["expires_at"] = now + 7 * 86400  # still pending: not replaceable
            if not repo.put_new(record, now_epoch=0):
                raise RuntimeError(f"could not seed the {state} address")
        if state in ("bounced", "suppressed"):
            repo.suppress(email_hash(email), reason="bench", when="2026-11-01T00:10:00+00:00")
    return emails


def post_event(group_id: str, email: str, ip: str) -> dict[str, Any]:
    body = {"name": NAME, "email": email, "state": "MT", "consent": True}
    return rest_event(
        "POST",
        "/groups/{group_id}/signups",
        f"/groups/{group_id}/signups",
        body=json.dumps(body).encode(),
        headers={"content-type": "application/json", "origin": "https://www.example.org"},
        source_ip=ip,
    )


def shape(calls: CallLog) -> str:
    """A request's DynamoDB calls as text, with hashes and digits masked and the form's own values
    (name, address, times) reduced to their kind: two states whose work differs differ here."""

    def reduce(value: Any, data: bool = False) -> Any:
        # Request text as is (hashes and digits masked); the form's own values by kind only.
        if isinstance(value, dict):
            return {k: reduce(v, data) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [reduce(v, data) for v in value]
        if isinstance(value, str):
            return "str" if data else _DIGITS.sub("9", _HEX.sub("<hash>", value))
        return type(value).__name__

    items = []
    for call in calls.calls:
        params = {k: v for k, v in call.params.items() if k != "Item"}
        entry: dict[str, Any] = {"operation": call.operation, "params": reduce(params)}
        if "Item" in call.params:  # keys by shape, the other attributes by name and type
            entry["item"] = {
                k: reduce(v, k not in ("pk", "sk", "gsi1pk", "gsi1sk")) for k, v in sorted(call.params["Item"].items())
            }
        items.append(entry)
    return json.dumps(items, sort_keys=True)


def measure(handler: Any, container: Any, group_id: str, rounds: int, warmup: int, seed_value: int = 12) -> StatesRun:
    from chalicelib.db import key
    from chalicelib.signups.addresses import email_hash
    from chalicelib.signups.records import INTAKE_SK, intake_pk

    client = container.dynamodb
    repo = container.signups.repo
    emails = seed(container, group_id)
    results = {state: StateResult(state, emails[state]) for state, _ in STATES}
    codes = dict(STATES)
    fresh = itertools.count(1)
    ips = itertools.count(1)
    order = [state for state, _ in STATES]
    rng = random.Random(seed_value)  # noqa: S311 (the order of the states, not security)
    posted: list[str] = []

    def email_for(state: str) -> str:
        return address(codes["new"], next(fresh)) if state == "new" else emails[state]

    def ip() -> str:
        n = next(ips)
        return f"198.18.{(n // 250) % 250}.{n % 250 + 1}"  # a new source address each request

    def drain() -> None:
        # The stored forms, deleted as the handler's transaction deletes each (one batch: untimed anyway).
        keys = [key(intake_pk(email_hash(email), group_id), INTAKE_SK) for email in posted]
        for i in range(0, len(keys), 25):
            request = {repo.table: [{"DeleteRequest": {"Key": k}} for k in keys[i : i + 25]]}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        posted.clear()

    recorder = CallCounter(client, capacity=False)
    try:
        for _ in range(warmup):
            for state in order:
                email = email_for(state)
                invoke(handler, post_event(group_id, email, ip()), 202)
                posted.append(email)
            drain()
        for _ in range(rounds):
            rng.shuffle(order)
            for state in order:
                email = email_for(state)
                event = post_event(group_id, email, ip())
                with recorder.recording() as log:
                    t0 = time.perf_counter()
                    invoke(handler, event, 202)
                    elapsed = time.perf_counter() - t0
                posted.append(email)
                res = results[state]
                res.times.append(elapsed)
                res.shapes.add(shape(log))
                if not res.operations:
                    res.operations = log.operations()
            drain()  # untimed: what the handler's transaction does to each form
    finally:
        recorder.close()

    # Consumed capacity per call, one request per state (counted; not timed).
    counter = CallCounter(client, capacity=True)
    try:
        for state, _ in STATES:
            email = email_for(state)
            with counter.recording() as log:
                invoke(handler, post_event(group_id, email, ip()), 202)
            posted.append(email)
            results[state].capacity = [c.capacity for c in log.calls]
        drain()
        # Not about the state: a repeat post whose earlier form is still pending replaces the item.
        email = emails["active"]
        with counter.recording() as first:
            invoke(handler, post_event(group_id, email, ip()), 202)
        with counter.recording() as again:
            invoke(handler, post_event(group_id, email, ip()), 202)
        posted.append(email)
        drain()
    finally:
        counter.close()
    return StatesRun(
        results,
        rounds,
        overwrite_capacity=[c.capacity for c in again.calls],
        insert_capacity=[c.capacity for c in first.calls],
    )
