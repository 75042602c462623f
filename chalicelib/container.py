"""Wires settings, clients and repositories together, lazily and once per container.

app.py and the CLI ask this module for services; tests call ``reset()`` after
changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.events import EventService
    from chalicelib.settings import Settings
    from chalicelib.storage.organizers import OrganizerRepository


def settings() -> Settings:
    from chalicelib.settings import get_settings

    return get_settings()


@lru_cache(maxsize=1)
def events() -> EventService:
    from chalicelib.aws import dynamodb_client
    from chalicelib.events import EventService
    from chalicelib.storage.events import EventRepository

    s = settings()
    return EventService(EventRepository(dynamodb_client(s), s.table_name))


@lru_cache(maxsize=1)
def organizers() -> OrganizerRepository:
    from chalicelib.aws import dynamodb_client
    from chalicelib.storage.organizers import OrganizerRepository

    s = settings()
    return OrganizerRepository(dynamodb_client(s), s.table_name)


def reset() -> None:
    """Forget every cached object (tests change the environment between cases)."""
    from chalicelib import aws, signing
    from chalicelib import settings as settings_module

    for cached in (
        events,
        organizers,
        settings_module.get_settings,
        aws.dynamodb_client,
        aws.generic_client,
        signing.signing_key,
    ):
        cached.cache_clear()
