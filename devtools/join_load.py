"""Load test of personal links against the running `make run`: N members open their links within
the same minute, as at 3:59 PM before a meeting.

    make run                                   # in one terminal
    .venv/bin/python -m devtools.join_load --members 200 --clients 8

It creates a group `load-test-group` whose meeting starts 10 minutes from now (so its room is open),
N active members with their link rows, opens every link once from `--clients` concurrent clients
spread over `--seconds` (default 60), and prints the status counts and latency percentiles. Every
answer must be a 303 to the group's room. The group and its members are left in the local table
(`rm -rf .local` resets everything).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from devtools.local_env import local_environment, running_api

GROUP = "load-test-group"
ROOM = "https://example.zoom.us/j/12312312312?pwd=LoadTest"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def seed(members: int) -> list[str]:
    """The group (meeting in 10 minutes, room open) and N active members; their link paths."""
    os.environ.update(local_environment())
    from chalicelib import container
    from chalicelib.signups.addresses import signup_id_for
    from chalicelib.signups.consent import CONSENT_VERSION
    from chalicelib.table import ensure_table

    c = container.current()
    ensure_table(c.dynamodb, c.table)
    zone = ZoneInfo("America/Denver")
    start = (datetime.now(UTC) + timedelta(minutes=10)).astimezone(zone)
    body = {
        "id": GROUP,
        "name": "Load test group",
        "zoom_url": ROOM,
        "schedule": {
            "rrule": "FREQ=DAILY",
            "start_time": start.strftime("%H:%M"),
            "timezone": "America/Denver",
            "starts_on": (start.date() - timedelta(days=1)).isoformat(),
        },
        "requires_approval": False,
        "reminder_leads_minutes": [],  # no reminders to the load test's members
    }
    try:
        group = c.groups.create(body)
    except Exception:  # the group exists from an earlier run: bring its schedule to now
        current = c.groups.get(GROUP)
        group = c.groups.update(GROUP, {"version": current["version"], "schedule": body["schedule"]}, if_match=None)
    c.join_links.refresh(group)
    paths = []
    stamp = datetime.now(UTC).isoformat()
    for n in range(members):
        email = f"load{n}@example.org"
        record = {
            "id": signup_id_for(GROUP, email),
            "group_id": GROUP,
            "email": email,
            "name": f"Load {n}",
            "state": "MT",
            "status": "active",
            "created_at": stamp,
            "updated_at": stamp,
            "gen": "1",
            "version": 1,
            "consent_at": stamp,
            "consent_version": CONSENT_VERSION,
        }
        c.signups.repo.put_new(record, now_epoch=0)  # type: ignore[arg-type]
        c.dynamodb.put_item(**c.join_links.activation_item(record)["Put"])  # type: ignore[arg-type]
        paths.append("/j/" + c.join_links.token(record))  # type: ignore[arg-type]
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    api = running_api()
    if api is None:
        print("make run is not running (start it first)", file=sys.stderr)
        return 2
    paths = seed(args.members)
    opener = urllib.request.build_opener(NoRedirect)
    lock = threading.Lock()
    results: list[tuple[int, float, str]] = []
    begin = time.monotonic()

    def one(index: int) -> None:
        time.sleep(max(0.0, begin + index * args.seconds / len(paths) - time.monotonic()))
        started = time.perf_counter()
        try:
            response = opener.open(api + paths[index], timeout=30)
            status, location = response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            status, location = exc.code, exc.headers.get("Location", "")
        except OSError:
            status, location = 0, ""
        with lock:
            results.append((status, (time.perf_counter() - started) * 1000, location))

    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        list(pool.map(one, range(len(paths))))
    took = time.monotonic() - begin
    latencies = sorted(ms for _, ms, _ in results)
    statuses: dict[str, int] = {}
    for status, _, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    report = {
        "members": len(paths),
        "seconds": round(took, 1),
        "statuses": statuses,
        "to_the_room": sum(1 for status, _, location in results if status == 303 and location == ROOM),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
            "max": round(latencies[-1], 1),
        },
    }
    print(json.dumps(report, indent=2))
    return 0 if report["to_the_room"] == len(paths) else 1


if __name__ == "__main__":
    raise SystemExit(main())
