"""What the scheduled function does every 15 minutes, in order:

1. finish any erasure an interruption left, then send what the outbox's stream did not deliver
   (the sweep);
2. rewrite every group's personal-link window (meetings roll forward; a change missed is caught);
3. the distribution run (reminders and notices, through the ledger);
4. finish any announcement still sending;
5. warm the personal link's path for any meeting whose room opens within the next 20 minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib.container import Container

WARM_AHEAD = timedelta(minutes=20)


def every_quarter_hour(c: Container, *, remaining_seconds: Callable[[], float] | None = None) -> dict[str, Any]:
    from chalicelib.joinlinks.warmup import containers_for, warm

    erasures = c.signups.finish_erasures()  # before the sweep: a new signup may wait for one
    outbox = c.outbox.sweep(pending_intake=c.signups.pending_intakes)
    groups = c.groups.all()
    # Each window is rewritten from the group read again just before (conditionally): a change an
    # organizer makes while the run goes through the groups is never undone.
    windows = [(group, c.join_links.refresh(group)) for group in groups]
    opening = [group for group, window in windows if window and c.join_links.opening_soon(window, within=WARM_AHEAD)]
    report = c.distributor.run(remaining_seconds=remaining_seconds).as_dict()
    announcements = c.announcements.continue_sending(remaining_seconds=remaining_seconds)
    warmed = 0
    if opening:
        members = sum(c.signups.count(group["id"], "active") for group in opening)
        warmed = warm(c.settings.public_api_url, containers=containers_for(members))
    return {**report, "outbox": outbox, "announcements": announcements, "warmed": warmed, "erasures": erasures}
