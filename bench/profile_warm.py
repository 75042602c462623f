"""Profile the app's own warm per-request work, route by route: ``python -m bench.profile_warm [N] [route...]``.

The same setup as ``python -m bench --only warm`` (DynamoDB Local, the prod stage's settings, the
container from the environment, 100 events), then N requests per route under cProfile in this one
process. The floor's share (botocore sending and parsing the same calls) is in the profile too:
read the functions of chalicelib/ and chalice/ for the app's own work, or pass ``--no-db``: each
DynamoDB call then answers with a copy of the route's first answer (the copying shows as deepcopy);
or ``--time``: no profiler, the same canned answers, each route's own time per request (p50, p10).
"""

from __future__ import annotations

import copy
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import config, runner, seed, warm
from bench.common import dynamodb_engine


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 500
    no_db = "--no-db" in argv or "--time" in argv
    timing = "--time" in argv  # no profiler: the median of each request's own time (copies left out)
    only = [a for a in argv if not a.isdigit() and not a.startswith("--")]
    cfg = config.smoke()
    with tempfile.TemporaryDirectory(prefix="mbc-prof-") as tmp, dynamodb_engine(print) as engine:
        state = Path(tmp)
        runner.precreate(engine.endpoint, [runner.EVENTS_TABLE, runner.TWIN_TABLE], print)
        ctx = runner.prepare_app(cfg, engine.endpoint, state, {}, print)
        warm.seed_public(ctx, 2 * (n + 40))
        handler, client = ctx["handler"], ctx["client"]
        original = client._make_api_call
        answers: dict[tuple[str, str], Any] = {}
        calls = [0]
        copying = [0.0]

        def canned(operation: str, params: dict[str, Any]) -> Any:
            # The route's first answer to this kind of call (the operation and the kind of item: its
            # key's prefix), again: the app's own work only.
            pk = params.get("Key", {}).get("pk") or params.get("ExpressionAttributeValues", {}).get(":pk") or {}
            kind = (operation, str(pk.get("S", "")).split("#")[0])
            if kind not in answers:
                try:
                    answers[kind] = original(operation, params)
                except Exception as exc:  # a conditional write that fails: it fails again, from memory
                    answers[kind] = exc
            t0 = time.perf_counter()
            answer = copy.deepcopy(answers[kind]) if not isinstance(answers[kind], Exception) else answers[kind]
            copying[0] += time.perf_counter() - t0
            if isinstance(answer, Exception):
                raise answer
            return answer

        if no_db:
            client._make_api_call = canned
        for route in warm.all_routes(ctx, seed.GROUP_ID):
            if only and not any(o in route.name for o in only):
                continue
            answers.clear()
            for i in range(20):
                calls[0] = 0
                warm.invoke(handler, route.event(i), route.expect)
            events = [route.event(100 + i) for i in range(n)]
            if timing:
                own = []
                for event in events:
                    copying[0] = 0.0
                    t0 = time.perf_counter()
                    warm.invoke(handler, event, route.expect)
                    own.append(time.perf_counter() - t0 - copying[0])
                own.sort()
                p50, p10 = own[len(own) // 2] * 1e6, own[len(own) // 10] * 1e6
                print(f"{route.name:32} own p50 {p50:7.0f} us  p10 {p10:7.0f} us")
                continue
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for event in events:
                calls[0] = 0
                warm.invoke(handler, event, route.expect)
            profile.disable()
            elapsed = (time.perf_counter() - started) / n
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("tottime").print_stats(35)
            stats.sort_stats("cumulative").print_stats(r"chalicelib|app\.py|chalice/app", 40)
            print(f"==== {route.name}: {elapsed * 1000:.2f} ms per request (profiled)")
            print(out.getvalue())


if __name__ == "__main__":
    main(sys.argv[1:])
