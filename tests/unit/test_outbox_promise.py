"""The outbox's shared edge: the one transaction part for "an email this change promises"."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.db import from_item
from chalicelib.outbox.promise import promised_email, promised_id
from chalicelib.outbox.records import outbox_key

NOW = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


def test_a_promise_is_a_new_pending_item_due_now_holding_references_only() -> None:
    part = promised_email(table="t", kind="welcome", now=NOW, group_id="g1", signup_id="s1", gen="7", limit="daily")
    put = part["Put"]
    assert put["TableName"] == "t"
    assert put["ConditionExpression"] == "attribute_not_exists(pk)"  # never overwrites another promise
    item = from_item(put["Item"])
    outbox_id = promised_id(part)
    assert {k: put["Item"][k] for k in ("pk", "sk")} == outbox_key(outbox_id)
    assert item == {
        "pk": f"OUTBOX#{outbox_id}",
        "sk": "OUTBOX",
        "id": outbox_id,
        "kind": "welcome",
        "status": "pending",
        "created_at": NOW.isoformat(),
        "group_id": "g1",
        "signup_id": "s1",
        "gen": "7",
        "limit": "daily",
        "gsi1pk": "OUTBOX#pending",
        "gsi1sk": f"{NOW.isoformat()}#{outbox_id}",
    }
    assert outbox_id.startswith("20261201T230000000000-")


def test_what_is_not_given_is_not_written_and_what_is_given_is_kept_even_when_empty_or_zero() -> None:
    item = from_item(
        promised_email(table="t", kind="console_invite", now=NOW, group_id="", organizer_id="o1", version=0)["Put"][
            "Item"
        ]
    )
    assert {k for k in item if k not in ("pk", "sk", "gsi1pk", "gsi1sk", "id", "created_at")} == {
        "kind",
        "status",
        "group_id",
        "organizer_id",
        "version",
    }
    assert item["group_id"] == "" and item["version"] == 0


def test_two_promises_of_the_same_instant_are_two_items() -> None:
    first = promised_email(table="t", kind="welcome", now=NOW, group_id="g1")
    second = promised_email(table="t", kind="welcome", now=NOW, group_id="g1")
    assert promised_id(first) != promised_id(second)
