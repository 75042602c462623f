"""A member's own time, in one place: the zones members live on, what each is called, which a
member is shown before she says, and every way an email, a page or the widget writes a moment.

Idaho is split: the panhandle (Coeur d'Alene, Sandpoint, Moscow, Lewiston) is on Pacific time,
Boise and the south on Mountain time; Montana is on Mountain time. A reader sees one zone (hers),
or both when nobody knows which (an Idaho member who has not said, the public widget):
"4:00 PM Mountain / 3:00 PM Pacific". Never a bare "MT" (it also reads as Montana), never an
abbreviation a reader has to decode, never a guess.

Why no guess for Idaho: a member shown the wrong hour misses the meeting she was brave enough to
sign up for, and nothing tells her it was a guess; both zones cost a few words and are never
wrong. So the signup form asks (optional), and until she says, an Idaho member sees both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

MemberZone = Literal["America/Denver", "America/Los_Angeles"]
MOUNTAIN: Final[MemberZone] = "America/Denver"
PACIFIC: Final[MemberZone] = "America/Los_Angeles"
MEMBER_ZONES: tuple[MemberZone, ...] = (MOUNTAIN, PACIFIC)
# The zones one reader is shown, hers first (a tuple of IANA names).
Zones = tuple[str, ...]
BOTH: Zones = (MOUNTAIN, PACIFIC)
# What a reader with no member record sees (the public widget and pages): both zones.
PUBLIC: Zones = BOTH

# How a time is signed: "3:00 PM Pacific". Boise has its own zone name but is Mountain time.
ZONE_NAMES: dict[str, str] = {
    MOUNTAIN: "Mountain",
    "America/Boise": "Mountain",
    PACIFIC: "Pacific",
    "America/Chicago": "Central",
    "America/New_York": "Eastern",
}
# One label per real zone, for every form that asks (signup, join page, console): where it applies.
ZONE_LABELS: dict[MemberZone, str] = {
    MOUNTAIN: "Mountain time (Montana, Boise and south Idaho)",
    PACIFIC: "Pacific time (north Idaho: Coeur d'Alene, Sandpoint, Moscow, Lewiston)",
}
ZONE_CHOICES: tuple[tuple[MemberZone, str], ...] = tuple(ZONE_LABELS.items())
# Zones a stored value may name that mean one of the member zones (America/Boise is Mountain time:
# the same rules as Denver since 1974).
_BY_NAME: dict[str, MemberZone] = {MOUNTAIN: MOUNTAIN, PACIFIC: PACIFIC, "America/Boise": MOUNTAIN}
ZONE_PROBLEM = "Please choose Mountain time or Pacific time."


def member_zone(value: object) -> MemberZone | None:
    """A stored or posted zone as one of the member zones, or None (not said, or not one of them)."""
    if not isinstance(value, str):
        return None
    return _BY_NAME.get(value)


def parse_zone(value: object) -> MemberZone | None:
    """A posted zone: one of the member zones, or empty for "not sure" (None). Raises ValueError
    with the words a form shows for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    zone = member_zone(value.strip() if isinstance(value, str) else value)
    if zone is None:
        raise ValueError(ZONE_PROBLEM)
    return zone


def default_zone(state: str | None) -> MemberZone | None:
    """The zone a member is shown before she says: Mountain for Montana; none for Idaho (split:
    she sees both until she chooses)."""
    return MOUNTAIN if state == "MT" else None


def from_state_label(state: str | None) -> str:
    """The choice that stores nothing (the zone follows her state), in words true for her state."""
    default = default_zone(state)
    if default:
        return f"Not sure: use {zone_name(default)} time, as in Montana"
    return "Not sure: show me both"


def zone_choices(state: str | None) -> list[tuple[str, str]]:
    """What a form offers a member of ``state``: one label per real zone, then "not sure" (value "")."""
    return [*ZONE_CHOICES, ("", from_state_label(state))]


# The signup form, before anyone knows her state: the zones, then "not sure" (value "").
SIGNUP_CHOICES: tuple[tuple[str, str], ...] = (*ZONE_CHOICES, ("", "Not sure"))
SIGNUP_HINT = (
    "North Idaho is on Pacific time; Boise, south Idaho and Montana on Mountain time. "
    "Not sure? We give Idaho members both times, and Montana members Mountain time."
)


def zones_for(*, state: str | None, timezone: str | None) -> Zones:
    """The zones a member is shown: the one she chose, else her state's, else both."""
    chosen = member_zone(timezone) or default_zone(state)
    return (chosen,) if chosen else BOTH


def member_zones(record: Mapping[str, Any] | None) -> Zones:
    """The zones the person of a signup record is shown (a record without ``timezone``: from her state)."""
    if record is None:
        return PUBLIC
    return zones_for(state=record.get("state"), timezone=record.get("timezone"))


def own_zone(zones: Zones) -> str | None:
    """Her one zone (what her calendar's times are written in), or None while she is shown both."""
    return zones[0] if len(zones) == 1 else None


def zone_name(zone: str) -> str:
    """'Mountain', 'Pacific'; another zone by its city ('Paris')."""
    return ZONE_NAMES.get(zone) or zone.rsplit("/", 1)[-1].replace("_", " ")


def zones_words(zones: Zones) -> str:
    """'Pacific time', or 'Mountain and Pacific time' for a reader shown both."""
    return " and ".join(zone_name(z) for z in zones) + " time"


# ---------------------------------------------------------------- writing a moment


def clock(moment: datetime) -> str:
    """'4:00 PM'."""
    return f"{moment:%I}".lstrip("0") + f":{moment:%M %p}"


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def at(moment: datetime, zones: Zones) -> str:
    """'3:00 PM Pacific'; for two zones '4:00 PM Mountain / 3:00 PM Pacific'. A zone whose day is
    not the first zone's names its weekday: '12:30 AM Mountain / Mon 11:30 PM Pacific'."""
    first = local(moment, zones[0]).date()
    parts = []
    for zone in zones:
        here = local(moment, zone)
        day = f"{here:%a} " if here.date() != first else ""
        parts.append(f"{day}{clock(here)} {zone_name(zone)}")
    return " / ".join(parts)


def short_when(moment: datetime, zones: Zones) -> str:
    """'Tue Dec 1, 3:00 PM Pacific' (for subjects)."""
    first = local(moment, zones[0])
    return f"{first:%a %b} {first.day}, {at(moment, zones)}"


def _long_day(moment: datetime, *, year: bool = True) -> str:
    return f"{moment:%A, %B} {moment.day}" + (f", {moment.year}" if year else "")


@lru_cache(maxsize=256)
def long_when(moment: datetime, zones: Zones) -> str:
    """'Tuesday, December 1, 2026 at 3:00 PM Pacific'; for two zones
    '... at 4:00 PM Mountain / 3:00 PM Pacific' (a zone on another day names its own day).
    Memoized: the words depend on the instant alone (aware datetimes are equal, and hash alike,
    for the same instant in any zone), and pages ask for the same next meeting again and again."""
    first = local(moment, zones[0])
    parts = []
    for zone in zones:
        here = local(moment, zone)
        day = f"{_long_day(here, year=here.year != first.year)} at " if here.date() != first.date() else ""
        parts.append(f"{day}{clock(here)} {zone_name(zone)}")
    return f"{_long_day(first)} at {' / '.join(parts)}"


def span(start: datetime, end: datetime, zones: Zones) -> str:
    """A stretch of time (an event): 'Tuesday, March 10, 2030, 10:00 AM \u2013 12:00 PM Mountain'; ending
    another day: '..., 10:00 AM \u2013 Wednesday, March 11, 2030, 12:00 PM Mountain'; for two zones the
    second after ' / ' ('9:00 AM \u2013 11:00 AM Pacific', naming its weekday when its day differs)."""
    first = local(start, zones[0]).date()
    parts = []
    for i, zone in enumerate(zones):
        begins, ends = local(start, zone), local(end, zone)
        if i == 0:
            head = f"{_long_day(begins)}, {clock(begins)}"
        else:
            head = (f"{begins:%a} " if begins.date() != first else "") + clock(begins)
        tail = (f"{_long_day(ends)}, " if ends.date() != begins.date() else "") + clock(ends)
        parts.append(f"{head} \u2013 {tail} {zone_name(zone)}")
    return " / ".join(parts)


def day_apart(moment: datetime, zone: str, reference: str) -> int:
    """How many days ``moment``'s date in ``zone`` is after its date in ``reference`` (-1, 0 or 1)."""
    return (local(moment, zone).date() - local(moment, reference).date()).days
