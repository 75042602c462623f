"""A group's schedule in words and back: "the first Tuesday of each month at 4:00 PM Mountain".

One function builds the RRULE from the words a volunteer chooses (``rrule_from_words``: which weeks
of the month, or every week, and the weekday), checked by the schedule's own validation
(``schedule.validate_rrule``); the console's group pages and ``cli groups create`` both use it, and
``words_from_rrule`` reads a rule back into the same words (None for a rule the words cannot say).
The time (``clock_from_words``) and the zone (``zone_from_words``) are read the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.errors import Invalid
from chalicelib.meetings.schedule import validate_rrule

Repeat = Literal["monthly", "weekly"]

# Ordinal words to RRULE week numbers (the console's form sends the numbers themselves).
ORDINALS: dict[str, str] = {"first": "1", "second": "2", "third": "3", "fourth": "4", "last": "-1"}
WEEK_WORDS: dict[str, str] = {number: word for word, number in ORDINALS.items()}
WEEKDAYS: dict[str, str] = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}
DAY_WORDS: dict[str, str] = {code: word.capitalize() for word, code in WEEKDAYS.items()}
# Zone words a volunteer may type (the console offers a list); an IANA name is taken as it is.
ZONE_NAMES: dict[str, str] = {
    "mountain": "America/Denver",
    "pacific": "America/Los_Angeles",
    "central": "America/Chicago",
    "eastern": "America/New_York",
}


@dataclass(frozen=True)
class ScheduleWords:
    """Which weeks of the month (RRULE numbers "1".."4", "-1", in calendar order) and the weekday
    code ("TU"); ``repeat`` weekly has no weeks."""

    repeat: Repeat
    weeks: tuple[str, ...]
    weekday: str

    def text(self) -> str:
        """'the first and third Tuesday of each month', 'every Tuesday'."""
        day = DAY_WORDS[self.weekday]
        if self.repeat == "weekly":
            return f"every {day}"
        words = [WEEK_WORDS[w] for w in self.weeks]
        joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return f"the {joined} {day} of each month"


def _week(value: str) -> str | None:
    text = value.strip().lower()
    return ORDINALS.get(text) or (text if text in WEEK_WORDS else None)


def _weekday(value: str) -> str | None:
    text = value.strip().lower()
    if text.upper() in DAY_WORDS:
        return text.upper()
    if len(text) >= 3:  # "Tue", "tues", "Tuesday"
        found = [code for word, code in WEEKDAYS.items() if word.startswith(text)]
        return found[0] if len(found) == 1 else None
    return None


def _order(week: str) -> int:
    return 5 if week == "-1" else int(week)


def rrule_from_words(*, weekday: str, weeks: Sequence[str] = (), repeat: str = "monthly") -> str:
    """The RRULE for a schedule in words: ``weeks`` ("first".."fourth", "last", or their numbers)
    of each month on ``weekday`` ("Tuesday", "Tue", "TU"), or every week. Raises ``Invalid`` naming
    ``weekday``, ``weeks`` or ``repeat``; the rule passes the schedule's own validation."""
    errors: dict[str, str] = {}
    day = _weekday(weekday)
    if day is None:
        errors["weekday"] = "Choose a day of the week, e.g. Tuesday."
    if repeat not in ("monthly", "weekly"):
        errors["repeat"] = "Choose monthly or weekly."
    chosen = [_week(w) for w in weeks]
    if repeat == "monthly":
        if not weeks:
            errors["weeks"] = "Choose at least one week of the month (first, second, third, fourth or last)."
        elif None in chosen:
            errors["weeks"] = "Weeks of the month are first, second, third, fourth or last."
    if errors:
        raise Invalid(fields=errors)
    assert day is not None
    if repeat == "weekly":
        rule = f"FREQ=WEEKLY;BYDAY={day}"
    else:
        ordered = sorted({w for w in chosen if w is not None}, key=_order)
        rule = "FREQ=MONTHLY;BYDAY=" + ",".join(f"{w}{day}" for w in ordered)
    try:
        return validate_rrule(rule)
    except ValueError as exc:  # cannot happen for these rules; said plainly if it ever did
        raise Invalid(fields={"weeks": str(exc)}) from None


def words_from_rrule(rrule: str) -> ScheduleWords | None:
    """The words for a rule ``rrule_from_words`` could have built, or None (a custom rule)."""
    parts = dict(p.split("=", 1) for p in rrule.upper().split(";") if "=" in p)
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    plain = set(parts) <= {"FREQ", "BYDAY", "INTERVAL", "WKST"} and parts.get("INTERVAL", "1") == "1" and days
    if not plain:
        return None
    if parts.get("FREQ") == "WEEKLY" and len(days) == 1 and days[0] in DAY_WORDS:
        return ScheduleWords("weekly", (), days[0])
    if parts.get("FREQ") != "MONTHLY" or len({d[-2:] for d in days}) != 1 or days[0][-2:] not in DAY_WORDS:
        return None
    weeks = [d[:-2].lstrip("+") for d in days]
    if not all(w in WEEK_WORDS for w in weeks) or len(set(weeks)) != len(weeks):
        return None
    return ScheduleWords("monthly", tuple(sorted(weeks, key=_order)), days[0][-2:])


_CLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m?\.?\s*$", re.IGNORECASE)
_CLOCK_24 = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def clock_from_words(value: str) -> str:
    """'4:00 PM', '4pm', '16:00' -> '16:00' (the schedule's HH:MM); ``Invalid`` on ``start_time``."""
    match = _CLOCK.match(value)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if 1 <= hour <= 12 and minute < 60:
            hour = hour % 12 + (12 if match.group(3).lower() == "p" else 0)
            return f"{hour:02d}:{minute:02d}"
    match = _CLOCK_24.match(value)
    if match:
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    raise Invalid(fields={"start_time": "Give a time like 4:00 PM."})


def zone_from_words(value: str) -> str:
    """'Mountain' -> America/Denver, 'Pacific' -> America/Los_Angeles; an IANA name as it is
    (checked by the group's model)."""
    text = value.strip()
    named = ZONE_NAMES.get(text.lower().removesuffix(" time").strip())
    if named:
        return named
    if "/" in text:
        return text
    raise Invalid(fields={"timezone": "Give Mountain, Pacific, Central or Eastern, or a name like America/Denver."})


def schedule_sentence(schedule: Mapping[str, Any]) -> str:
    """'the first Tuesday of each month at 4:00 PM Mountain Time' (a custom rule: its text)."""
    from chalicelib.meetings.wording import ZONE_WORDS

    words = words_from_rrule(str(schedule["rrule"]))
    hour, minute = (int(x) for x in str(schedule["start_time"]).split(":"))
    clock = f"{hour % 12 or 12}:{minute:02d} {'PM' if hour >= 12 else 'AM'}"
    zone = ZONE_WORDS.get(str(schedule["timezone"]), str(schedule["timezone"]))
    when = words.text() if words is not None else f"by the rule {schedule['rrule']}"
    return f"{when} at {clock} {zone}"
