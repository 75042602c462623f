"""Cold ``GET /j/{token}`` inside a meeting's opening window (issue 23): the 303 to the room, as a member
opening her link at 3:59 PM meets it in a fresh container.

The app's package with bytecode (the cold section's) against a floor that does the same click path by
hand with botocore (``handlers/floor_join.py``: GetItem of the link, a consistent BatchGetItem of the
member and the group's window, UpdateItem of the link's counter, the conditional PutItem of her first
opening), in a package with bytecode built like the other floors'. Fresh ``python -I -S -B`` processes
(bench/cold_child.py), interleaved and paired as in coldstart.py; every sample opens another member's
link, so every one is that member's first opening of the meeting (the PutItem succeeds, as at 3:59 PM).

First the identity check, with both clocks pinned to one instant and the same member: the same status
and headers (hashed: the Location is the room), the app's four calls in order, and the floor's writes
(the opening row, the counter) equal to the app's.
"""

from __future__ import annotations

import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import coldstart, packaging
from bench.coldstart import Variant
from bench.common import ROOT
from bench.lambda_event import rest_event

OPERATIONS = ["GetItem", "BatchGetItem", "UpdateItem", "PutItem"]  # the click path (joinlinks/click.py)


def floor_package(work: Path) -> Path:
    """floor_join.py alone (botocore comes from the runtime), with bytecode like every package here."""
    from devtools.package import add_bytecode

    out = work / "floor-join"
    out.mkdir(parents=True, exist_ok=True)
    zip_path = out / "deployment.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(ROOT / "bench" / "handlers" / "floor_join.py", "floor_join.py")
    add_bytecode(zip_path, strip=False)
    return packaging.extract(zip_path, out / "task")


def open_window(client: Any, table: str, group_id: str, now: datetime) -> str:
    """The group's window with a meeting open from 10 minutes ago for three hours (the app's own item
    layout: ``JoinLinkRepository.window_item``); the meeting's date."""
    from chalicelib.joinlinks.storage import JoinLinkRepository

    repo = JoinLinkRepository(client, table)
    window: Any = repo.window(group_id)
    if window is None:
        from bench.seed import GROUP_BODY

        window = {
            "group_id": group_id,
            "name": GROUP_BODY["name"],
            "timezone": "America/Denver",
            "zoom_url": GROUP_BODY["zoom_url"],
            "zoom_passcode": GROUP_BODY["zoom_passcode"],
            "zoom_meeting_id": None,
            "zoom_dial_in": [],
            "window_minutes": 30,
        }
    start = now.replace(microsecond=0) + timedelta(minutes=20)
    window["meetings"] = [
        {
            "date": start.date().isoformat(),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=3)).isoformat(),
            "opens": (start - timedelta(minutes=30)).isoformat(),
            "status": "scheduled",
            "sequence": 0,
        }
    ]
    window["computed_at"] = now.isoformat()
    client.put_item(**repo.window_item(window)["Put"])
    return str(start.date().isoformat())


def seed_links(client: Any, table: str, count: int) -> list[str]:
    """``count`` active members of the benchmark's group, each with her personal link (the app's items:
    ``SignupRepository.put_new``, ``JoinLinkService.activation_item``); their tokens."""
    from bench import seed
    from chalicelib import container

    links = container.current().join_links
    tokens = []
    for member in seed.seed_members(client, table, count, prefix="join"):
        client.put_item(**links.activation_item(member)["Put"])
        tokens.append(links.token(member))  # type: ignore[arg-type]
    return tokens


def spec_for(token: str) -> dict[str, Any]:
    return {"event": rest_event("GET", "/j/{token}", f"/j/{token}"), "clock_module": "floor_join"}


def run(variant: Variant, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    sample = coldstart.spawn(variant, spec, env, what="cold /j/")
    if sample["status"] != 303:
        raise RuntimeError(f"cold /j/ child ({variant.name}) answered {sample['status']}, not 303")
    return sample


def _rows(client: Any, table: str, token: str, group_id: str, signup_id: str, day: str) -> dict[str, Any]:
    """The items the click path writes for this link (the opening row; the counter, its count left out)."""
    import hashlib

    hashed = hashlib.sha256(token.encode()).hexdigest()
    opened = client.get_item(
        TableName=table,
        Key={"pk": {"S": f"DELIVERIES#{group_id}#{day}"}, "sk": {"S": f"{signup_id}#opened"}},
        ConsistentRead=True,
    ).get("Item")
    counters = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "RATE#join#" + hashed[:32]}},
        ConsistentRead=True,
    )["Items"]
    return {"opened": opened, "counters": [{k: v for k, v in c.items() if k != "n"} for c in counters]}


def check_identity(
    app: Variant, floor: Variant, env: dict[str, str], ctx: dict[str, Any], *, token: str, day: str
) -> dict[str, Any]:
    """The same member's link opened by the app, then (her opening row deleted) by the floor, both at one
    pinned instant: the same answer, and the same rows written."""
    from bench.common import CallCounter
    from bench.warm import invoke

    client, table = ctx["client"], ctx["env"]["TABLE_NAME"]
    problems: list[str] = []
    # The app's calls, in process (warm): the click path's four, in order.
    counter = CallCounter(client, capacity=False)
    with counter.recording() as calls:
        invoke(ctx["handler"], rest_event("GET", "/j/{token}", f"/j/{token}"), 303)
    counter.close()
    if calls.operations() != OPERATIONS:
        problems.append(f"the app's /j/ made {', '.join(calls.operations())}, not {', '.join(OPERATIONS)}")
    moment = datetime.now(UTC).replace(microsecond=0)  # real clock: one instant for both
    member = _member_of(client, table, token)
    group_id, signup_id = member["group_id"], member["id"]
    answers, rows = {}, {}
    for variant in (app, floor):
        for row in _rows(client, table, token, group_id, signup_id, day)["counters"]:
            client.delete_item(TableName=table, Key={"pk": row["pk"], "sk": row["sk"]})
        opened_key = {"pk": {"S": f"DELIVERIES#{group_id}#{day}"}, "sk": {"S": f"{signup_id}#opened"}}
        client.delete_item(TableName=table, Key=opened_key)
        answers[variant.key] = run(variant, {**spec_for(token), "pin_now": moment.isoformat()}, env)
        rows[variant.key] = _rows(client, table, token, group_id, signup_id, day)
    a, f = answers[app.key], answers[floor.key]
    if (a["status"], a["headers_sha256"], a["body_sha256"]) != (f["status"], f["headers_sha256"], f["body_sha256"]):
        problems.append("the /j/ floor does not answer as the app does (status, headers or body differ)")
    if rows[app.key] != rows[floor.key] or rows[app.key]["opened"] is None:
        problems.append("the /j/ floor does not write what the app writes (the opening row, the counter)")
    return {"problems": problems, "operations": calls.operations(), "status": a["status"]}


def measure(variants: list[Variant], tokens: list[str], env: dict[str, str], reps: int, log: Any = None) -> None:
    """As coldstart.measure, each run with the next member's link."""
    fresh = iter(tokens)
    for variant in variants:  # one unrecorded run each (file system caches)
        run(variant, spec_for(next(fresh)), env)
    started = time.perf_counter()
    for rep in range(reps):
        order = variants[rep % len(variants) :] + variants[: rep % len(variants)]
        for variant in order:
            variant.samples.append(run(variant, spec_for(next(fresh)), env))
        if log is not None and (rep + 1) % 20 == 0 and rep + 1 < reps:
            log(f"  /j/: {rep + 1} of {reps} repetitions ({time.perf_counter() - started:.0f} s)")


def section(
    cfg: Any, work: Path, app_dir: Path, runtime: Path, env: dict[str, str], ctx: dict[str, Any], log: Any
) -> dict[str, Any]:
    """Seed, check, measure; the results for the report (``results["cold_join"]``)."""
    from bench.seed import GROUP_ID

    client, table = ctx["client"], ctx["env"]["TABLE_NAME"]
    day = open_window(client, table, GROUP_ID, datetime.now(UTC))  # real clock: children use it
    reps = cfg.cold_reps
    tokens = seed_links(client, table, 2 * reps + 4)
    app = Variant("after", "app, with bytecode (as deployed)", "app", [str(app_dir), str(runtime)])
    floor = Variant(
        "floor-join",
        "floor: botocore only, the click path by hand",
        "module",
        [str(floor_package(work)), str(runtime)],
        module="floor_join",
    )
    identity = check_identity(app, floor, env, ctx, token=tokens[0], day=day)
    log(f"/j/ identity: {'; '.join(identity['problems']) or 'same answer, same calls and writes'}")
    log(f"cold /j/: 2 variants x {reps} fresh processes, interleaved")
    measure([floor, app], tokens[1:], env, reps, log)
    out: dict[str, Any] = {"variants": [floor, app], "identity": identity}
    for key in ("total_s", "total_cpu_s"):
        stats = coldstart.paired_stats(app, floor, key)
        out[key] = stats
        log(
            f"  /j/ app vs floor ({key}): ratio of medians {stats['ratio_of_medians']:.3f}, median of paired "
            f"{stats['paired']:.3f} (halves {stats['first_half']:.3f} / {stats['second_half']:.3f})"
        )
    return out


def _member_of(client: Any, table: str, token: str) -> dict[str, Any]:
    import hashlib

    from chalicelib.db import from_item

    hashed = hashlib.sha256(token.encode()).hexdigest()
    link = from_item(client.get_item(TableName=table, Key={"pk": {"S": "JOIN#" + hashed}, "sk": {"S": "JOIN"}})["Item"])
    return {"group_id": link["group_id"], "id": link["signup_id"]}
