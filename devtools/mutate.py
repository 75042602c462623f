"""Mutation testing of the modules that decide what a member gets (``make mutate``, issue 19 §6).

For each module below, mutmut (pinned in requirements-mutate.txt) makes small changes ("mutants")
to its functions, one at a time, and runs the module's own fast tests (unit and moto; never
DynamoDB Local) against each: a mutant the tests do not notice "survived". The score of a module
is killed / (mutants - equivalent), where an equivalent mutant is one no test can tell from the
original because it behaves the same (listed with its reason in devtools/mutation_equivalents.toml
and docs/mutation.md). The run fails if a module scores under 90 %.

Each module runs in its own work directory, ``.mutate/<name>/`` (links to the sources, a
``pyproject.toml`` naming the module and its tests; mutmut writes its ``mutants/`` copy there),
with one worker, one module after another: the machines are small and shared.

    python -m devtools.mutate                     # = make mutate: all five modules
    python -m devtools.mutate wording planner     # some of them
    python -m devtools.mutate --list              # the modules and their tests

To look at one survivor: ``cd .mutate/<name> && ../../.venv/bin/mutmut show <mutant>``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutate"
EQUIVALENTS = ROOT / "devtools" / "mutation_equivalents.toml"
THRESHOLD = 0.90
# What the copied project needs besides the package under test (tests/ is always copied).
LINKED = ["chalicelib", "tests", "devtools", "app.py", ".chalice", "web"]


@dataclass(frozen=True)
class Target:
    source: str
    tests: list[str]


# Each module's own fast tests: a few seconds each, unit and moto only.
MODULES: dict[str, Target] = {
    "truth": Target("chalicelib/distribution/truth.py", ["tests/unit/test_truth_rules.py"]),
    "click": Target("chalicelib/joinlinks/click.py", ["tests/integration/test_join_clicks.py"]),
    "planner": Target(
        "chalicelib/distribution/planner.py",
        [
            "tests/integration/test_planner_rules.py",
            "tests/integration/test_rule_changes_and_moves.py",
            "tests/unit/test_schedule.py",
        ],
    ),
    "wording": Target("chalicelib/meetings/wording.py", ["tests/unit/test_wording.py"]),
    "zones": Target("chalicelib/meetings/zones.py", ["tests/unit/test_zones.py", "tests/unit/test_wording.py"]),
    "validation": Target(
        "chalicelib/validation.py",
        [
            "tests/unit/test_validation.py",
            "tests/unit/test_validation_pins.py",
            "tests/unit/test_mail_headers.py",
            "tests/unit/test_event_models.py",
        ],
    ),
    # The single-line rule both form validators share (moved out of validation.py for the cold signup).
    "text_rules": Target(
        "chalicelib/text_rules.py",
        ["tests/unit/test_validation.py", "tests/unit/test_validation_pins.py", "tests/unit/test_public_forms.py"],
    ),
}


@dataclass
class Outcome:
    name: str
    statuses: dict[str, str] = field(default_factory=dict)  # mutant -> killed, survived, ...
    diffs: dict[str, str] = field(default_factory=dict)  # survivors' diffs
    equivalent: dict[str, str] = field(default_factory=dict)  # mutant -> reason

    @property
    def total(self) -> int:
        return len(self.statuses)

    @property
    def killed(self) -> int:
        return sum(1 for s in self.statuses.values() if s in ("killed", "timeout", "caught by type check"))

    @property
    def survivors(self) -> list[str]:
        return sorted(m for m, s in self.statuses.items() if s not in ("killed", "timeout", "caught by type check"))

    @property
    def score(self) -> float:
        counted = self.total - len(self.equivalent)
        return self.killed / counted if counted else 1.0


# ---------------------------------------------------------------- mutmut's exit codes

_STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout"}
_STATUS.update({-24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", 37: "caught by type check"})


def status_of(code: int | None) -> str:
    if code is None:
        return "not checked"
    return _STATUS.get(code, "suspicious")


# ---------------------------------------------------------------- work directory and run


def _pyproject(target: Target) -> str:
    """The project's pyproject.toml (pytest's settings) plus mutmut's settings for one module."""
    base = (ROOT / "pyproject.toml").read_text()
    also = [p for p in LINKED if p not in ("chalicelib", "tests")]
    mutmut = {
        "source_paths": ["chalicelib"],
        "only_mutate": [target.source],
        "also_copy": also,
        "pytest_add_cli_args": ["-q", "-p", "no:cacheprovider"],
        "pytest_add_cli_args_test_selection": target.tests,
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in mutmut.items()]
    return base + "\n".join(lines) + "\n"


def prepare(name: str, target: Target) -> Path:
    """A fresh work directory: links to the sources (mutmut copies them into mutants/)."""
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for entry in LINKED:
        if (ROOT / entry).exists():
            (work / entry).symlink_to(ROOT / entry)
    (work / "pyproject.toml").write_text(_pyproject(target))
    return work


def run_mutmut(work: Path, mutmut: str) -> int:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    log = work / "mutmut.log"
    with log.open("w") as out:
        done = subprocess.run([mutmut, "run", "--max-children", "1"], cwd=work, env=env, stdout=out, stderr=out)
    return done.returncode


def collect(name: str, target: Target, work: Path, mutmut: str) -> Outcome:
    meta = work / "mutants" / (target.source + ".meta")
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    outcome = Outcome(name, {m: status_of(code) for m, code in codes.items()})
    for mutant in outcome.survivors:
        shown = subprocess.run([mutmut, "show", mutant], cwd=work, capture_output=True, text=True, check=False)
        outcome.diffs[mutant] = shown.stdout
    return outcome


# ---------------------------------------------------------------- equivalent mutants


@dataclass(frozen=True)
class Equivalent:
    module: str
    function: str
    before: str
    after: str
    reason: str


def load_equivalents(path: Path = EQUIVALENTS) -> list[Equivalent]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text())
    return [Equivalent(**entry) for entry in data.get("equivalent", [])]


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """The lines a mutant's diff removes and adds, stripped."""
    body = [line for line in diff.splitlines() if not line.startswith(("---", "+++", "#"))]
    removed = [line[1:].strip() for line in body if line.startswith("-")]
    added = [line[1:].strip() for line in body if line.startswith("+")]
    return removed, added


def function_of(mutant: str) -> str:
    """``chalicelib.x.x_name__mutmut_3`` -> ``name``; methods: ``xǁClassǁmethod__mutmut_1`` -> ``Class.method``."""
    last = mutant.rsplit(".", 1)[-1].rsplit("__mutmut_", 1)[0]
    if "ǁ" in last:
        parts = [p for p in last.split("ǁ") if p and p != "x"]
        return ".".join(parts)
    return last[2:] if last.startswith("x_") else last


def mark_equivalents(outcome: Outcome, equivalents: list[Equivalent]) -> None:
    """A survivor is equivalent when the list names its module, function and changed lines."""
    for mutant in outcome.survivors:
        removed, added = changed_lines(outcome.diffs.get(mutant, ""))
        for entry in equivalents:
            if (
                entry.module == outcome.name
                and entry.function == function_of(mutant)
                and entry.before.strip() in removed
                and entry.after.strip() in added
            ):
                outcome.equivalent[mutant] = entry.reason
                break


# ---------------------------------------------------------------- report


def report(outcomes: list[Outcome]) -> str:
    lines = ["", "| module | killed / mutants | equivalent | score |", "| --- | --- | --- | --- |"]
    for o in outcomes:
        lines.append(f"| {MODULES[o.name].source} | {o.killed} / {o.total} | {len(o.equivalent)} | {o.score:.0%} |")
    for o in outcomes:
        open_survivors = [m for m in o.survivors if m not in o.equivalent]
        if not open_survivors:
            continue
        lines.append(f"\nSurvivors in {MODULES[o.name].source} ({len(open_survivors)}):")
        for mutant in open_survivors:
            removed, added = changed_lines(o.diffs.get(mutant, ""))
            change = "; ".join(f"- {r}" for r in removed) + " => " + "; ".join(f"+ {a}" for a in added)
            lines.append(f"  {mutant} [{o.statuses[mutant]}]: {change}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"some of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--list", action="store_true", help="print the modules and their tests")
    args = parser.parse_args(argv)
    if args.list:
        for name, target in MODULES.items():
            print(f"{name}: {target.source} <- {' '.join(target.tests)}")
        return 0
    mutmut = str(Path(sys.executable).parent / "mutmut")
    if not Path(mutmut).exists():
        print("mutmut is not installed: run `make mutate` (it installs requirements-mutate.txt)")
        return 2
    unknown = [name for name in args.modules if name not in MODULES]
    if unknown:
        parser.error(f"unknown module(s): {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    equivalents = load_equivalents()
    outcomes: list[Outcome] = []
    for name in args.modules or list(MODULES):
        target = MODULES[name]
        print(f"{name}: mutating {target.source} against {' '.join(target.tests)}", flush=True)
        work = prepare(name, target)
        code = run_mutmut(work, mutmut)
        if code != 0:
            print(f"mutmut failed for {name} (exit {code}); see {work / 'mutmut.log'}")
            return 1
        outcome = collect(name, target, work, mutmut)
        mark_equivalents(outcome, equivalents)
        print(f"{name}: {outcome.killed} / {outcome.total} killed, {len(outcome.equivalent)} equivalent", flush=True)
        outcomes.append(outcome)
    print(report(outcomes))
    below = [o.name for o in outcomes if o.score < THRESHOLD]
    if below:
        print(f"\nUnder {THRESHOLD:.0%}: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
