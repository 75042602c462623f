"""Import jobs and their rows (layout in ``records.py``): the only code that knows it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from chalicelib.db import (
    ITEM_IS_NEW,
    Cond,
    Update,
    key,
    merge_expression,
    partition_items,
    query_items,
    status_is,
    to_item,
    without_keys,
)
from chalicelib.signups.records import (
    IMPORT_JOB_PREFIX,
    IMPORT_READY_PREFIX,
    IMPORT_SKIPPED_PREFIX,
    ImportChunk,
    ImportJob,
    ImportSkip,
    import_jobs_pk,
    import_rows_pk,
)

BATCH = 25  # BatchWriteItem's limit


def job_key(group_id: str, job_id: str) -> dict[str, Any]:
    return key(import_jobs_pk(group_id), IMPORT_JOB_PREFIX + job_id)


def chunk_sk(number: int) -> str:
    return f"{IMPORT_READY_PREFIX}{number:05d}"


def chunk_key(group_id: str, job_id: str, number: int) -> dict[str, Any]:
    return key(import_rows_pk(group_id, job_id), chunk_sk(number))


def chunk_pending() -> Cond:
    return status_is("pending")


class ImportRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    # ---------------------------------------------------------------- writing a draft

    def put_draft(self, job: ImportJob, chunks: Sequence[ImportChunk], skipped: Sequence[Sequence[ImportSkip]]) -> None:
        """The rows first, the job last: a job that exists has all its rows."""
        group_id, job_id = job["group_id"], job["id"]
        rows_pk = import_rows_pk(group_id, job_id)
        items = [
            {**to_item({**chunk, "expires_at": job["expires_at"]}), **chunk_key(group_id, job_id, chunk["number"])}
            for chunk in chunks
        ]
        items += [
            {
                **to_item({"rows": list(part), "expires_at": job["expires_at"]}),
                **key(rows_pk, f"{IMPORT_SKIPPED_PREFIX}{n:05d}"),
            }
            for n, part in enumerate(skipped)
        ]
        self._write_all([{"PutRequest": {"Item": item}} for item in items])
        self.client.put_item(
            TableName=self.table, Item={**to_item(job), **job_key(group_id, job_id)}, **ITEM_IS_NEW.kwargs()
        )

    def _write_all(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), BATCH):
            pending: dict[str, Any] = {self.table: requests[start : start + BATCH]}
            for _ in range(8):
                resp = self.client.batch_write_item(RequestItems=pending)
                pending = resp.get("UnprocessedItems") or {}
                if not pending:
                    break
            if pending:
                raise RuntimeError("import rows could not all be written")

    # ---------------------------------------------------------------- reading

    def job(self, group_id: str, job_id: str) -> ImportJob | None:
        item = self.client.get_item(TableName=self.table, Key=job_key(group_id, job_id), ConsistentRead=True).get(
            "Item"
        )
        return cast(ImportJob, without_keys(item)) if item else None

    def jobs(self, group_id: str, *, limit: int = 5) -> list[ImportJob]:
        """The group's latest imports, newest first (one Query)."""
        resp = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :job)",
            ExpressionAttributeValues={":pk": {"S": import_jobs_pk(group_id)}, ":job": {"S": IMPORT_JOB_PREFIX}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [cast(ImportJob, without_keys(item)) for item in resp.get("Items", [])]

    def chunk(self, group_id: str, job_id: str, number: int) -> ImportChunk | None:
        item = self.client.get_item(
            TableName=self.table, Key=chunk_key(group_id, job_id, number), ConsistentRead=True
        ).get("Item")
        return cast(ImportChunk, without_keys(item)) if item else None

    def rows(self, group_id: str, job_id: str) -> tuple[list[ImportChunk], list[ImportSkip]]:
        """Every chunk of people (in order) and every row the preview refused (one Query)."""
        chunks: list[ImportChunk] = []
        skipped: list[ImportSkip] = []
        for item in partition_items(self.client, self.table, import_rows_pk(group_id, job_id), ConsistentRead=True):
            sk = item["sk"]["S"]
            values = without_keys(item)
            if sk.startswith(IMPORT_READY_PREFIX):
                chunks.append(cast(ImportChunk, values))
            elif sk.startswith(IMPORT_SKIPPED_PREFIX):
                skipped.extend(cast(list[ImportSkip], values.get("rows", [])))
        return chunks, skipped

    # ---------------------------------------------------------------- committing

    def start_item(self, group_id: str, job_id: str, *, version: int, sets: dict[str, Any]) -> dict[str, Any]:
        """Transaction item: a draft (at the version the organizer saw) starts adding."""
        update = Update(sets={**sets, "version": version + 1})
        cond = status_is("draft") & Cond("#v = :v", {"#v": "version"}, {":v": version})
        return {
            "Update": {
                "TableName": self.table,
                "Key": job_key(group_id, job_id),
                **merge_expression(update.request(), cond),
            }
        }

    def chunk_done_item(
        self, group_id: str, job_id: str, number: int, *, skipped: list[ImportSkip], added: int, expires_at: int
    ) -> dict[str, Any]:
        """Transaction item: a chunk is added; its people are dropped, the rows skipped (and why) kept."""
        update = Update(
            sets={"status": "done", "people": [], "skipped": skipped, "added": added, "expires_at": expires_at}
        )
        return {
            "Update": {
                "TableName": self.table,
                "Key": chunk_key(group_id, job_id, number),
                **merge_expression(update.request(), chunk_pending()),
            }
        }

    def progress_item(
        self, group_id: str, job_id: str, *, added: int, skipped: int, finished_at: str | None, expires_at: int
    ) -> dict[str, Any]:
        """Transaction item: the job's counts grow by one chunk's outcome (and it is done after the last)."""
        sets: dict[str, Any] = {"expires_at": expires_at}
        if finished_at is not None:
            sets.update(status="done", finished_at=finished_at)
        update = Update(sets=sets, adds={"added": added, "skipped": skipped, "chunks_done": 1})
        return {
            "Update": {
                "TableName": self.table,
                "Key": job_key(group_id, job_id),
                **merge_expression(update.request(), status_is("adding")),
            }
        }

    # ---------------------------------------------------------------- forgetting

    def delete(self, group_id: str, job_id: str) -> None:
        """The job's rows, then the job (each step repeatable)."""
        rows_pk = import_rows_pk(group_id, job_id)
        keys = [
            {"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}
            for item in query_items(
                self.client,
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": rows_pk}},
                ProjectionExpression="pk, sk",
                ConsistentRead=True,
            )
        ]
        self._write_all(keys)
        self.client.delete_item(TableName=self.table, Key=job_key(group_id, job_id))
