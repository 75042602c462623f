"""Build the Lambda deployment package: ``chalice package``, then ship precompiled bytecode.

Chalice's deployment.zip holds only ``.py`` sources. Lambda unpacks it into a read-only
``/var/task``, so Python can never cache bytecode there: every cold start compiles pydantic,
icalendar, jinja2 and the app again. This script adds ``__pycache__/<module>.cpython-312.pyc``
next to every source of ours (third-party modules ship as bytecode only: ``OWN_CODE``),
compiled with ``--invalidation-mode unchecked-hash`` (Python loads it
without looking at the source's timestamp, which the zip does not preserve anyway), and drops
what third-party wheels ship but nothing imports or reads at run time (``STRIP_PREFIXES``: test
suites, dnspython, pydantic's v1 API; wheel metadata; type stubs).

The bytecode is only valid for the Python that compiles it, so this must run on the same
minor version as the Lambda runtime (python3.12, the Python that runs chalice: see README).

    python -m devtools.package                    # = make package: out/deployment.zip, stage prod
    python -m devtools.package --stage dev --out /tmp/pkg
    python -m devtools.package --no-bytecode      # plain `chalice package` (what it was before)
"""

from __future__ import annotations

import argparse
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_PYTHON = (3, 12)
# Shipped by wheels, imported by nothing at run time (tests/integration/test_package_contents.py serves
# every public route family from the built package, without them, and fails on a top-level package no
# route loads):
STRIP_PREFIXES = (
    "icalendar/tests/",
    # dnspython: email-validator imports it only for deliverability checks (MX lookups), which
    # chalicelib/emails.py turns off (check_deliverability=False).
    "dns/",
    # pydantic's v1 API (we use v2 only; pydantic imports it only to warn about mixing in a v1 model)
    # and its mypy plugin (a type-checker plugin, for mypy, which is not shipped).
    "pydantic/v1/",
    "pydantic/mypy.py",
)
# Wheel metadata: nothing reads a version or a file list at run time. pydantic's plugin loader scans the
# entry points of every installed distribution (importlib.metadata) for a `pydantic` group: none of ours
# declares one (checked while stripping, see _check_no_plugins), so without the metadata it finds the same
# nothing. Type stubs (.pyi) are for type checkers only.
STRIP_SUFFIXES = (".pyi",)
METADATA_DIRS = (".dist-info/", ".egg-info/")
# Lambda reads the code from here; compiled-in paths show in tracebacks (Python fixes them up on load anyway).
TASK_ROOT = "/var/task"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# The smallest deflate (Lambda unzips once per sandbox; the zip's size is what the goal counts).
ZIP_LEVEL = 9
# Our own code keeps its sources beside its bytecode (a traceback shows the line); third-party
# modules ship as bytecode only (``pkg/mod.pyc`` where ``pkg/mod.py`` was: Python's sourceless
# loader imports it, a traceback names the file and line without its text). Half the package's
# size was library sources that Lambda never reads once bytecode is there.
OWN_CODE = ("app.py", "chalicelib/")
# Relative to .chalice/: the placeholder policy packaging names (see chalice_package).
PACKAGE_POLICY_FILE = "../infra/chalice-package-policy.json"


@dataclass
class PackageReport:
    zip_path: Path
    sources: int = 0
    compiled: int = 0
    failed: int = 0
    stripped: int = 0
    # .pyc files copied from the source tree, dropped (replaced by unchecked-hash bytecode).
    stale: int = 0
    # third-party sources replaced by their bytecode (sourceless)
    sourceless: int = 0
    zip_bytes_before: int = 0
    zip_bytes_after: int = 0


def chalice_package(stage: str, out_dir: Path) -> Path:
    """Run ``chalice package --stage STAGE OUT_DIR`` from the project root; returns the zip's path."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    env = dict(os.environ)
    # Chalice builds a boto3 session while packaging and needs some region; the package
    # does not depend on it (the SAM template uses ${AWS::Region}).
    if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        env["AWS_DEFAULT_REGION"] = "us-west-2"
    # = `chalice package --stage STAGE OUT_DIR`, naming the deny-all placeholder policy: .chalice/ has no
    # policy-<stage>.json, so a plain `chalice deploy` cannot create a second API beside the CDK's
    # (infra/chalice-package-policy.json; the CDK app replaces every role's policy).
    script = (
        "import sys; from chalice.api import package_app; "
        "package_app(project_dir=sys.argv[1], output_dir=sys.argv[2], stage=sys.argv[3], "
        f"chalice_config={{'autogen_policy': False, 'iam_policy_file': {PACKAGE_POLICY_FILE!r}}})"
    )
    cmd = [sys.executable, "-c", script, str(ROOT), str(out_dir), stage]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    zip_path = out_dir / "deployment.zip"
    if not zip_path.is_file():
        raise SystemExit(f"chalice package did not write {zip_path}")
    return zip_path


def pyc_name_for(name: str) -> str:
    """``pkg/mod.py`` -> ``pkg/__pycache__/mod.cpython-312.pyc`` (ignoring PYTHONPYCACHEPREFIX)."""
    folder, _, file = name.rpartition("/")
    pyc = f"__pycache__/{file[:-3]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{pyc}" if folder else pyc


def _clone(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A copy to write elsewhere (writing a ZipInfo moves its offset, which its own archive still reads)."""
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.compress_type = info.compress_type
    return copy


def _stripped(name: str) -> bool:
    top = name.split("/", 1)[0] + "/"
    return name.startswith(STRIP_PREFIXES) or name.endswith(STRIP_SUFFIXES) or top.endswith(METADATA_DIRS)


def _sourceless(name: str, strip: bool) -> bool:
    """A third-party module shipped as bytecode only (with --keep-tests: everything keeps its source)."""
    return strip and name.endswith(".py") and not name.startswith(OWN_CODE)


def _check_no_plugins(archive: zipfile.ZipFile) -> None:
    """Metadata is dropped only if no shipped distribution registers a pydantic plugin (an entry point
    pydantic would load at run time); one that does must be kept, so the build stops."""
    for name in archive.namelist():
        if name.endswith("/entry_points.txt") and "[pydantic]" in archive.read(name).decode("utf-8", "replace"):
            raise SystemExit(f"{name} registers a pydantic plugin: its metadata cannot be stripped")


def add_bytecode(zip_path: Path, strip: bool = True) -> PackageReport:
    """Rewrite ``zip_path`` with a ``.cpython-312.pyc`` for each ``.py`` (and without test suites)."""
    if sys.version_info[:2] != LAMBDA_PYTHON:
        raise SystemExit(
            f"bytecode must be compiled by python{LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]} (the Lambda runtime), "
            f"not {sys.version_info[0]}.{sys.version_info[1]}"
        )
    report = PackageReport(zip_path, zip_bytes_before=zip_path.stat().st_size)
    with tempfile.TemporaryDirectory(prefix="mbc-package-") as tmp:
        work = Path(tmp)
        new_zip = work / "deployment.zip"
        src_dir = work / "src"
        with zipfile.ZipFile(zip_path) as old, zipfile.ZipFile(new_zip, "w", zipfile.ZIP_DEFLATED) as new:
            names = set(old.namelist())
            if strip:
                _check_no_plugins(old)
            for info in old.infolist():
                if strip and _stripped(info.filename):
                    report.stripped += 1
                    continue
                if "__pycache__/" in info.filename and info.filename.endswith(".pyc"):
                    # Bytecode copied from a developer's tree checks its source's timestamp, which
                    # never matches inside the zip: every cold start would compile it again. Every
                    # source gets an unchecked-hash .pyc below instead.
                    report.stale += 1
                    continue
                if _sourceless(info.filename, strip):
                    continue  # its bytecode takes its place below
                new.writestr(_clone(info), old.read(info.filename), compresslevel=ZIP_LEVEL)
            for name in sorted(names):
                if not name.endswith(".py") or (strip and _stripped(name)):
                    continue
                report.sources += 1
                sourceless = _sourceless(name, strip)
                pyc_name = name[:-3] + ".pyc" if sourceless else pyc_name_for(name)
                source = src_dir / name
                source.parent.mkdir(parents=True, exist_ok=True)
                source.write_bytes(old.read(name))
                target = work / "pyc" / pyc_name
                try:
                    py_compile.compile(
                        str(source),
                        cfile=str(target),
                        dfile=f"{TASK_ROOT}/{name}",
                        doraise=True,
                        optimize=0,
                        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                    )
                except py_compile.PyCompileError:
                    report.failed += 1  # Python compiles it at import, as before (if it is ever imported).
                    if sourceless:
                        new.writestr(_clone(old.getinfo(name)), old.read(name), compresslevel=ZIP_LEVEL)
                    continue
                info = zipfile.ZipInfo(pyc_name, date_time=FIXED_DATE)
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                new.writestr(info, target.read_bytes(), compresslevel=ZIP_LEVEL)
                report.compiled += 1
                report.sourceless += sourceless
        shutil.move(str(new_zip), zip_path)
    report.zip_bytes_after = zip_path.stat().st_size
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default="out", help="output directory (replaced), relative to the project root")
    parser.add_argument("--no-bytecode", action="store_true", help="ship sources only (plain chalice package)")
    parser.add_argument(
        "--keep-tests",
        action="store_true",
        help=f"keep {', '.join(STRIP_PREFIXES)}, the wheels' metadata and type stubs",
    )
    args = parser.parse_args(argv)
    out_dir = Path(args.out) if os.path.isabs(args.out) else ROOT / args.out
    zip_path = chalice_package(args.stage, out_dir)
    if args.no_bytecode:
        print(f"{zip_path}: {zip_path.stat().st_size} bytes (sources only)")
        return 0
    report = add_bytecode(zip_path, strip=not args.keep_tests)
    print(
        f"{zip_path}: {report.zip_bytes_before} -> {report.zip_bytes_after} bytes; "
        f"{report.compiled} modules precompiled for python{LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]} "
        f"({report.failed} failed to compile, {report.sourceless} third-party modules as bytecode only), "
        f"{report.stripped} unused files dropped"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
