"""Facts of the domain that read paths need without importing pydantic (cold start)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

StateCode = Literal["ID", "MT"]
STATES: tuple[StateCode, ...] = ("ID", "MT")
# The states in the words people know them by (pages, emails, the console, error messages).
STATE_NAMES: dict[str, str] = {"ID": "Idaho", "MT": "Montana"}
# Mountain time is the organization's home zone; Boise is Mountain too but has its own rules history.
HOME_TIMEZONE = "America/Denver"
DEFAULT_TIMEZONE: dict[str, str] = {"MT": "America/Denver", "ID": "America/Boise"}
MAX_EVENT_DURATION = timedelta(days=14)
