"""Cold starts: fresh interpreters importing the unzipped deployment package, as Lambda does.

Each sample is a new ``python3.12 -I -S -B`` process whose sys.path is the unzipped package, then
a directory with only boto3 and its dependencies (the Lambda runtime provides those, precompiled as
pip installs them). The variants run round-robin in a rotating order, so drift on this shared
machine hits each of them alike.
"""

from __future__ import annotations

import compileall
import json
import py_compile
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


# The recommended change, applied to a copy of the unpacked package (chalicelib/ itself is not edited):
# build clients with botocore's session and take the DynamoDB type (de)serializer out of boto3, so a
# cold start never imports the boto3 package (whose boto3.compat imports s3transfer, multiprocessing...).
BOTOCORE_ONLY = {
    "chalicelib/aws.py": [
        ("    import boto3\n", "    import botocore.session\n"),
        ("boto3.session.Session()", "botocore.session.Session()"),
        ("session.client(service, **kwargs)", "session.create_client(service, **kwargs)"),
    ],
    "chalicelib/storage/dynamo.py": [
        ("from boto3.dynamodb.types import", "from chalicelib.storage._ddb_types import"),
    ],
}


def _compile(source: Path) -> None:
    pyc = source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
    py_compile.compile(
        str(source), cfile=str(pyc), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )


def botocore_only_variant(task_dir: Path, runtime: Path, dest: Path) -> Path | None:
    """A copy of the bytecode package with the change above; None if the sources no longer match."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(task_dir, dest)
    for rel, edits in BOTOCORE_ONLY.items():
        path = dest / rel
        text = path.read_text()
        for old, new in edits:
            if old not in text:
                return None
            text = text.replace(old, new)
        path.write_text(text)
        _compile(path)
    types = (runtime / "boto3/dynamodb/types.py").read_text()
    vendored = dest / "chalicelib/storage/_ddb_types.py"
    vendored.write_text(
        types.replace("from boto3.compat import collections_abc", "import collections.abc as collections_abc")
    )
    _compile(vendored)
    return dest


# Another recommended change, measured the same way: chalicelib/events.py imports pydantic's
# ValidationError at module level although only the write path (which validates models) needs it,
# so a cold read still imports pydantic.
LAZY_VALIDATION_ERROR = {
    "chalicelib/events.py": [
        ("from pydantic import ValidationError\n", ""),
        (
            "    from chalicelib.models.events import EventInput\n",
            "    from pydantic import ValidationError\n\n    from chalicelib.models.events import EventInput\n",
        ),
    ],
}


def patched_variant(task_dir: Path, edits: dict[str, list[tuple[str, str]]], dest: Path) -> Path | None:
    """A copy of the package with ``edits`` applied (each old text replaced once); None if one is missing."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(task_dir, dest)
    for rel, changes in edits.items():
        path = dest / rel
        text = path.read_text()
        for old, new in changes:
            if old not in text:
                return None
            text = text.replace(old, new, 1)
        path.write_text(text)
        _compile(path)
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
