"""The public view of a group: what the website shows, never the Zoom link or passcode."""

from __future__ import annotations

from typing import Any

from chalicelib.groups.records import PUBLIC_FIELDS, GroupRecord
from chalicelib.meetings.meeting import Meeting
from chalicelib.meetings.schedule import Schedule, describe
from chalicelib.meetings.zones import PUBLIC, SIGNUP_CHOICES, SIGNUP_HINT, ZONE_NAMES, long_when
from chalicelib.memo import keep
from chalicelib.organization import Organization
from chalicelib.signups.consent import CONSENT_VERSION, consent_text

# The last views made, keyed on a digest of the group's record as read (never the record: it holds
# the meeting's link), its next meeting and the organization: a warm process answers the same group
# again and again. A view is shared: treat it as read-only.
VIEWS_KEPT = 64
_views: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}


def public_view(group: GroupRecord, next_meeting: Meeting | None, org: Organization) -> dict[str, Any]:
    """``org``: the chapter that runs the group (named by the widget and in the consent text). Times
    in words give both zones members live on (Mountain and Pacific): the reader is nobody yet.
    The returned dict is shared between requests: read it, never change it."""
    return _memo(group, next_meeting, org)[0]


def public_json(group: GroupRecord, next_meeting: Meeting | None, org: Organization) -> str:
    """``public_view`` as the JSON body Chalice would make of it (same separators, same text)."""
    return _memo(group, next_meeting, org)[1]


def _memo(group: GroupRecord, next_meeting: Meeting | None, org: Organization) -> tuple[dict[str, Any], str]:
    import hashlib
    import json
    import pickle

    record = hashlib.blake2b(pickle.dumps(group, protocol=pickle.HIGHEST_PROTOCOL), digest_size=20).digest()
    key = (record, next_meeting, org)
    made = _views.get(key)
    if made is None:
        view = _view(group, next_meeting, org)
        made = (view, json.dumps(view, separators=(",", ":"), default=_number))
        keep(_views, key, made, limit=VIEWS_KEPT)  # the oldest goes first
    return made


def _number(value: Any) -> Any:
    """What Chalice's encoder does with a stored number (a Decimal): a JSON number."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _view(group: GroupRecord, next_meeting: Meeting | None, org: Organization) -> dict[str, Any]:
    schedule = Schedule.from_dict(dict(group["schedule"]))
    return {
        **{k: group[k] for k in PUBLIC_FIELDS},  # type: ignore[literal-required]
        "schedule_text": describe(schedule, PUBLIC),
        "timezone": schedule.timezone,
        "duration_minutes": schedule.duration_minutes,
        "next_meeting": (
            {
                "date": next_meeting.date,
                "starts_at": next_meeting.starts_at.isoformat(),
                "ends_at": next_meeting.ends_at.isoformat(),
                "when_text": long_when(next_meeting.starts_at, PUBLIC),
            }
            if next_meeting
            else None
        ),
        "timezone_choices": [{"value": value, "label": label} for value, label in SIGNUP_CHOICES],
        "timezone_hint": SIGNUP_HINT,
        "zone_names": ZONE_NAMES,
        "requires_approval": group["requires_approval"],
        "accepting_signups": group["status"] == "active",
        "organization": {"name": org.name, "website_url": org.website_url},
        "consent_text": consent_text(org.name),
        "consent_version": CONSENT_VERSION,
    }
