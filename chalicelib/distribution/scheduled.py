"""What the scheduled function does every 15 minutes, in order:

1. finish any erasure an interruption left, then send what the outbox's stream did not deliver
   (the sweep);
2. rewrite every group's personal-link window (meetings roll forward; a change missed is caught);
3. the distribution run (reminders and notices, through the ledger);
4. finish any announcement still sending;
5. warm the personal link's path for any meeting whose room opens within the next 20 minutes.

``scheduled_run`` is the entry point (app.py's handler, the CLI): it drops an invocation whose
scheduled time is more than ``MAX_EVENT_AGE_SECONDS`` old (the next run is due; infra sets the same
age on the function's asynchronous queue), and runs only while holding the run lease
(``run_lease.py``): an overlapping invocation, or a second delivery of the same event, is dropped.
Each drop writes one ``scheduled_run_dropped`` line (the reason, the event id, the age or nothing).
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.container import Container
from chalicelib.metrics import emit

log = logging.getLogger("mbc.distribution")

WARM_AHEAD = timedelta(minutes=20)
# The schedule's rate is 15 minutes: an invocation this late overlaps the next one, which does its work.
MAX_EVENT_AGE_SECONDS = 600
# The lease of a run that cannot say its deadline (the CLI): the function's timeout.
DEFAULT_LEASE_SECONDS = 900


def event_age(event_time: str | None, now: float) -> float | None:
    """Seconds since the schedule event's time (None: no time, or one that cannot be read)."""
    if not event_time:
        return None
    try:
        return now - datetime.fromisoformat(event_time).timestamp()
    except ValueError:
        log.warning("scheduled event time unreadable")
        return None


def scheduled_run(
    c: Container,
    *,
    remaining_seconds: Callable[[], float] | None = None,
    event_id: str | None = None,
    event_time: str | None = None,
) -> dict[str, Any]:
    """One scheduled run, if it is not late and no other run holds the lease."""
    from chalicelib.distribution.run_lease import RunLease, Taken

    now = c.lease_clock()
    age = event_age(event_time, now)
    if age is not None and age > MAX_EVENT_AGE_SECONDS:
        emit("scheduled_run_dropped", reason="late", event_id=event_id, age_s=int(age))
        return {"dropped": "late", "age_s": int(age)}
    lease = RunLease(c.dynamodb, c.table)
    seconds = math.ceil(remaining_seconds()) if remaining_seconds is not None else DEFAULT_LEASE_SECONDS
    taken = lease.take(holder=secrets.token_hex(8), now=int(now), seconds=max(1, seconds), event_id=event_id)
    if not isinstance(taken, Taken):
        emit("scheduled_run_dropped", reason=taken, event_id=event_id)
        return {"dropped": taken}
    try:
        return every_quarter_hour(c, remaining_seconds=remaining_seconds)
    finally:
        try:
            lease.give_back(taken, now=int(c.lease_clock()))
        except Exception as exc:  # deliberate: the lease then runs out at the run's deadline by itself
            log.error("scheduled run lease not given back error=%s", type(exc).__name__)


def every_quarter_hour(c: Container, *, remaining_seconds: Callable[[], float] | None = None) -> dict[str, Any]:
    from chalicelib.joinlinks.warmup import containers_for, warm

    erasures = c.signups.finish_erasures()  # before the sweep: a new signup may wait for one
    outbox = c.outbox.sweep(pending_intake=c.signups.pending_intakes)
    groups = c.groups.all()
    # Each window is rewritten from the group read again just before (conditionally): a change an
    # organizer makes while the run goes through the groups is never undone.
    windows = [(group, c.join_links.refresh(group)) for group in groups]
    opening = [group for group, window in windows if window and c.join_links.opening_soon(window, within=WARM_AHEAD)]
    report = c.distributor.run(remaining_seconds=remaining_seconds).as_dict()
    announcements = c.announcements.continue_sending(remaining_seconds=remaining_seconds)
    warmed = 0
    if opening:
        members = sum(c.signups.count(group["id"], "active") for group in opening)
        warmed = warm(c.settings.public_api_url, containers=containers_for(members))
    return {**report, "outbox": outbox, "announcements": announcements, "warmed": warmed, "erasures": erasures}
