"""Where a warm request's time goes: ``python -m bench.split_warm [N] [route...]``.

Per route, N requests (the warm section's setup, 100 events): the handler's time, the time inside the
app's DynamoDB client calls, and the floor's replay of the same calls; medians. ``own`` = handler -
client calls (the app's own work); ``client`` - ``floor`` = what the app's client costs more than a
plain one for the same calls.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import config, runner, seed, warm
from bench.common import CallCounter, median, raw_client, replay


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 300
    only = [a for a in argv if not a.isdigit()]
    cfg = config.smoke()
    with tempfile.TemporaryDirectory(prefix="mbc-split-") as tmp, warm_engine() as engine:
        state = Path(tmp)
        runner.precreate(engine.endpoint, [runner.EVENTS_TABLE, runner.TWIN_TABLE], lambda _: None)
        ctx = runner.prepare_app(cfg, engine.endpoint, state, {}, lambda _: None)
        warm.seed_public(ctx, 2 * (n + 40))
        handler, client = ctx["handler"], ctx["client"]
        floor_client = raw_client(engine.endpoint)
        inside = [0.0]
        original = client._make_api_call

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - t0

        client._make_api_call = timed
        recorder = CallCounter(client, capacity=False)
        for route in warm.all_routes(ctx, seed.GROUP_ID):
            if only and not any(o in route.name for o in only):
                continue
            table_map = {runner.EVENTS_TABLE: runner.TWIN_TABLE} if route.writes else None
            totals, calls, floors = [], [], []
            previous: list[Any] = []
            for i in range(n + 20):
                event = route.event(1000 + i)
                inside[0] = 0.0
                floor = -1.0
                if i % 2 and previous:  # the floor first every other time (the previous request's calls)
                    t0 = time.perf_counter()
                    replay(floor_client, previous, table_map)
                    floor = time.perf_counter() - t0
                with recorder.recording() as log:
                    t0 = time.perf_counter()
                    warm.invoke(handler, event, route.expect)
                    total = time.perf_counter() - t0
                previous = log.calls
                if floor < 0:
                    t0 = time.perf_counter()
                    replay(floor_client, log.calls, table_map)
                    floor = time.perf_counter() - t0
                if i >= 20:
                    totals.append(total)
                    calls.append(inside[0])
                    floors.append(floor)
            own = [t - c for t, c in zip(totals, calls, strict=True)]
            print(
                f"{route.name:32} {len(previous)} calls  handler {median(totals) * 1000:6.2f} ms  "
                f"own {median(own) * 1000:5.2f} ms  "
                f"client {median(calls) * 1000:6.2f} ms  floor {median(floors) * 1000:6.2f} ms  "
                f"handler/floor {median([t / f for t, f in zip(totals, floors, strict=True) if f]):.3f}",
                flush=True,
            )
        recorder.close()


def warm_engine() -> Any:
    from bench.common import dynamodb_engine

    return dynamodb_engine(lambda _: None)


if __name__ == "__main__":
    main(sys.argv[1:])
