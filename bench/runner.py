"""Runs the sections in order and collects everything report.py renders."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import coldstart, distribution, packaging, seed, warm
from bench.common import (
    CallCounter,
    app_environment,
    apply_environment,
    create_table,
    dynamodb_engine,
    ensure_signing_key,
    machine,
    percentile,
    raw_client,
)
from bench.config import Config

Log = Callable[[str], None]
EVENTS_TABLE = "bench-events"
TWIN_TABLE = "bench-events-twin"


def problem(results: dict[str, Any], text: str) -> None:
    results.setdefault("problems", []).append(text)


def run(cfg: Config, sections: tuple[str, ...], results: dict[str, Any], log: Log) -> None:
    results["machine"] = machine()
    results["load_start"] = results["machine"]["load"]
    try:
        _run(cfg, sections, results, log)
    finally:
        results["machine"]["load"] = machine()["load"]


def _run(cfg: Config, sections: tuple[str, ...], results: dict[str, Any], log: Log) -> None:
    with tempfile.TemporaryDirectory(prefix="mbc-bench-") as tmp:
        work = Path(tmp)
        state = work / "state"
        state.mkdir()
        if "package" in sections or "cold" in sections:
            package_section(cfg, work, results, log)
        if not {"cold", "warm", "dist"} & set(sections):
            return
        with dynamodb_engine(log) as engine:
            results["dynamodb_local"] = engine.endpoint
            app_ctx: dict[str, Any] = {}
            if "cold" in sections or "warm" in sections:
                app_ctx = prepare_app(cfg, engine.endpoint, state, results, log)
            if "cold" in sections:
                cold_section(cfg, work, engine.endpoint, state, app_ctx, results, log)
            if "warm" in sections:
                warm_section(cfg, engine.endpoint, state, app_ctx, results, log)
            if "dist" in sections:
                dist_section(cfg, engine.endpoint, state, results, log)


# ------------------------------------------------------------------ 2. package


def package_section(cfg: Config, work: Path, results: dict[str, Any], log: Log) -> None:
    log("building the deployment package (chalice package --stage prod), then the bytecode variant")
    before, after, stats = packaging.build(work)
    # Alternating, then medians, like everything else.
    for _ in range(cfg.unzip_reps):
        packaging.time_unzip(before, 1)
        packaging.time_unzip(after, 1)
    results["package"] = {"before": before, "after": after, "stats": stats}
    log(f"package: {before.zip_bytes} -> {after.zip_bytes} bytes zipped; {stats}")


# ------------------------------------------------------------------ the app, in process


def prepare_app(cfg: Config, endpoint: str, state: Path, results: dict[str, Any], log: Log) -> dict[str, Any]:
    from chalicelib import container

    env = app_environment(EVENTS_TABLE, endpoint, state)
    apply_environment(env)
    ensure_signing_key(state)
    warm.install_app_container()
    client = container.current().dynamodb  # the client the app's routes use (counted below)
    create_table(client, EVENTS_TABLE)
    create_table(client, TWIN_TABLE)
    now = datetime.now(UTC)
    calendar = seed.calendar_bodies(now)
    small = cfg.sizes[0]
    seed.seed_events(client, EVENTS_TABLE, calendar + seed.history_bodies(small - len(calendar), now))
    seed.check_identical_layout(client, EVENTS_TABLE, now)
    seed.create_group(client, EVENTS_TABLE)
    seed.create_group(client, TWIN_TABLE)
    import app as app_module

    handler = app_module.app
    first = warm.invoke(handler, warm.rest_event("GET", "/events", "/events"), 200)
    event_id = json.loads(first["body"])["events"][0]["id"]
    counter = CallCounter(client, capacity=False)
    with counter.recording() as calls:
        warm.invoke(handler, warm.rest_event("GET", "/events", "/events"), 200)
    counter.close()
    log(f"seeded {small} events ({len(calendar)} around today, the rest history); GET /events made {calls.count} calls")
    results["calendar"] = {"around_now": len(calendar), "now": now.isoformat()}
    return {
        "env": env,
        "client": client,
        "handler": handler,
        "now": now,
        "calendar": len(calendar),
        "event_id": event_id,
        "list_calls": calls.calls,
    }


# ------------------------------------------------------------------ 1. cold start


def cold_section(
    cfg: Config, work: Path, endpoint: str, state: Path, ctx: dict[str, Any], results: dict[str, Any], log: Log
) -> None:
    pkg = results["package"]
    runtime = coldstart.runtime_dir(Path(tempfile.gettempdir()) / f"mbc-bench-runtime-{_boto_version()}")
    before_dir = packaging.extract(pkg["before"].zip_path, work / "task-before")
    after_dir = packaging.extract(pkg["after"].zip_path, work / "task-after")
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {
        **ctx["env"],
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
    }
    query = ctx["list_calls"][0].params  # the app's own Query (the first one, if it makes more)
    spec = {"event": warm.rest_event("GET", "/events", "/events"), "query": query, "endpoint": endpoint}
    after = coldstart.Variant("after", "app, with bytecode (as deployed)", "app", [str(after_dir), str(runtime)])
    variants = [
        coldstart.Variant("floor", "floor: import boto3, client, one Query", "floor", [str(runtime)]),
        coldstart.Variant(
            "floor-botocore", "floor: botocore only, client, one Query", "floor-botocore", [str(runtime)]
        ),
        coldstart.Variant("before", "app, sources only (no bytecode)", "app", [str(before_dir), str(runtime)]),
        after,
    ]
    probe = coldstart.run_child(after, spec, env)
    heavy = sorted(name for name in coldstart.HEAVY if probe.get("imported", {}).get(name))
    if heavy:
        problem(results, f"a cold GET /events imports {', '.join(heavy)} (a public read route must not)")
    results["cold_probe"] = probe
    log(f"cold starts: {len(variants)} variants x {cfg.cold_reps} fresh processes")
    coldstart.measure(variants, spec, env, cfg.cold_reps)
    profile = coldstart.import_profile(after, spec, env)
    results["cold"] = {
        "variants": variants,
        "runtime": str(runtime),
        "query": query,
        "profile": profile,
        "app_calls": len(ctx["list_calls"]),
    }
    for v in variants:
        log(f"  {v.name}: total {v.median_of('total_s') * 1000:.0f} ms (import {v.median_of('import_s') * 1000:.0f})")


def _boto_version() -> str:
    import botocore

    return str(botocore.__version__)


# ------------------------------------------------------------------ 3. warm requests


def warm_section(
    cfg: Config, endpoint: str, state: Path, ctx: dict[str, Any], results: dict[str, Any], log: Log
) -> None:
    client, handler = ctx["client"], ctx["handler"]
    floor_client = raw_client(endpoint)
    by_size: dict[int, dict[str, warm.RouteResult]] = {}
    for size in cfg.sizes:
        if size != cfg.sizes[0]:
            have = cfg.sizes[0]
            started = time.perf_counter()
            seed.seed_events(
                client, EVENTS_TABLE, seed.history_bodies(size - have, ctx["now"], offset=have - ctx["calendar"])
            )
            log(f"grew the table to {size} events ({time.perf_counter() - started:.1f} s)")
        by_size[size] = {}
        for route in warm.routes(ctx["event_id"], seed.GROUP_ID):
            res = warm.RouteResult(route)
            res.calls = warm.count_calls(handler, client, route, 0)
            feed_before = warm.rendered_feed() if route.name == "GET /events/calendar.ics" else None
            warm.latency(
                handler,
                client,
                floor_client,
                route,
                res,
                cfg.rounds,
                cfg.per_round,
                cfg.warmup,
                {EVENTS_TABLE: TWIN_TABLE},
            )
            if feed_before is not None:
                # The same object after every timed poll: each one was served from the memo, none rendered.
                res.feed_memo_held = warm.rendered_feed() is feed_before
            by_size[size][route.name] = res
            s = res.summary()
            log(
                f"  {size} events, {route.name}: {res.calls.count} calls, {res.calls.capacity:.1f} CU; "
                f"app p50 {s['app_p50'] * 1000:.1f} ms vs floor {s['floor_p50'] * 1000:.1f} ms"
            )
    results["warm"] = by_size
    small, large = cfg.sizes
    for name, res in by_size[small].items():
        big = by_size[large][name]
        if res.calls.count > res.route.design_min:
            problem(
                results,
                f"{name}: {res.calls.count} DynamoDB calls per request, the design needs {res.route.design_min}",
            )
        if big.calls.count > res.calls.count:
            problem(results, f"{name}: DynamoDB calls grow with table size ({res.calls.count} -> {big.calls.count})")
        if big.calls.capacity > res.calls.capacity * 1.05 + 0.5:
            problem(
                results,
                f"{name}: consumed capacity grows with table size "
                f"({res.calls.capacity:.1f} -> {big.calls.capacity:.1f})",
            )
    if cfg.density:
        density_section(cfg, endpoint, state, ctx, results, log, datetime.now(UTC))
        apply_environment(ctx["env"])  # leave the app pointed at the main table again
        warm.install_app_container()


def density_section(
    cfg: Config,
    endpoint: str,
    state: Path,
    ctx: dict[str, Any],
    results: dict[str, Any],
    log: Log,
    now: datetime,
) -> None:
    """GET /events as the number of events that ended within the 14-day lookback grows."""
    from chalicelib import container
    from chalicelib.events.storage import FILTER_ALLOWANCE

    rows = []
    # The configured densities, and the two either side of the allowance's edge.
    for ended in sorted({*cfg.density, FILTER_ALLOWANCE, FILTER_ALLOWANCE + 1}):
        table = f"bench-density-{ended}"
        env = app_environment(table, endpoint, state)
        apply_environment(env)
        warm.install_app_container()
        client = container.current().dynamodb
        create_table(client, table)
        base = now.replace(minute=0, second=0, microsecond=0)
        bodies = [seed.event_body(i, base + seed.SPACING * (i + 1), 2) for i in range(seed.UPCOMING)]
        step = (seed.LOOKBACK - timedelta(hours=3)) / max(ended, 1)
        bodies += [seed.event_body(5000 + i, base - timedelta(hours=3) - step * i, 2) for i in range(ended)]
        bodies = [{**b, "status": "published"} for b in bodies]
        seed.seed_events(client, table, bodies)
        route = warm.routes("x", seed.GROUP_ID)[0]
        times = []
        for i in range(cfg.per_round * 2):
            t0 = time.perf_counter()
            warm.invoke(ctx["handler"], route.event(i), 200)
            times.append(time.perf_counter() - t0)
        calls = warm.count_calls(ctx["handler"], client, route, 0)
        body = json.loads(warm.invoke(ctx["handler"], route.event(0), 200)["body"])
        rows.append(
            {
                "ended": ended,
                "calls": calls.count,
                "capacity": calls.capacity,
                "limits": [c.params.get("Limit") for c in calls.calls],
                "p50": percentile(times, 50),
                "returned": len(body["events"]),
                "cursor": bool(body["next_cursor"]),
            }
        )
        log(f"  density {ended} ended: {calls.count} Queries, {calls.capacity:g} read units")
        client.delete_table(TableName=table)
    results["density"] = {"rows": rows, "allowance": FILTER_ALLOWANCE}


# ------------------------------------------------------------------ 4. distribution


def dist_section(cfg: Config, endpoint: str, state: Path, results: dict[str, Any], log: Log) -> None:
    ensure_signing_key(state)
    scenarios = [
        distribution.Scenario(
            "control: limiter off",
            cfg.dist_control,
            limiter_rate=10_000.0,
            why="the Distributor without its limiter (10,000/s) against the 14/s stand-in in real time: "
            "the stand-in must refuse sends (proves the limit is enforced, so the runs below test the limiter)",
        ),
        distribution.Scenario(
            f"real time, {cfg.dist_realtime:,} members",
            cfg.dist_realtime,
            why="SES default rate 14/s and 60-120 ms per call, in real time: the achieved rate and writes per email",
        ),
        distribution.Scenario(
            f"time x{cfg.scale:g}, {cfg.dist_scaled:,} members",
            cfg.dist_scaled,
            scale=cfg.scale,
            why=f"every member, with the SES limit x{cfg.scale:g} (and its latency and window / {cfg.scale:g}), "
            f"the Distributor's max_send_rate x{cfg.scale:g} likewise: completeness and zero duplicates at full size",
        ),
    ]
    if cfg.dist_alt_limiter:
        scenarios.append(
            distribution.Scenario(
                f"real time, limiter {cfg.dist_alt_limiter:g}/s, {cfg.dist_alt_members:,} members",
                cfg.dist_alt_members,
                limiter_rate=cfg.dist_alt_limiter,
                why=f"as the real-time run, with MAX_SEND_RATE={cfg.dist_alt_limiter:g} under the 14/s SES limit: "
                "what headroom against arrival jitter costs and saves",
            )
        )
    if cfg.dist_headroom:
        scenarios.append(
            distribution.Scenario(
                f"headroom, {cfg.dist_headroom:,} members",
                cfg.dist_headroom,
                limiter_rate=1e6,
                ses_rate=1e6,
                why="no rate limit anywhere, SES latency kept: how fast the pipeline itself could go",
            )
        )
    out = []
    for n, sc in enumerate(scenarios):
        log(f"distribution: {sc.label}")
        res = distribution.run_scenario(sc, endpoint, state, f"bench-dist-{n}", log)
        out.append(res)
        log(
            f"  sent {res.sent}, duplicates {res.duplicates}, missing {res.missing}, throttled {res.throttled}, "
            f"steady {res.steady_rate:.2f}/s, {res.write_calls_per_email:.2f} write calls/email"
        )
        for text in distribution.violations(res):
            problem(results, text)
        if sc.label.startswith("control") and res.throttled == 0:
            problem(results, "the SES stand-in never throttled the unlimited Distributor: the limit is not tested")
    results["dist"] = out
    rt = next(r for r in out if r.scenario.scale == 1.0 and r.scenario.limiter_rate is None)
    big = max(out, key=lambda r: r.scenario.members)
    plan_big = big.plan_s
    results["time_to_serve_10k"] = {
        "estimate_s": plan_big * 10_000 / big.scenario.members + 10_000 / rt.steady_rate
        if rt.steady_rate
        else float("nan"),
        "plan_s": plan_big,
        "plan_members": big.scenario.members,
        "rate": rt.steady_rate,
        "measured_s": rt.wall_s + rt.plan_s if rt.scenario.members >= 10_000 else None,
    }
