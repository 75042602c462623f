"""Signups, abuse counters and suppressions.

- ``SIGNUPS#<group>`` / ``<signup_id>``: one record per group and address; the id is a
  keyed hash of the normalised address, so uniqueness is the primary key itself.
  ``gsi1`` = ``SIGNUPS#<group>#<status>`` / ``<created_at>#<id>`` lists by status.
- ``RATE#addr#<hash>`` / ``<day>`` and ``RATE#ip#<hash>`` / ``<hour>``: counters with TTL.
- ``SUPPRESS#<hash>`` / ``SUPPRESS``: addresses we must never mail (bounce, complaint).
"""

from __future__ import annotations

from typing import Any

from chalicelib.storage.dynamo import error_code, from_item, query_items, query_pages, to_item

LIVE_STATUSES = ("pending_confirmation", "pending_approval", "active")


def signup_key(group_id: str, signup_id: str) -> dict[str, Any]:
    return to_item({"pk": f"SIGNUPS#{group_id}", "sk": signup_id})


def status_index_key(group_id: str, status: str) -> str:
    return f"SIGNUPS#{group_id}#{status}"


class StateConflict(Exception):
    """The record was not in a state that allows this change (or is gone)."""


def _conditional(exc: Exception) -> bool:
    return error_code(exc) == "ConditionalCheckFailedException"


class SignupRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    # ------------------------------------------------------------------ records

    def get(self, group_id: str, signup_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table, Key=signup_key(group_id, signup_id), ConsistentRead=True).get(
            "Item"
        )
        return _record(item) if item else None

    def put_new(self, record: dict[str, Any], now_epoch: int) -> bool:
        """Create (or restart) a signup. Only replaces a record that is unsubscribed or an
        expired pending confirmation; returns False if another live record is there."""
        item = to_item(
            {
                **record,
                "pk": f"SIGNUPS#{record['group_id']}",
                "sk": record["id"],
                "gsi1pk": status_index_key(record["group_id"], record["status"]),
                "gsi1sk": f"{record['created_at']}#{record['id']}",
            }
        )
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR #s = :u OR (#s = :p AND expires_at < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":u": {"S": "unsubscribed"},
                    ":p": {"S": "pending_confirmation"},
                    ":now": {"N": str(now_epoch)},
                },
            )
        except Exception as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def update_details(self, group_id: str, signup_id: str, values: dict[str, Any]) -> None:
        """Refresh what a still-pending person typed (name, state, how_heard, consent)."""
        names = {f"#{k}": k for k in values}
        exprs = {f":{k}": v for k, v in to_item(values).items()}
        set_expr = ", ".join(f"#{k} = :{k}" for k in values)
        try:
            self.client.update_item(
                TableName=self.table,
                Key=signup_key(group_id, signup_id),
                UpdateExpression=f"SET {set_expr}",
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={**names, "#status": "status"},
                ExpressionAttributeValues={**exprs, ":pending": {"S": "pending_confirmation"}},
            )
        except Exception as exc:
            if _conditional(exc):
                raise StateConflict from exc
            raise

    def transition(
        self,
        group_id: str,
        signup_id: str,
        from_statuses: tuple[str, ...],
        to_status: str,
        set_values: dict[str, Any],
        gen: str | None = None,
        remove: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Move a record between statuses atomically; returns the new record or raises StateConflict."""
        values = {**set_values, "status": to_status, "gsi1pk": status_index_key(group_id, to_status)}
        names = {f"#{k}": k for k in values}
        exprs = {f":{k}": v for k, v in to_item(values).items()}
        allowed = {f":from{i}": {"S": s} for i, s in enumerate(from_statuses)}
        condition = f"#status IN ({', '.join(allowed)})"
        if gen is not None:
            condition += " AND gen = :gen"
            allowed[":gen"] = {"S": gen}
        update = "SET " + ", ".join(f"#{k} = :{k}" for k in values) + " ADD version :one"
        if remove:
            update += " REMOVE " + ", ".join(remove)
        try:
            resp = self.client.update_item(
                TableName=self.table,
                Key=signup_key(group_id, signup_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={**names, "#status": "status"},
                ExpressionAttributeValues={**exprs, **allowed, ":one": {"N": "1"}},
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if _conditional(exc):
                raise StateConflict from exc
            raise
        return _record(resp["Attributes"])

    def page(
        self, group_id: str, status: str | None, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if status:
            kwargs: dict[str, Any] = {
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": status_index_key(group_id, status)}},
            }
        else:
            kwargs = {
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"SIGNUPS#{group_id}"}},
            }
        kwargs.update(TableName=self.table, Limit=limit)
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        resp = self.client.query(**kwargs)
        return [_record(i) for i in resp.get("Items", [])], resp.get("LastEvaluatedKey")

    def count(self, group_id: str, status: str) -> int:
        pages = query_pages(
            self.client,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": status_index_key(group_id, status)}},
            Select="COUNT",
        )
        return sum(int(page.get("Count", 0)) for page in pages)

    def delete_person(self, group_id: str, signup_id: str, email_hash: str) -> bool:
        """Erase every row about this person in this group; returns False if there was no record."""
        deleted = self.client.delete_item(
            TableName=self.table, Key=signup_key(group_id, signup_id), ReturnValues="ALL_OLD"
        ).get("Attributes")
        # Delivery ledger rows (found through gsi1) and address counters mention the person too.
        self._delete_matching("gsi1pk", f"MEMBERDELIV#{group_id}#{signup_id}")
        if email_hash:
            self._delete_matching("pk", f"RATE#addr#{email_hash}")
        return bool(deleted)

    def _delete_matching(self, key: str, value: str) -> None:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": f"{key} = :pk",
            "ExpressionAttributeValues": {":pk": {"S": value}},
        }
        if key == "gsi1pk":
            kwargs["IndexName"] = "gsi1"
        else:
            kwargs["ProjectionExpression"] = "pk, sk"
        # Materialise first: deleting while paging would move the pages under us.
        for item in list(query_items(self.client, **kwargs)):
            self.client.delete_item(TableName=self.table, Key={"pk": item["pk"], "sk": item["sk"]})

    # ---------------------------------------------------------------- counters

    def claim_address_send(self, email_hash: str, day: str, now_epoch: int, min_interval: int, per_day: int) -> bool:
        """Atomically take one of the address's email slots: none if one went out within
        ``min_interval`` seconds or ``per_day`` went out today. Concurrent callers: one wins."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=to_item({"pk": f"RATE#addr#{email_hash}", "sk": day}),
                UpdateExpression="SET #last = :now, expires_at = :ttl ADD n :one",
                ConditionExpression="(attribute_not_exists(#last) OR #last <= :cutoff) AND "
                "(attribute_not_exists(n) OR n < :max)",
                ExpressionAttributeNames={"#last": "last"},
                ExpressionAttributeValues={
                    ":now": {"N": str(now_epoch)},
                    ":cutoff": {"N": str(now_epoch - min_interval)},
                    ":ttl": {"N": str(now_epoch + 2 * 86400)},
                    ":one": {"N": "1"},
                    ":max": {"N": str(per_day)},
                },
            )
        except Exception as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def release_address_send(self, email_hash: str, day: str) -> None:
        """Give back a slot whose email could not be sent, so the person can try again."""
        self.client.update_item(
            TableName=self.table,
            Key=to_item({"pk": f"RATE#addr#{email_hash}", "sk": day}),
            UpdateExpression="REMOVE #last ADD n :minus",
            ConditionExpression="attribute_exists(n)",
            ExpressionAttributeNames={"#last": "last"},
            ExpressionAttributeValues={":minus": {"N": "-1"}},
        )

    def count_ip(self, ip_hash: str, hour: str, ttl: int) -> int:
        resp = self.client.update_item(
            TableName=self.table,
            Key=to_item({"pk": f"RATE#ip#{ip_hash}", "sk": hour}),
            UpdateExpression="SET expires_at = :ttl ADD n :one",
            ExpressionAttributeValues={":ttl": {"N": str(ttl)}, ":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(resp["Attributes"]["n"]["N"])

    # ------------------------------------------------------------- suppression

    def is_suppressed(self, email_hash: str) -> bool:
        item = self.client.get_item(
            TableName=self.table, Key=to_item({"pk": f"SUPPRESS#{email_hash}", "sk": "SUPPRESS"})
        ).get("Item")
        return item is not None

    def suppress(self, email_hash: str, reason: str, when: str) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=to_item({"pk": f"SUPPRESS#{email_hash}", "sk": "SUPPRESS", "reason": reason, "at": when}),
        )


def _record(item: dict[str, Any]) -> dict[str, Any]:
    values = from_item(item)
    for key in ("pk", "sk", "gsi1pk", "gsi1sk"):
        values.pop(key, None)
    return values
