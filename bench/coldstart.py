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

from bench.common import ROOT, median

CHILD = ROOT / "bench" / "cold_child.py"
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
    mode: str  # app | floor | floor-botocore
    paths: list[str]
    env: dict[str, str] = field(default_factory=dict)  # on top of the common environment
    samples: list[dict[str, Any]] = field(default_factory=list)

    def median_of(self, key: str) -> float:
        return median([float(s[key]) for s in self.samples])


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
    payload = json.dumps({**spec, "mode": variant.mode, "paths": variant.paths})
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-X", "importtime", str(CHILD), payload],
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


def run_child(variant: Variant, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    payload = json.dumps({**spec, "mode": variant.mode, "paths": variant.paths})
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(CHILD), payload],
        env={**env, **variant.env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"cold start child ({variant.name}) failed:\n{proc.stderr[-3000:]}")
    sample: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if sample["status"] != 200 or sample["events"] < 1:
        raise RuntimeError(f"cold start child ({variant.name}) got {sample}")
    sample["process_wall_s"] = wall
    return sample


def by_key(variants: list[Variant]) -> dict[str, Variant]:
    return {v.key: v for v in variants}


def measure(variants: list[Variant], spec: dict[str, Any], env: dict[str, str], reps: int) -> None:
    for variant in variants:  # one unrecorded run each: file system caches warm, like a Lambda host's
        run_child(variant, spec, env)
    for rep in range(reps):
        order = variants[rep % len(variants) :] + variants[: rep % len(variants)]
        for variant in order:
            variant.samples.append(run_child(variant, spec, env))
