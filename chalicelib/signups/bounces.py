"""SES bounce and complaint notifications (through SNS).

Accepts both shapes SES publishes: identity notifications (``notificationType``) and
configuration-set events (``eventType``). A permanent bounce or a complaint suppresses the
address (keyed hash only) and marks its signups bounced; transient bounces change nothing.
Replays are harmless and unknown fields are ignored.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from chalicelib.emails import normalize_email
from chalicelib.signups.service import SignupService

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


def handle_notification(message: str, signups: SignupService) -> dict[str, int]:
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
    for raw in raw_addresses:
        address = raw.rsplit("<", 1)[-1].rstrip(">").strip()
        try:
            email = normalize_email(address)
        except ValueError:
            counts["ignored"] += 1
            continue
        counts["bounced"] += signups.suppress_address(email, reason=reason)
        counts["suppressed"] += 1
    log.info(
        "ses notification handled reason=%s suppressed=%d bounced=%d", reason, counts["suppressed"], counts["bounced"]
    )
    return counts
