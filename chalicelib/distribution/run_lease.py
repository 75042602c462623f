"""The scheduled run's lease: one run at a time, whatever EventBridge and Lambda do.

The 900-second function runs every 15 minutes and EventBridge delivers at least once, so two
invocations can overlap (a late one, a duplicate, an admin's ``scheduled run`` during the
schedule's). Each run first takes one item (``RUNLEASE#scheduled``, records.py) with a conditional
write: free, or its holder's time ran out (``until``, the holder's Lambda deadline: a run that died
holds it no longer than it could have run), and not the event the last run already took (a
duplicate delivery). The run gives it back at the end (``until`` in the past; the event id stays).
Times are wall-clock epoch seconds, shared by every process (the injected ``lease_clock``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.db import key
from chalicelib.distribution.records import RUN_LEASE_SK, run_lease_pk

log = logging.getLogger("mbc.distribution")

Refusal = Literal["held", "duplicate"]


@dataclass(frozen=True)
class Taken:
    holder: str
    until: int


class RunLease:
    def __init__(self, client: Any, table: str, name: str = "scheduled") -> None:
        self.client = client
        self.table = table
        self.key = key(run_lease_pk(name), RUN_LEASE_SK)

    def take(self, *, holder: str, now: int, seconds: int, event_id: str | None = None) -> Taken | Refusal:
        """The lease for ``seconds`` from ``now``, or why not: another run holds it, or ``event_id``
        is the event the last run took."""
        until = now + seconds
        names = {"#until": "until", "#holder": "holder", "#taken": "taken_at"}
        values: dict[str, Any] = {
            ":until": {"N": str(until)},
            ":holder": {"S": holder},
            ":now": {"N": str(now)},
        }
        sets = "#until = :until, #holder = :holder, #taken = :now"
        condition = "(attribute_not_exists(pk) OR #until < :now)"
        if event_id:
            names["#event"] = "event_id"
            values[":event"] = {"S": event_id}
            sets += ", #event = :event"
            condition += " AND (attribute_not_exists(#event) OR #event <> :event)"
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self.key,
                UpdateExpression="SET " + sets,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item") or {}
            if event_id and old.get("event_id", {}).get("S") == event_id:
                return "duplicate"
            return "held"
        return Taken(holder, until)

    def give_back(self, taken: Taken, *, now: int) -> bool:
        """Free the lease now (only if ``taken`` still holds it: a run that outlived its lease has
        nothing to give back)."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self.key,
                UpdateExpression="SET #until = :free",
                ConditionExpression="#holder = :holder",
                ExpressionAttributeNames={"#until": "until", "#holder": "holder"},
                ExpressionAttributeValues={":free": {"N": str(now - 1)}, ":holder": {"S": taken.holder}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            log.warning("scheduled run lease was taken over before the run ended holder=%s", taken.holder)
            return False
        return True
