"""The deployment package before and after bytecode: sizes, what dominates them, unzip time."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import median


@dataclass
class Package:
    label: str
    zip_path: Path
    zip_bytes: int = 0
    unzipped_bytes: int = 0
    files: int = 0
    pyc_files: int = 0
    by_top: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (unzipped, compressed)
    unzip_s: list[float] = field(default_factory=list)
    # .pyc files Python checks against their source's timestamp: in a zip, whose entries carry other times,
    # they are stale at every load and the module is compiled again (unchecked-hash ones are always used).
    timestamp_pycs: list[str] = field(default_factory=list)


def build(work: Path, stage: str = "prod") -> tuple[Package, Package, dict[str, int]]:
    """``chalice package`` once; the bytecode variant is the same zip run through devtools.package."""
    from devtools.package import add_bytecode, chalice_package

    before_dir = work / "package-before"
    after_dir = work / "package-after"
    zip_before = chalice_package(stage, before_dir)
    after_dir.mkdir(parents=True, exist_ok=True)
    zip_after = after_dir / "deployment.zip"
    shutil.copyfile(zip_before, zip_after)
    report = add_bytecode(zip_after)
    stats = {"compiled": report.compiled, "failed": report.failed, "stripped": report.stripped}
    return measure("sources only (chalice package)", zip_before), measure("with bytecode", zip_after), stats


def build_clean(work: Path, zip_before: Path) -> Package:
    """The bytecode variant without the ``.pyc`` files ``chalice package`` copied from the project's own
    ``__pycache__`` directories (so devtools.package compiles every module): what it should ship."""
    from devtools.package import add_bytecode

    clean_dir = work / "package-clean"
    clean_dir.mkdir(parents=True, exist_ok=True)
    zip_clean = clean_dir / "deployment.zip"
    with zipfile.ZipFile(zip_before) as old, zipfile.ZipFile(zip_clean, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if "__pycache__/" not in info.filename:
                new.writestr(info, old.read(info.filename))
    add_bytecode(zip_clean)
    return measure("with bytecode, the project's __pycache__ left out", zip_clean)


def pyc_mode(data: bytes) -> str:
    """How Python validates a .pyc (PEP 552 flags): timestamp, unchecked-hash or checked-hash."""
    flags = int.from_bytes(data[4:8], "little")
    return "timestamp" if flags == 0 else "unchecked-hash" if flags == 1 else "checked-hash"


def _top(name: str) -> str:
    head = name.split("/", 1)[0]
    if head.endswith((".dist-info", ".egg-info")):
        return "(dist-info metadata)"
    if "/" not in name:
        return head if head.endswith(".py") else "(top-level files)"
    return head


def measure(label: str, zip_path: Path) -> Package:
    pkg = Package(label, zip_path, zip_bytes=zip_path.stat().st_size)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            pkg.files += 1
            if info.filename.endswith(".pyc"):
                pkg.pyc_files += 1
                if pyc_mode(archive.read(info.filename)[:16]) == "timestamp":
                    pkg.timestamp_pycs.append(info.filename)
            pkg.unzipped_bytes += info.file_size
            top = _top(info.filename)
            size, packed = pkg.by_top.get(top, (0, 0))
            pkg.by_top[top] = (size + info.file_size, packed + info.compress_size)
    return pkg


# A memory-backed file system, when there is one: closer to Lambda's local storage than this disk.
# (mkdtemp makes a private directory inside it.)
SHM = "/dev/shm"  # noqa: S108
UNZIP_DIR = SHM if os.path.isdir(SHM) and os.access(SHM, os.W_OK) else None


def time_unzip(pkg: Package, reps: int) -> None:
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="mbc-unzip-", dir=UNZIP_DIR) as tmp:
            start = time.perf_counter()
            with zipfile.ZipFile(pkg.zip_path) as archive:
                archive.extractall(tmp)
            pkg.unzip_s.append(time.perf_counter() - start)


def unzip_median(pkg: Package) -> float:
    return median(pkg.unzip_s)


def extract(zip_path: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(dest)
    return dest
