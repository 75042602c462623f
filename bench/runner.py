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

from bench import coldjoin, coldsignup, coldstart, distribution, faults, packaging, peers, seed, signup_states, warm
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
        if {"package", "cold", "coldsignup", "peers"} & set(sections):
            package_section(cfg, work, results, log)
        if not {"cold", "coldsignup", "peers", "warm", "dist"} & set(sections):
            return
        with dynamodb_engine(log) as engine:
            results["dynamodb_local"] = engine.endpoint
            precreate(engine.endpoint, table_names(cfg, sections), log)
            app_ctx: dict[str, Any] = {}
            if {"cold", "coldsignup", "peers", "warm"} & set(sections):
                app_ctx = prepare_app(cfg, engine.endpoint, state, results, log)
            if {"cold", "peers"} & set(sections):
                cold_section(cfg, work, sections, app_ctx, results, log)
            if "cold" in sections:
                cold_join_section(cfg, work, app_ctx, results, log)
            if "coldsignup" in sections:
                cold_signup_section(cfg, work, app_ctx, results, log)
            if "peers" in sections:
                peers_warm_section(cfg, app_ctx, results, log)
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
    if after.timestamp_pycs:
        # chalice package copies the project's own __pycache__ (written by local runs and tests);
        # devtools.package drops those and compiles unchecked-hash bytecode. One left is a regression:
        # every cold start would compile that module again.
        problem(results, f"{len(after.timestamp_pycs)} timestamp-checked .pyc files in the deployment package")
        results["package"]["clean"] = packaging.build_clean(work, before.zip_path)
        log(f"  {len(after.timestamp_pycs)} timestamp-checked .pyc in the package; built the clean variant too")


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
    cfg: Config, work: Path, sections: tuple[str, ...], ctx: dict[str, Any], results: dict[str, Any], log: Log
) -> None:
    """Fresh processes, interleaved and paired: every repetition runs each variant once, back to back, in
    a rotating order. The floors and the peers do the app's work by hand (bench/handlers/), and first
    their answers are checked byte for byte against the app's."""
    pkg = results["package"]
    runtime = coldstart.runtime_dir(Path(tempfile.gettempdir()) / f"mbc-bench-runtime-{_boto_version()}")
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
    spec = {"event": warm.rest_event("GET", "/events", "/events")}
    after = coldstart.Variant("after", "app, with bytecode (as deployed)", "app", [str(after_dir), str(runtime)])
    chosen = [peers.FLOOR_BOTOCORE, peers.FLOOR_BOTO3] if "cold" in sections else [peers.FLOOR_BOTOCORE]
    if "peers" in sections:
        chosen += list(peers.PEERS)
    variants = []
    sizes: dict[str, int] = {}
    for peer in chosen:
        zip_path = peers.build(peer, work)
        sizes[peer.key] = zip_path.stat().st_size
        folder = work / f"task-{peer.requirements}"
        if not folder.exists():
            packaging.extract(zip_path, folder)
        variants.append(
            coldstart.Variant(peer.key, peer.name, "module", [str(folder), str(runtime)], module=peer.module)
        )
    if "cold" in sections and cfg.cold_sources:
        before_dir = packaging.extract(pkg["before"].zip_path, work / "task-before")
        variants.append(
            coldstart.Variant("before", "app, sources only (no bytecode)", "app", [str(before_dir), str(runtime)])
        )
    variants.append(after)
    if "cold" in sections and "clean" in pkg:
        clean_dir = packaging.extract(pkg["clean"].zip_path, work / "task-clean")
        variants.append(
            coldstart.Variant(
                "clean",
                "app, with bytecode, the project's __pycache__ left out",
                "app",
                [str(clean_dir), str(runtime)],
            )
        )
    probe = coldstart.run_child(after, spec, env)
    heavy = sorted(name for name in coldstart.HEAVY if probe.get("imported", {}).get(name))
    if heavy:
        problem(results, f"a cold GET /events imports {', '.join(heavy)} (a public read route must not)")
    results["cold_probe"] = probe
    identity = coldstart.check_identity(variants, after, spec, env, ctx["env"]["TABLE_NAME"], query)
    for text in identity["problems"]:
        problem(results, text)
    log(f"identity: {identity['summary']}")
    log(f"cold starts: {len(variants)} variants x {cfg.cold_reps} fresh processes, interleaved")
    coldstart.measure(variants, spec, env, cfg.cold_reps, log)
    for v in variants:
        odd = [s for s in v.samples if (s["events"], s["cursor"]) != (probe["events"], probe["cursor"])]
        if odd:
            problem(results, f"cold {v.name}: {len(odd)} answers with another page than the app's")
    profile = coldstart.import_profile(after, spec, env) if "cold" in sections else []
    results["cold"] = {
        "variants": variants,
        "runtime": str(runtime),
        "query": query,
        "profile": profile,
        "app_calls": len(ctx["list_calls"]),
        "identity": identity,
        "peer_sizes": sizes,
        "sections": sections,
    }
    for v in variants:
        log(f"  {v.name}: total {v.median_of('total_s') * 1000:.0f} ms (import {v.median_of('import_s') * 1000:.0f})")
    floor = next(v for v in variants if v.key == "floor-botocore")
    for v in variants:
        if v is not floor:
            for key in ("total_s", "total_cpu_s"):
                stats = coldstart.paired_stats(v, floor, key)
                log(
                    f"  {v.key} vs botocore floor ({key}): ratio of medians {stats['ratio_of_medians']:.3f}, "
                    f"median of paired {stats['paired']:.3f} (halves {stats['first_half']:.3f} / "
                    f"{stats['second_half']:.3f})"
                )


def cold_join_section(cfg: Config, work: Path, ctx: dict[str, Any], results: dict[str, Any], log: Log) -> None:
    """Cold GET /j/{token} (the 303 to the room) against its floor (bench/coldjoin.py), from the cold
    section's unzipped app package."""
    runtime = coldstart.runtime_dir(Path(tempfile.gettempdir()) / f"mbc-bench-runtime-{_boto_version()}")
    home = work / "home"
    env = {
        **ctx["env"],
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
    }
    out = coldjoin.section(cfg, work, work / "task-after", runtime, env, ctx, log)
    for text in out["identity"]["problems"]:
        problem(results, text)
    results["cold_join"] = out


def cold_signup_section(cfg: Config, work: Path, ctx: dict[str, Any], results: dict[str, Any], log: Log) -> None:
    """The signup form post in fresh processes against its botocore floor (bench/coldsignup.py)."""
    runtime = coldstart.runtime_dir(Path(tempfile.gettempdir()) / f"mbc-bench-runtime-{_boto_version()}")
    after_dir = work / "task-after"
    if not after_dir.exists():
        packaging.extract(results["package"]["after"].zip_path, after_dir)
    floor_dir = work / "task-floor"
    if not floor_dir.exists():  # the floors' package (the cold section may have unpacked it already)
        packaging.extract(peers.build(peers.SIGNUP_FLOOR, work), floor_dir)
    out = coldsignup.run(cfg, work, runtime, after_dir, floor_dir, ctx, log)
    results["coldsignup"] = out
    for text in out["problems"]:
        problem(results, text)


def peers_warm_section(cfg: Config, ctx: dict[str, Any], results: dict[str, Any], log: Log) -> None:
    """Warm GET /events in long-lived processes (one per variant, each from its package), interleaved."""
    cold = results["cold"]
    keep = {"floor-botocore", "after", "powertools", "fastapi"}
    variants = [v for v in cold["variants"] if v.key in keep]
    env = {**ctx["env"], "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    log(f"warm GET /events, {len(variants)} processes: {cfg.rounds} rounds x {cfg.per_round} requests each")
    out = coldstart.measure_warm(variants, {"event": warm.rest_event("GET", "/events", "/events")}, env, cfg)
    results["peers_warm"] = out
    for key, res in out.items():
        log(
            f"  {key}: p50 {res['p50'] * 1000:.2f} ms, p95 {res['p95'] * 1000:.2f} ms, "
            f"vs floor {res['ratio_p50']:.3f}; "
            f"CPU p50 {res['cpu_p50'] * 1000:.2f} ms, vs floor {res['ratio_cpu_p50']:.3f}"
        )


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
    signup_section(cfg, ctx, results, log)
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
    signup = by_size[small].get("POST /groups/{id}/signups")
    if signup is not None:
        if signup.calls.operations() != warm.SIGNUP_OPERATIONS:
            problem(
                results,
                f"POST /groups/{{id}}/signups makes {', '.join(signup.calls.operations())}; "
                f"the design is {', '.join(warm.SIGNUP_OPERATIONS)}",
            )
        # The POST touches no event partition: both table sizes measure the same request, so every round counts.
        ratio = warm.pooled_ratio([by_size[size][signup.route.name] for size in cfg.sizes])
        if cfg.signup_floor_max is not None and not ratio <= cfg.signup_floor_max:
            problem(
                results,
                f"POST /groups/{{id}}/signups: app/floor p50 {ratio:.2f}x (every round, both table sizes), "
                f"the target is {cfg.signup_floor_max:g}x",
            )
    if cfg.density:
        density_section(cfg, endpoint, state, ctx, results, log, datetime.now(UTC))
        apply_environment(ctx["env"])  # leave the app pointed at the main table again
        warm.install_app_container()


def signup_section(cfg: Config, ctx: dict[str, Any], results: dict[str, Any], log: Log) -> None:
    """The signup POST for an address in every state: same calls, same time (issue 12)."""
    from chalicelib import container

    log(f"signup POST by address state: {cfg.signup_rounds} rounds x {len(signup_states.STATES)} states")
    run = signup_states.measure(
        ctx["handler"], container.current(), seed.GROUP_ID, cfg.signup_rounds, cfg.signup_warmup
    )
    results["signup_states"] = run
    for state, res in run.results.items():
        log(f"  {state}: p50 {res.p50 * 1000:.2f} ms, p90 {res.p90 * 1000:.2f} ms, {', '.join(res.operations)}")
    log(f"  max/min of the medians {run.spread:.3f}; paired {run.paired_spread:.3f}")
    if not run.same_calls:
        shapes = {s: len(r.shapes) for s, r in run.results.items()}
        problem(results, f"the signup POST's DynamoDB calls differ between address states ({shapes} shapes)")
    if not run.same_capacity:
        problem(
            results,
            "the signup POST's consumed capacity differs between address states: "
            + "; ".join(f"{s} {r.capacity}" for s, r in run.results.items()),
        )
    if cfg.signup_spread_max is not None and not run.spread <= cfg.signup_spread_max:
        problem(
            results,
            f"signup POST medians by address state: max/min {run.spread:.3f}, the bound is {cfg.signup_spread_max:g} "
            f"(paired within rounds: {run.paired_spread:.3f})",
        )


def density_levels(cfg: Config) -> list[int]:
    """The configured densities, and the two either side of the allowance's edge."""
    from chalicelib.events.storage import FILTER_ALLOWANCE

    return sorted({*cfg.density, FILTER_ALLOWANCE, FILTER_ALLOWANCE + 1})


def density_table(ended: int) -> str:
    return f"bench-density-{ended}"


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
    for ended in density_levels(cfg):
        table = density_table(ended)
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


def dist_scenarios(cfg: Config) -> list[distribution.Scenario]:
    scenarios = [
        distribution.Scenario(
            "control: limiter off",
            cfg.dist_control,
            limiter_rate=10_000.0,
            account_rate=False,
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
                account_rate=False,
                why="no rate limit anywhere, SES latency kept: how fast the pipeline itself could go",
            )
        )
    return scenarios


def fault_scenarios(cfg: Config) -> list[faults.FaultScenario]:
    return [sc for sc in faults.scenarios(cfg.fault_members) if not cfg.fault_keys or sc.key in cfg.fault_keys]


def table_names(cfg: Config, sections: tuple[str, ...]) -> list[str]:
    """Every table the run will use, so they can all be created before any is filled (see precreate)."""
    names = [EVENTS_TABLE, TWIN_TABLE] if {"cold", "coldsignup", "peers", "warm"} & set(sections) else []
    if "warm" in sections and cfg.density:
        names += [density_table(ended) for ended in density_levels(cfg)]
    if "dist" in sections:
        names += [f"bench-dist-{n}" for n in range(len(dist_scenarios(cfg)))]
        names += [f"bench-faults-{sc.key}" for sc in fault_scenarios(cfg)]
    return names


def precreate(endpoint: str, names: list[str], log: Log) -> None:
    """Create every table, and write to each once, while the engine is empty.

    DynamoDB Local 3.3.0 writes slowly to a stream-enabled table whose first write comes after the
    engine took many writes elsewhere: measured here, a PutItem to such a table took 100-180 ms once
    10,000 events were seeded (even after deleting their table), against 3-8 ms to a table created and
    written once before them, or to a table without a stream. Every table has a stream since issue 12
    (the outbox), and a stream adds no latency to writes in AWS: so each table gets its first write
    (a marker, put and deleted at once) before anything else happens."""
    client = raw_client(endpoint)
    started = time.perf_counter()
    marker = {"pk": {"S": "BENCH#first-write"}, "sk": {"S": "BENCH"}}
    for name in names:
        create_table(client, name)
        client.put_item(TableName=name, Item=marker)
        client.delete_item(TableName=name, Key=marker)
    log(f"created {len(names)} tables, each written once ({time.perf_counter() - started:.1f} s)")


def dist_section(cfg: Config, endpoint: str, state: Path, results: dict[str, Any], log: Log) -> None:
    ensure_signing_key(state)
    scenarios = dist_scenarios(cfg)
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
    fault_section(cfg, endpoint, state, results, log)
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


def fault_section(cfg: Config, endpoint: str, state: Path, results: dict[str, Any], log: Log) -> None:
    """The duplicate window under injected faults (bench/faults.py)."""
    out = []
    for sc in fault_scenarios(cfg):
        log(f"faults: {sc.label}, {sc.members} members")
        res = faults.run(sc, endpoint, state, f"bench-faults-{sc.key}", cfg.fault_latency, cfg.fault_sleep_scale, log)
        out.append(res)
        log(
            f"  {sc.key}: injected {dict(res.injected)}, accepted {res.accepted}, duplicates {res.duplicates}, "
            f"missing {res.missing}, window p50 {res.window_p50 * 1000:.1f} ms ({res.wall_s:.1f} s); "
            f"app log {dict(res.log_lines)}"
        )
        for text in faults.violations(res):
            problem(results, text)
    results["faults"] = out
