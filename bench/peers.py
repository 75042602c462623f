"""The floors' and the peers' deployment packages, built like ours: sources and pinned wheels in a zip,
then ``devtools.package.add_bytecode`` (unchecked-hash ``.pyc`` for python3.12).

Each package holds its handler module and ``listing_floor.py`` from ``bench/handlers/`` (the floors'
package also ``signup_floor.py``, the cold signup POST's floor), and: the
floors' package, itsdangerous (the app's own pin, from ``.venv``); a peer's, the distributions pinned
in ``bench/handlers/requirements-<name>.txt`` (``pip install --no-deps --target``: every pin is in the
file, dependencies included; none of them is installed in ``.venv``). What the
Lambda runtime provides (boto3, botocore and their dependencies) is left out, as in ours. Our own package
is trimmed of what no route loads (devtools/package.py); the peers' are shipped as pip installs them,
as their users would (their sizes say what that costs).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT

HANDLERS = ROOT / "bench" / "handlers"


@dataclass(frozen=True)
class Peer:
    key: str
    name: str
    module: str  # the handler module in the package (bench/handlers/<module>.py)
    requirements: str  # bench/handlers/requirements-<requirements>.txt
    framework: str  # what the report calls it


FLOOR_BOTOCORE = Peer(
    "floor-botocore", "floor: botocore only, client, the same work by hand", "floor_botocore", "floor", ""
)
FLOOR_BOTO3 = Peer("floor", "floor: import boto3, client, the same work by hand", "floor_boto3", "floor", "")
POWERTOOLS = Peer(
    "powertools",
    "Powertools APIGatewayRestResolver",
    "peer_powertools",
    "powertools",
    "Powertools for AWS Lambda (Python) 3.37.0, `APIGatewayRestResolver`",
)
FASTAPI = Peer(
    "fastapi", "FastAPI + Mangum", "peer_fastapi", "fastapi", "FastAPI 0.163.2 + Mangum 0.22.0 (Starlette 1.10.0)"
)
FLOORS = (FLOOR_BOTOCORE, FLOOR_BOTO3)
# The cold signup POST's floor (bench/coldsignup.py), in the floors' package.
SIGNUP_FLOOR = Peer(
    "signup-floor", "floor: botocore only, client, the same form post by hand", "signup_floor", "floor", ""
)
PEERS = (POWERTOOLS, FASTAPI)


def _fingerprint(peer: Peer) -> str:
    """What a package is built from: its pins, the handlers, the Python that compiles it."""
    digest = hashlib.sha256(sys.version.encode())
    if peer.requirements == "floor":
        from importlib.metadata import version

        digest.update(version("itsdangerous").encode())
    else:
        digest.update((HANDLERS / f"requirements-{peer.requirements}.txt").read_bytes())
    for handler in sorted(HANDLERS.glob("*.py")):
        digest.update(handler.name.encode() + handler.read_bytes())
    return digest.hexdigest()[:16]


def build(peer: Peer, work: Path) -> Path:
    """The package's zip, cached under ``$TMPDIR/mbc-bench-peers/`` by what it is built from (the peers'
    come from the package index: a later run reuses them); ``work`` holds the build."""
    cache = Path(tempfile.gettempdir()) / "mbc-bench-peers" / f"{peer.requirements}-{_fingerprint(peer)}.zip"
    if cache.exists():
        return cache
    zip_path = _build(peer, work)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.part")
    shutil.copyfile(zip_path, partial)
    partial.rename(cache)  # atomic: a concurrent run sees the whole zip or none
    return cache


def _build(peer: Peer, work: Path) -> Path:
    from devtools.package import add_bytecode

    out = work / f"peer-{peer.requirements}"
    zip_path = out / "deployment.zip"
    if zip_path.exists():
        return zip_path
    src = out / "src"
    src.mkdir(parents=True)
    if peer.requirements == "floor":
        # The floors need itsdangerous besides the runtime's SDK: the app's own pin, from .venv.
        import itsdangerous

        shutil.copytree(Path(itsdangerous.__file__).parent, src / "itsdangerous")
    else:
        _pip_install(HANDLERS / f"requirements-{peer.requirements}.txt", src)
    for handler in HANDLERS.glob("*.py"):
        mine = {p.module for p in (*FLOORS, SIGNUP_FLOOR, *PEERS) if p.requirements == peer.requirements}
        if handler.name == "listing_floor.py" or handler.stem in mine:
            shutil.copy2(handler, src / handler.name)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(src.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(src).as_posix())
    add_bytecode(zip_path, strip=False)
    return zip_path


def _pip_install(requirements: Path, target: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-compile",
            "--only-binary=:all:",
            "--target",
            str(target),
            "-r",
            str(requirements),
        ],
        check=True,
    )
    shutil.rmtree(target / "bin", ignore_errors=True)
