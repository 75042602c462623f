"""The announcements' items (layout in ``records.py``); every change conditional."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.announcements.records import (
    MEMBER_INDEX_SORT_PREFIX,
    SENDING_INDEX,
    AnnouncedRow,
    AnnouncementRecord,
    announced_partition,
    announcements_partition,
)
from chalicelib.db import (
    CLAIMED,
    ITEM_IS_NEW,
    Update,
    claimed_by,
    key,
    lease_expired,
    merge_expression,
    partition_items,
    query_items,
    status_is,
    to_item,
    version_is,
    without_keys,
)
from chalicelib.distribution.records import member_index_key

DRAFT = status_is("draft")
SENDING = status_is("sending")


def announcement_key(group_id: str, announcement_id: str) -> dict[str, Any]:
    return key(announcements_partition(group_id), announcement_id)


def row_key(group_id: str, announcement_id: str, signup_id: str) -> dict[str, Any]:
    return key(announced_partition(group_id, announcement_id), signup_id)


class AnnouncementRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    # ---------------------------------------------------------------- announcements

    def new_item(self, record: AnnouncementRecord) -> dict[str, Any]:
        item = {**announcement_key(record["group_id"], record["id"]), **to_item(record)}
        return {"Put": {"TableName": self.table, "Item": item, **ITEM_IS_NEW.kwargs()}}

    def get(self, group_id: str, announcement_id: str) -> AnnouncementRecord | None:
        resp = self.client.get_item(
            TableName=self.table, Key=announcement_key(group_id, announcement_id), ConsistentRead=True
        )
        item = resp.get("Item")
        return cast(AnnouncementRecord, _plain(item)) if item else None

    def page(
        self, group_id: str, *, limit: int, start_key: dict[str, Any] | None = None
    ) -> tuple[list[AnnouncementRecord], dict[str, Any] | None]:
        """Newest first."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": announcements_partition(group_id)}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        resp = self.client.query(**kwargs)
        records = [cast(AnnouncementRecord, _plain(item)) for item in resp.get("Items", [])]
        return records, resp.get("LastEvaluatedKey")

    def all_consistent(self, group_id: str) -> list[AnnouncementRecord]:
        """Every announcement of the group, read consistently (for erasure)."""
        items = partition_items(self.client, self.table, announcements_partition(group_id), ConsistentRead=True)
        return [cast(AnnouncementRecord, _plain(item)) for item in items]

    def edit_item(self, group_id: str, announcement_id: str, *, version: int, sets: dict[str, Any]) -> dict[str, Any]:
        """A draft's new text, only from the version the organizer saw."""
        update = Update(sets={**sets, "version": version + 1})
        request = merge_expression(update.request(), DRAFT & version_is(version))
        return {"Update": {"TableName": self.table, "Key": announcement_key(group_id, announcement_id), **request}}

    def start_sending_item(
        self, group_id: str, announcement_id: str, *, version: int, sets: dict[str, Any]
    ) -> dict[str, Any]:
        """draft → sending, only the version the organizer previewed; listed in the sending index."""
        update = Update(
            sets={
                **sets,
                "status": "sending",
                "version": version + 1,
                "gsi1pk": SENDING_INDEX,
                "gsi1sk": f"{group_id}#{announcement_id}",
            }
        )
        request = merge_expression(update.request(), DRAFT & version_is(version))
        return {"Update": {"TableName": self.table, "Key": announcement_key(group_id, announcement_id), **request}}

    def delete_draft(self, group_id: str, announcement_id: str, *, version: int) -> bool:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=announcement_key(group_id, announcement_id),
                **(DRAFT & version_is(version)).kwargs(),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def finish(self, group_id: str, announcement_id: str, *, when: str) -> bool:
        """sending → sent (every member has it); out of the sending index."""
        update = Update(sets={"status": "sent", "sent_at": when}, removes=("gsi1pk", "gsi1sk"))
        try:
            self.client.update_item(
                TableName=self.table,
                Key=announcement_key(group_id, announcement_id),
                **merge_expression(update.request(), SENDING),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def sending(self) -> list[tuple[str, str]]:
        """(group, id) of every announcement still sending."""
        items = query_items(
            self.client,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": SENDING_INDEX}},
        )
        found = []
        for item in items:
            group_id, _, announcement_id = item["gsi1sk"]["S"].partition("#")
            found.append((group_id, announcement_id))
        return found

    # ---------------------------------------------------------------- the ledger of one announcement

    def rows(self, group_id: str, announcement_id: str) -> list[AnnouncedRow]:
        items = partition_items(
            self.client, self.table, announced_partition(group_id, announcement_id), ConsistentRead=True
        )
        return [cast(AnnouncedRow, without_keys(item)) for item in items]

    def claim(
        self,
        group_id: str,
        announcement_id: str,
        *,
        signup_id: str,
        member_check: dict[str, Any],
        run_id: str,
        now_epoch: int,
        lease_seconds: int,
        expires_at: int,
    ) -> bool:
        """Take one member's row for this run (new, or from a run whose lease ran out), only while
        the member is still active in the same signup (``member_check``: the signups feature's part,
        ``SignupService.still_member_item``): one transaction."""
        update = Update(
            sets={
                "status": "claimed",
                "signup_id": signup_id,
                "run_id": run_id,
                "lease_until": now_epoch + lease_seconds,
                "claimed_at": now_epoch,
                "expires_at": expires_at,
                "gsi1pk": member_index_key(group_id, signup_id),
                "gsi1sk": f"{MEMBER_INDEX_SORT_PREFIX}{announcement_id}",
            },
            adds={"attempts": 1},
        )
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": row_key(group_id, announcement_id, signup_id),
                            **merge_expression(update.request(), ITEM_IS_NEW | lease_expired(now_epoch)),
                        }
                    },
                    member_check,
                ]
            )
        except self.client.exceptions.TransactionCanceledException:
            return False
        return True

    def mark(self, group_id: str, announcement_id: str, signup_id: str, *, run_id: str, sets: dict[str, Any]) -> bool:
        update = Update(sets=sets, removes=("lease_until",))
        try:
            self.client.update_item(
                TableName=self.table,
                Key=row_key(group_id, announcement_id, signup_id),
                **merge_expression(update.request(), CLAIMED & claimed_by(run_id)),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, group_id: str, announcement_id: str, signup_id: str, *, run_id: str) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=row_key(group_id, announcement_id, signup_id),
                **(CLAIMED & claimed_by(run_id)).kwargs(),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    def erase_row(self, group_id: str, announcement_id: str, signup_id: str) -> None:
        self.client.delete_item(TableName=self.table, Key=row_key(group_id, announcement_id, signup_id))


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    values = without_keys(item)
    values["version"] = int(values.get("version", 0))
    values["attach_invite"] = bool(values.get("attach_invite", False))
    return values
