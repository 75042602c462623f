"""SES bounce and complaint notifications (through SNS).

Accepts both shapes SES publishes: identity notifications (``notificationType``) and
configuration-set events (``eventType``). A permanent bounce or a complaint suppresses the
address (keyed hash only) and marks its signups bounced; transient bounces change nothing.
Replays are harmless and unknown fields are ignored.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from chalicelib.clock import utc_now
from chalicelib.models.signups import normalize_email
from chalicelib.signups import SignupService, email_hash, signup_id_for
from chalicelib.storage.signups import LIVE_STATUSES, StateConflict

log = logging.getLogger("mbc.bounces")


def addresses_to_suppress(notification: dict[str, Any]) -> tuple[str, list[str]]:
    """(reason, raw addresses) that must never be mailed again; reason is '' when none."""
    kind = str(notification.get("notificationType") or notification.get("eventType") or "")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return "", []
        return "bounce", [str(r.get("emailAddress", "")) for r in bounce.get("bouncedRecipients") or []]
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        return "complaint", [str(r.get("emailAddress", "")) for r in complaint.get("complainedRecipients") or []]
    return "", []


def handle_notification(message: str, signups: SignupService, now: datetime | None = None) -> dict[str, int]:
    now = now or utc_now()
    counts = {"suppressed": 0, "bounced": 0, "ignored": 0}
    try:
        notification = json.loads(message)
    except ValueError:
        log.warning("ses notification is not JSON; ignored")
        counts["ignored"] += 1
        return counts
    if not isinstance(notification, dict):
        counts["ignored"] += 1
        return counts
    reason, raw_addresses = addresses_to_suppress(notification)
    if not reason:
        counts["ignored"] += 1
        return counts
    group_ids = [g["id"] for g in signups.groups.repo.list()]
    stamp = now.isoformat()
    for raw in raw_addresses:
        address = raw.rsplit("<", 1)[-1].rstrip(">").strip()
        try:
            email = normalize_email(address)
        except ValueError:
            counts["ignored"] += 1
            continue
        signups.repo.suppress(email_hash(email), reason, stamp)
        counts["suppressed"] += 1
        for group_id in group_ids:
            try:
                signups.repo.transition(
                    group_id, signup_id_for(group_id, email), LIVE_STATUSES, "bounced",
                    {"bounced_at": stamp, "updated_at": stamp, "bounce_reason": reason}, remove=("expires_at",),
                )  # fmt: skip
                counts["bounced"] += 1
            except StateConflict:
                continue  # no such signup, or already closed
    log.info(
        "ses notification handled reason=%s suppressed=%d bounced=%d", reason, counts["suppressed"], counts["bounced"]
    )
    return counts
