"""The delivery ledger: one row per (group, meeting date, member, kind), so each
reminder or notice goes out exactly once.

``DELIVERIES#<group>#<date>`` / ``<signup_id>#<kind>``; ``gsi1`` =
``MEMBERDELIV#<group>#<signup_id>`` / ``<date>#<kind>`` finds a person's rows for erasure.

A row moves ``claimed`` (with a lease and the claiming run's id) → ``sent`` (with the SES
message id) or ``failed`` (with a reason). A claim whose lease ran out belongs to a run that
died; the next run may take it over.
"""

from __future__ import annotations

from typing import Any

from chalicelib.storage.dynamo import error_code, from_item, query_items, to_item
from chalicelib.storage.signups import signup_key


def ledger_pk(group_id: str, day: str) -> str:
    return f"DELIVERIES#{group_id}#{day}"


def member_index_pk(group_id: str, signup_id: str) -> str:
    return f"MEMBERDELIV#{group_id}#{signup_id}"


class DeliveryRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def rows(self, group_id: str, day: str, consistent: bool = True) -> list[dict[str, Any]]:
        items = query_items(
            self.client,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": ledger_pk(group_id, day)}},
            ConsistentRead=consistent,
        )
        return [from_item(item) for item in items]

    def claim(
        self,
        group_id: str,
        day: str,
        signup_id: str,
        gen: str,
        kind: str,
        run_id: str,
        now_epoch: int,
        lease_seconds: int,
        for_start: str,
    ) -> bool:
        """Take the (meeting, member, kind) slot for this run, only while the member is still active.

        One transaction: the ledger row is created (or taken over from a run whose lease ran out),
        and the member's record must still be ``active`` with the same generation.
        """
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": to_item({"pk": ledger_pk(group_id, day), "sk": f"{signup_id}#{kind}"}),
                            "UpdateExpression": "SET #st = :claimed, lease_until = :lease, run_id = :run, "
                            "signup_id = :sid, kind = :kind, for_start = :for, gsi1pk = :g1, gsi1sk = :g1s, "
                            "claimed_at = :now ADD attempts :one",
                            "ConditionExpression": (
                                "attribute_not_exists(pk) OR (#st = :claimed AND lease_until < :now)"
                            ),
                            "ExpressionAttributeNames": {"#st": "status"},
                            "ExpressionAttributeValues": {
                                ":claimed": {"S": "claimed"},
                                ":lease": {"N": str(now_epoch + lease_seconds)},
                                ":run": {"S": run_id},
                                ":sid": {"S": signup_id},
                                ":kind": {"S": kind},
                                ":for": {"S": for_start},
                                ":g1": {"S": member_index_pk(group_id, signup_id)},
                                ":g1s": {"S": f"{day}#{kind}"},
                                ":now": {"N": str(now_epoch)},
                                ":one": {"N": "1"},
                            },
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": self.table,
                            "Key": signup_key(group_id, signup_id),
                            "ConditionExpression": "#st = :active AND gen = :gen",
                            "ExpressionAttributeNames": {"#st": "status"},
                            "ExpressionAttributeValues": {":active": {"S": "active"}, ":gen": {"S": gen}},
                        }
                    },
                ]
            )
        except Exception as exc:
            if error_code(exc) == "TransactionCanceledException":
                return False
            raise
        return True

    def mark_sent(
        self, group_id: str, day: str, signup_id: str, kind: str, run_id: str, message_id: str, when: str
    ) -> bool:
        """Record the send. False means our claim was taken over meanwhile (a possible duplicate)."""
        return self._finish(
            group_id, day, signup_id, kind, run_id,
            "SET #st = :sent, message_id = :mid, sent_at = :when REMOVE lease_until",
            {":sent": {"S": "sent"}, ":mid": {"S": message_id}, ":when": {"S": when}},
        )  # fmt: skip

    def mark_failed(
        self, group_id: str, day: str, signup_id: str, kind: str, run_id: str, reason: str, when: str
    ) -> bool:
        return self._finish(
            group_id, day, signup_id, kind, run_id,
            "SET #st = :failed, reason = :why, failed_at = :when REMOVE lease_until",
            {":failed": {"S": "failed"}, ":why": {"S": reason[:200]}, ":when": {"S": when}},
        )  # fmt: skip

    def release(self, group_id: str, day: str, signup_id: str, kind: str, run_id: str) -> None:
        """Give a claim back untouched (the send did not happen), so the next run takes it at once."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=to_item({"pk": ledger_pk(group_id, day), "sk": f"{signup_id}#{kind}"}),
                ConditionExpression="#st = :claimed AND run_id = :run",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues={":claimed": {"S": "claimed"}, ":run": {"S": run_id}},
            )
        except Exception as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def _finish(
        self, group_id: str, day: str, signup_id: str, kind: str, run_id: str, update: str, values: dict[str, Any]
    ) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=to_item({"pk": ledger_pk(group_id, day), "sk": f"{signup_id}#{kind}"}),
                UpdateExpression=update,
                ConditionExpression="run_id = :run",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues={**values, ":run": {"S": run_id}},
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
