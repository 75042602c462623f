"""Wires settings, clients and repositories together, lazily and once per container.

app.py and the CLI ask this module for services; tests call ``reset()`` after
changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.distribution import Distributor
    from chalicelib.events import EventService
    from chalicelib.groups import GroupService, MeetingOverrides
    from chalicelib.mail.backends import Mailer
    from chalicelib.settings import Settings
    from chalicelib.signups import SignupService
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


@lru_cache(maxsize=1)
def groups() -> GroupService:
    from chalicelib.aws import dynamodb_client
    from chalicelib.groups import GroupService
    from chalicelib.storage.groups import GroupRepository

    s = settings()
    return GroupService(GroupRepository(dynamodb_client(s), s.table_name))


@lru_cache(maxsize=1)
def mailer() -> Mailer:
    from chalicelib.mail.backends import mailer_for

    return mailer_for(settings())


@lru_cache(maxsize=1)
def signups() -> SignupService:
    from chalicelib.aws import dynamodb_client
    from chalicelib.signups import SignupService
    from chalicelib.storage.signups import SignupRepository

    s = settings()
    service = SignupService(SignupRepository(dynamodb_client(s), s.table_name), groups(), organizers(), mailer(), s)
    service.on_activated = lambda group_id, signup_id, now: distributor().deliver_now(group_id, signup_id, now)
    return service


@lru_cache(maxsize=1)
def distributor() -> Distributor:
    from chalicelib.aws import dynamodb_client
    from chalicelib.distribution import Distributor
    from chalicelib.storage.deliveries import DeliveryRepository

    s = settings()
    return Distributor(
        groups(), signups(), DeliveryRepository(dynamodb_client(s), s.table_name), mailer(), s.max_send_rate
    )


@lru_cache(maxsize=1)
def overrides() -> MeetingOverrides:
    from chalicelib.groups import MeetingOverrides

    return MeetingOverrides(groups())


def reset() -> None:
    """Forget every cached object (tests change the environment between cases)."""
    from chalicelib import aws, signing
    from chalicelib import settings as settings_module

    for cached in (
        events,
        organizers,
        groups,
        mailer,
        signups,
        distributor,
        overrides,
        settings_module.get_settings,
        aws.dynamodb_client,
        aws.generic_client,
        signing.signing_key,
    ):
        cached.cache_clear()
