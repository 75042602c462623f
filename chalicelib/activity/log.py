"""The activity log (layout in ``records.py``): entries written with the change they describe
(as a transaction item) or right after it, and read newest first, a page at a time."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from chalicelib.activity.records import (
    ACTIVITY_PREFIX,
    ERASED_MEMBER,
    MEMBER_PLACEHOLDER,
    ActivityRecord,
)
from chalicelib.clock import Clock
from chalicelib.db import (
    ITEM_EXISTS,
    ITEM_IS_NEW,
    Update,
    key,
    merge_expression,
    partition_items,
    to_item,
    without_keys,
)
from chalicelib.errors import InvalidCursor
from chalicelib.organizers.scope import Principal
from chalicelib.settings import Settings
from chalicelib.signing import read_cursor, sign_cursor

RETENTION = timedelta(days=365)
PAGE_SIZE = 25
# (group id, signup ids) -> the current name of each signup that still exists.
MemberNames = Callable[[str, list[str]], dict[str, str]]


class ActivityLog:
    def __init__(
        self, client: Any, table: str, clock: Clock, settings: Settings, member_names: MemberNames | None = None
    ) -> None:
        self.client = client
        self.table = table
        self.clock = clock
        self.settings = settings
        self.member_names = member_names

    def entry(
        self, scope: str, who: Principal, action: str, summary: str, *, member_id: str | None = None
    ) -> dict[str, Any]:
        """A transaction item that records one action (written with the change it describes).
        About a member: ``member_id``, and ``{member}`` in the summary where her name goes (the
        name is never stored here; it is read from her record when the log is shown)."""
        now = self.clock.now()
        record: ActivityRecord = {
            "id": secrets.token_hex(4),
            "at": now.isoformat(),
            "org_id": who.org_id,
            "org_name": who.name,
            "action": action,
            "summary": summary[:500],
            "expires_at": int((now + RETENTION).timestamp()),
        }
        if member_id is not None:
            record["member_id"] = member_id
        item = {**key(ACTIVITY_PREFIX + scope, f"{record['at']}#{record['id']}"), **to_item(record)}
        return {"Put": {"TableName": self.table, "Item": item, **ITEM_IS_NEW.kwargs()}}

    def record(self, scope: str, who: Principal, action: str, summary: str, *, member_id: str | None = None) -> None:
        """Record an action right after a change that is not one transaction."""
        self.client.put_item(**self.entry(scope, who, action, summary, member_id=member_id)["Put"])

    def shown(self, scope: str, entries: list[ActivityRecord]) -> list[ActivityRecord]:
        """Entries as organizers read them: each member's current name (one consistent read of the
        records named), or "a member who erased her data"."""
        ids = [e["member_id"] for e in entries if e.get("member_id")]
        names = self.member_names(scope, ids) if ids and self.member_names is not None else {}
        out: list[ActivityRecord] = []
        for e in entries:
            if e.get("member_id"):
                name = names.get(e["member_id"], ERASED_MEMBER)
                e = cast(ActivityRecord, {**e, "summary": e["summary"].replace(MEMBER_PLACEHOLDER, name)})
            out.append(e)
        return out

    def scrub_name(self, scope: str, name: str) -> int:
        """Erasure, for entries written before the log kept members by id: their text names the
        member; the name becomes "a member who erased her data". One Query of the scope's
        partition (a year at most: entries expire). Returns how many entries were rewritten."""
        name = name.strip()
        if not name:
            return 0
        pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
        rewritten = 0
        rows = list(partition_items(self.client, self.table, ACTIVITY_PREFIX + scope, ConsistentRead=True))
        for item in rows:  # materialised first: updating while paging would move the pages under us
            if "member_id" in item or "summary" not in item:
                continue
            summary = item["summary"]["S"]
            if not pattern.search(summary):
                continue
            update = Update(sets={"summary": pattern.sub(ERASED_MEMBER, summary)})
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    **merge_expression(update.request(), ITEM_EXISTS),
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                continue  # expired meanwhile
            rewritten += 1
        return rewritten

    def page(self, scope: str, cursor: str | None = None) -> tuple[list[ActivityRecord], str | None]:
        """Newest first, ``PAGE_SIZE`` at a time (one Query)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": ACTIVITY_PREFIX + scope}},
            "ScanIndexForward": False,
            "Limit": PAGE_SIZE,
        }
        if cursor:
            data = read_cursor(cursor, "activity", self.settings)
            if data.get("s") != scope or not isinstance(data.get("k"), str):
                raise InvalidCursor()
            kwargs["ExclusiveStartKey"] = key(ACTIVITY_PREFIX + scope, data["k"])
        resp = self.client.query(**kwargs)
        entries = self.shown(scope, [cast(ActivityRecord, without_keys(i)) for i in resp.get("Items", [])])
        last = resp.get("LastEvaluatedKey")
        following = sign_cursor({"s": scope, "k": last["sk"]["S"]}, "activity", self.settings) if last else None
        return entries, following
