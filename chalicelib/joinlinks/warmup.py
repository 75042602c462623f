"""Warming the personal link's path before a meeting opens: the scheduled run (every 15 minutes)
calls ``/j/_warm`` on the API a few minutes before any meeting's room opens, as many times at once
as members are likely to arrive together, so nobody meets a cold start at 3:59 PM.

Cost: a handful of tiny Lambda invocations per meeting (docs/operations.md "Personal links").
"""

from __future__ import annotations

import logging
import math
import urllib.request
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("mbc.joinlinks")

# Containers to warm: one per this many active members, at least 2, at most 5.
MEMBERS_PER_CONTAINER = 100
MAX_CONTAINERS = 5


def containers_for(members: int) -> int:
    return max(2, min(MAX_CONTAINERS, math.ceil(members / MEMBERS_PER_CONTAINER) + 1))


def warm(api_url: str, *, containers: int, timeout: float = 10.0) -> int:
    """Call the warm path ``containers`` times at once (concurrent calls make Lambda keep that many
    containers ready). Returns how many answered; failures are logged, never raised."""
    url = f"{api_url.rstrip('/')}/j/_warm"

    def call(_: int) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (our own https URL)
                return bool(response.status == 204)
        except OSError as exc:
            log.warning("join link warm-up failed: %s", type(exc).__name__)
            return False

    with ThreadPoolExecutor(max_workers=containers) as pool:
        return sum(pool.map(call, range(containers)))
