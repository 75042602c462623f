"""`python -m bench` runs the whole suite and writes docs/benchmarks.md; see bench/README.md.

python -m bench                          # make bench
python -m bench --smoke --strict --out /tmp/x.md   # make bench-smoke
python -m bench --only cold,package      # some sections (package, cold, coldsignup, peers, warm, dist)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT

SECTIONS = ("package", "cold", "coldsignup", "peers", "warm", "dist")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1-2 repetitions")
    parser.add_argument("--out", help="markdown report (default: docs/benchmarks.md; --smoke/--only: a temp file)")
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument("--strict", action="store_true", help="exit 1 if an invariant breaks")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    from bench import config, report, runner

    cfg = config.smoke() if args.smoke else config.full()
    # The smoke run (part of `make test`) leaves the peers out: their packages come from the package index.
    default = tuple(s for s in SECTIONS if s != "peers") if args.smoke else SECTIONS
    sections = tuple(s.strip() for s in args.only.split(",")) if args.only else default
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.out:
        out = Path(args.out)
    elif args.smoke or args.only:
        out = Path(tempfile.gettempdir()) / ("mbc-bench-smoke.md" if args.smoke else "mbc-bench-partial.md")
    else:
        out = ROOT / "docs" / "benchmarks.md"

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[bench {time.perf_counter() - started:6.1f}s] {message}", flush=True)

    command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
    results: dict[str, Any] = {"config": cfg, "sections": sections, "started": datetime.now(UTC), "command": command}
    try:
        runner.run(cfg, sections, results, log)
    except Exception:
        traceback.print_exc()
        results.setdefault("problems", []).append("the benchmark itself failed (see the traceback)")
        results["crashed"] = True
    results["seconds"] = time.perf_counter() - started
    text = report.render(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    problems: list[str] = results.get("problems", [])
    log(f"wrote {out} ({results['seconds']:.0f} s)")
    for problem in problems:
        print(f"INVARIANT BROKEN: {problem}", file=sys.stderr)
    if results.get("crashed"):
        return 2
    return 1 if problems and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
