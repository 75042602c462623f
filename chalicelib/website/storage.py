"""Site settings items (layout in ``records.py``)."""

from __future__ import annotations

from typing import Any, cast

from chalicelib.db import ITEM_IS_NEW, Cond, from_item, key, to_item, version_is
from chalicelib.website.records import ORIGINS_SK, SITE_PK, SiteOriginsRecord


class SiteConflict(Exception):
    """The stored origins changed since the writer read them (or appeared meanwhile)."""


class SiteRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def get_origins(self) -> SiteOriginsRecord | None:
        item = self.client.get_item(TableName=self.table, Key=key(SITE_PK, ORIGINS_SK), ConsistentRead=True).get("Item")
        if not item:
            return None
        values = from_item(item)
        return cast(SiteOriginsRecord, {k: values[k] for k in SiteOriginsRecord.__annotations__ if k in values})

    def put_origins(self, record: SiteOriginsRecord, *, expected_version: int) -> None:
        """Write the list if nobody wrote since ``expected_version`` (0: never written)."""
        condition: Cond = ITEM_IS_NEW if expected_version == 0 else version_is(expected_version)
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**key(SITE_PK, ORIGINS_SK), **to_item(dict(record))},
                **condition.kwargs(),
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            raise SiteConflict from exc
