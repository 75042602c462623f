"""Cold starts: fresh interpreters importing the unzipped deployment package, as Lambda does.

Each sample is a new ``python3.12 -I -S -B`` process whose sys.path is the unzipped package, then
a directory with only boto3 and its dependencies (the Lambda runtime provides those, precompiled as
pip installs them). The variants run round-robin in a rotating order, so drift on this shared
machine hits each of them alike.
"""

from __future__ import annotations

import compileall
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, median, percentile

CHILD = ROOT / "bench" / "cold_child.py"
WARM_CHILD = ROOT / "bench" / "warm_child.py"
# What the Lambda Python runtime ships besides the standard library (boto3 and its dependencies).
RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six.py")
# What a cold GET /events must not import (a public read route imports nothing heavy, see app.py):
# the app makes its clients with botocore alone, validates no model and renders nothing. (dateutil is
# not listed: botocore itself imports it.)
HEAVY = ("boto3", "pydantic", "pydantic_core", "email_validator", "jinja2", "icalendar")


@dataclass
class Variant:
    key: str
    name: str
    mode: str  # app | module (a floor's or a peer's handler module, bench/handlers/)
    paths: list[str]
    env: dict[str, str] = field(default_factory=dict)  # on top of the common environment
    samples: list[dict[str, Any]] = field(default_factory=list)
    module: str = ""

    def median_of(self, key: str) -> float:
        return median([float(s[key]) for s in self.samples])

    def payload(self, spec: dict[str, Any]) -> str:
        return json.dumps({**spec, "mode": self.mode, "module": self.module, "paths": self.paths})


def runtime_dir(work: Path) -> Path:
    """boto3 & co. copied from the venv and byte-compiled (as in the Lambda runtime image).

    Cached under ``work`` and shared by concurrent runs (`make test` runs the smoke suite, and several
    people run it at once): each run builds into its own directory and renames it into place, so no
    run ever sees a half-built copy.
    """
    dest = work / "lambda-runtime"
    if (dest / ".complete").exists():
        return dest
    work.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix="building-", dir=work))
    site = Path(__import__("boto3").__file__).resolve().parent.parent
    for name in RUNTIME_PACKAGES:
        src = site / name
        if src.is_dir():
            shutil.copytree(src, build / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, build / name)
    compileall.compile_dir(str(build), quiet=1, workers=2)
    (build / ".complete").touch()
    try:
        build.rename(dest)
    except OSError:  # another run got there first (or a stale incomplete copy is in the way)
        if not (dest / ".complete").exists():
            stale = Path(tempfile.mkdtemp(prefix="stale-", dir=work))
            try:
                dest.rename(stale / "old")
                build.rename(dest)
            except OSError:
                return build  # use our own copy for this run
            shutil.rmtree(stale, ignore_errors=True)
        else:
            shutil.rmtree(build, ignore_errors=True)
    return dest


def import_profile(variant: Variant, spec: dict[str, Any], env: dict[str, str]) -> list[tuple[str, int, int]]:
    """``-X importtime`` of one cold start: (module, cumulative us, nesting depth), in import order."""
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-X", "importtime", str(CHILD), variant.payload(spec)],
        env={**env, **variant.env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        name = name[1:]  # the separator's own space; then two spaces per nesting level
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((name.strip(), int(cumulative.strip()), depth))
    return rows


def spawn(variant: Variant, spec: dict[str, Any], env: dict[str, str], *, what: str) -> dict[str, Any]:
    """One fresh ``python3.12 -I -S -B`` process running bench/cold_child.py for ``variant``: its sample,
    with the whole process's wall time (``process_wall_s``). ``what`` names the section in errors."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(CHILD), variant.payload(spec)],
        env={**env, **variant.env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{what} child ({variant.name}) failed:\n{proc.stderr[-3000:]}")
    sample: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    sample["process_wall_s"] = wall
    return sample


def run_child(variant: Variant, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    sample = spawn(variant, spec, env, what="cold start")
    if sample["status"] != 200 or sample["events"] < 1:
        raise RuntimeError(f"cold start child ({variant.name}) got {sample}")
    return sample


def by_key(variants: list[Variant]) -> dict[str, Variant]:
    return {v.key: v for v in variants}


def measure(variants: list[Variant], spec: dict[str, Any], env: dict[str, str], reps: int, log: Any = None) -> None:
    for variant in variants:  # one unrecorded run each: file system caches warm, like a Lambda host's
        run_child(variant, spec, env)
    started = time.perf_counter()
    for rep in range(reps):
        order = variants[rep % len(variants) :] + variants[: rep % len(variants)]
        for variant in order:
            variant.samples.append(run_child(variant, spec, env))
        if log is not None and (rep + 1) % 20 == 0 and rep + 1 < reps:
            log(f"  {rep + 1} of {reps} repetitions ({time.perf_counter() - started:.0f} s)")


def check_identity(
    variants: list[Variant], app: Variant, spec: dict[str, Any], env: dict[str, str], table: str, query: dict[str, Any]
) -> dict[str, Any]:
    """Every variant's answer to the same request, with every clock pinned to one instant, byte for byte
    against the app's (body, Content-Type, Cache-Control); and the floors' Query against the app's own."""
    import importlib.util
    from datetime import UTC, datetime

    moment = datetime.now(UTC).replace(microsecond=0)
    pinned = {**spec, "pin_now": moment.isoformat()}
    reference = run_child(app, pinned, env)
    problems: list[str] = []
    same: list[str] = []
    for variant in variants:
        if variant is app:
            continue
        answer = run_child(variant, pinned, env)
        fields = ("body", "content_type", "cache_control")
        differ = [f for f in fields if answer.get(f) != reference.get(f)]
        if differ:
            problems.append(f"{variant.name} does not answer GET /events as the app does ({', '.join(differ)} differ)")
        else:
            same.append(variant.key)
    # The floors' Query, for the instant the app's recorded Query was made, is the app's.
    path = ROOT / "bench" / "handlers" / "listing_floor.py"
    loaded = importlib.util.spec_from_file_location("listing_floor_check", path)
    assert loaded is not None
    assert loaded.loader is not None
    listing = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(listing)
    recorded = datetime.strptime(query["ExpressionAttributeValues"][":from"]["S"], "%Y-%m-%dT%H:%M:%SZ")
    if listing.query_kwargs(table, recorded.replace(tzinfo=UTC)) != query:
        problems.append("the floors' Query is not the app's (bench/handlers/listing_floor.py)")
    return {
        "problems": problems,
        "identical": same,
        "bytes": len(reference.get("body") or ""),
        "events": reference.get("events"),
        "cursor": reference.get("cursor"),
        "summary": f"{len(same)} of {len(variants) - 1} byte-identical to the app "
        f"({len(reference.get('body') or '')} bytes, {reference.get('events')} events, "
        f"cursor {reference.get('cursor')})" + (f"; {'; '.join(problems)}" if problems else ""),
    }


def paired_stats(variant: Variant, floor: Variant, key: str = "total_s") -> dict[str, float]:
    """Ratio of the medians, and the median of the per-repetition ratios (each repetition ran every variant
    back to back), overall and for each half of the repetitions (how far two runs would disagree)."""
    ratios = [a[key] / b[key] for a, b in zip(variant.samples, floor.samples, strict=True) if b[key]]
    half = len(ratios) // 2
    return {
        "ratio_of_medians": variant.median_of(key) / floor.median_of(key),
        "paired": median(ratios),
        "first_half": median(ratios[:half]) if half else float("nan"),
        "second_half": median(ratios[half:]) if half else float("nan"),
        "n": float(len(ratios)),
    }


def measure_warm(variants: list[Variant], spec: dict[str, Any], env: dict[str, str], cfg: Any) -> dict[str, Any]:
    """Warm requests in one long-lived process per variant (bench/warm_child.py), interleaved: each request
    goes to every process in turn, in a rotating order; p50/p95 per round, then medians over rounds, and
    each round's p50 against the floor's (variant key ``floor-botocore``)."""
    procs = {}
    try:
        for v in variants:
            procs[v.key] = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(WARM_CHILD), v.payload(spec)],
                env={**env, **v.env},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd="/",
            )

        def one(key: str) -> tuple[float, float]:
            proc = procs[key]
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"warm child {key} died")
            answer = json.loads(line)
            if answer["status"] != 200:
                raise RuntimeError(f"warm child {key} answered {answer}")
            return float(answer["s"]), float(answer["cpu"])

        keys = [v.key for v in variants]
        for _ in range(cfg.warmup):
            for key in keys:
                one(key)
        per_round: dict[str, dict[str, list[float]]] = {k: {"p50": [], "p95": [], "cpu50": []} for k in keys}
        for _ in range(cfg.rounds):
            times: dict[str, list[float]] = {k: [] for k in keys}
            cpus: dict[str, list[float]] = {k: [] for k in keys}
            for i in range(cfg.per_round):
                for key in keys[i % len(keys) :] + keys[: i % len(keys)]:
                    wall, cpu = one(key)
                    times[key].append(wall)
                    cpus[key].append(cpu)
            for key in keys:
                per_round[key]["p50"].append(percentile(times[key], 50))
                per_round[key]["p95"].append(percentile(times[key], 95))
                per_round[key]["cpu50"].append(percentile(cpus[key], 50))
    finally:
        for proc in procs.values():
            if proc.stdin:
                proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    floor = per_round["floor-botocore"]
    out: dict[str, Any] = {}
    for key in keys:
        mine = per_round[key]
        out[key] = {
            "p50": median(mine["p50"]),
            "p95": median(mine["p95"]),
            "ratio_p50": median([a / b for a, b in zip(mine["p50"], floor["p50"], strict=True) if b]),
            "ratio_p95": median([a / b for a, b in zip(mine["p95"], floor["p95"], strict=True) if b]),
            "cpu_p50": median(mine["cpu50"]),
            "ratio_cpu_p50": median([a / b for a, b in zip(mine["cpu50"], floor["cpu50"], strict=True) if b]),
            "rounds": len(mine["p50"]),
        }
    return out
