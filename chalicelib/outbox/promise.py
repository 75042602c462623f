"""The one way to add "an email this change promises" to a transaction (the outbox's shared edge).

A feature that promises an email adds the part this returns to the transaction of its change;
the outbox's sender sends it later, at most once (``sender.py``). No feature imports the outbox's
repository for this: the item's layout is the outbox's own (``records.py``)::

    tx.add("mail", promised_email(table=repo.table, kind="welcome", now=now, group_id=g, signup_id=s, gen=gen))

The item holds references only (group, signup id and generation, organizer, announcement),
never an address or a name.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, cast

from chalicelib.db import ITEM_IS_NEW, to_attr, to_item
from chalicelib.outbox.records import OUTBOX_PENDING, AddressLimit, OutboxRecord, outbox_key

# One item of a DynamoDB TransactWriteItems request (here: a conditional Put).
TransactItem = dict[str, Any]


def new_outbox_id(now: datetime) -> str:
    """Sortable and unguessable: the creation instant, then 48 random bits."""
    return f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(6)}"


def outbox_item(table: str, record: OutboxRecord) -> TransactItem:
    """The transaction part that writes this outbox item: new, and listed as pending (due now)."""
    item = {
        **outbox_key(record["id"]),
        **to_item({**record, "gsi1pk": OUTBOX_PENDING, "gsi1sk": f"{record['created_at']}#{record['id']}"}),
    }
    return {"Put": {"TableName": table, "Item": item, **ITEM_IS_NEW.kwargs()}}


def promised_email(
    *,
    table: str,
    kind: str,
    now: datetime,
    group_id: str,
    signup_id: str | None = None,
    gen: str | None = None,
    limit: AddressLimit | None = None,
    proposal: str | None = None,
    organizer_id: str | None = None,
    fallback: str | None = None,
    announcement_id: str | None = None,
    version: int | None = None,
    ref: str | None = None,
) -> TransactItem:
    """The transaction part for one email of ``kind`` that this change promises (pending, due
    now). ``promised_id`` reads the new item's id back (to reference it, e.g. for erasure)."""
    record: dict[str, Any] = {
        "id": new_outbox_id(now),
        "kind": kind,
        "status": "pending",
        "created_at": now.isoformat(),
        "group_id": group_id,
    }
    optional: dict[str, Any] = {
        "signup_id": signup_id,
        "gen": gen,
        "limit": limit,
        "proposal": proposal,
        "organizer_id": organizer_id,
        "fallback": fallback,
        "announcement_id": announcement_id,
        "version": version,
        "ref": ref,
    }
    record.update({name: value for name, value in optional.items() if value is not None})
    return outbox_item(table, cast(OutboxRecord, record))


def batched_email(
    *,
    table: str,
    outbox_id: str,
    kind: str,
    now: datetime,
    due: str,
    group_id: str,
    organizer_id: str | None = None,
    fallback: str | None = None,
    ref: str | None = None,
) -> TransactItem:
    """The transaction part for an email that gathers several changes (one item per ``outbox_id``,
    which the caller derives from the batch): the first change writes the item, pending and not
    due before ``due``; later ones with the same id change nothing and never fail the caller's
    transaction (an update that sets each field only if it is missing)."""
    record: dict[str, Any] = {
        "id": outbox_id,
        "kind": kind,
        "status": "pending",
        "created_at": now.isoformat(),
        "group_id": group_id,
    }
    optional = {"organizer_id": organizer_id, "fallback": fallback, "ref": ref}
    record.update({name: value for name, value in optional.items() if value is not None})
    values = {**record, "next_attempt_at": due, "gsi1pk": OUTBOX_PENDING, "gsi1sk": f"{due}#{outbox_id}"}
    names = {f"#b{i}": name for i, name in enumerate(values)}
    parts = [f"#b{i} = if_not_exists(#b{i}, :b{i})" for i in range(len(values))]
    return {
        "Update": {
            "TableName": table,
            "Key": outbox_key(outbox_id),
            "UpdateExpression": "SET " + ", ".join(parts),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {f":b{i}": to_attr(v) for i, v in enumerate(values.values())},
        }
    }


def promised_id(part: TransactItem) -> str:
    """The outbox item's id in a part ``promised_email`` returned."""
    return str(part["Put"]["Item"]["id"]["S"])
