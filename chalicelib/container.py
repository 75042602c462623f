"""The composition root: builds every service from settings, clients and the clock.

app.py and the CLI use ``current()``, built lazily once per process from the environment.
Tests and tools build their own with overrides and install it::

    c = container.build(settings=..., mailer=FakeSes(), clock=FixedClock(...))
    container.install(c)

Every service is created on first use (``cached_property``), importing its module only then:
a public read route builds only what it touches (cold start).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from chalicelib.clock import Clock, SystemClock
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.activity.log import ActivityLog
    from chalicelib.announcements.service import AnnouncementService
    from chalicelib.console.service import ConsoleAccess
    from chalicelib.distribution.ledger import DeliveryRepository
    from chalicelib.distribution.planner import Planner
    from chalicelib.distribution.report import DeliveriesReport
    from chalicelib.distribution.resend import ResendRequests
    from chalicelib.distribution.runner import Distributor
    from chalicelib.events.service import EventService
    from chalicelib.groups.service import GroupService
    from chalicelib.joinlinks.click import JoinClicks
    from chalicelib.joinlinks.service import JoinLinks
    from chalicelib.joinlinks.storage import JoinLinkRepository
    from chalicelib.mail.backends import Mailer
    from chalicelib.mail.budget import SendingBudget
    from chalicelib.mail.message import OutgoingEmail
    from chalicelib.meetings.service import MeetingService
    from chalicelib.organizers.keys import OrganizerService
    from chalicelib.outbox.records import OutboxRecord
    from chalicelib.outbox.sender import OutboxSender
    from chalicelib.outbox.storage import OutboxRepository
    from chalicelib.signups.admin import SignupAdmin
    from chalicelib.signups.imports import ImportService
    from chalicelib.signups.manage import Manage
    from chalicelib.signups.service import SignupService
    from chalicelib.signups.zone import MemberZones
    from chalicelib.website.service import SiteService


class Container:
    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        dynamodb: Any = None,
        mailer: Mailer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        lease_clock: Callable[[], float] = time.time,
        workers: int | None = None,
        safety_margin: float | None = None,
        account_send_rate: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._dynamodb = dynamodb
        self._mailer = mailer
        self.sleep = sleep
        self.lease_clock = lease_clock
        self.workers = workers
        # Seconds before the Lambda deadline at which a run stops (chalice.test's 3 s context needs less).
        self.safety_margin = safety_margin
        # The SES account's send rate (tests and the benchmark's SES stand-in say theirs); None: asked
        # of SES (GetAccount) when the mail backend is SES, else the stage's MAX_SEND_RATE alone.
        self._account_send_rate = account_send_rate

    # ---------------------------------------------------------------- edges

    @cached_property
    def dynamodb(self) -> Any:
        if self._dynamodb is not None:
            return self._dynamodb
        from chalicelib.aws import dynamodb_client

        return dynamodb_client(self.settings)

    @cached_property
    def mailer(self) -> Mailer:
        if self._mailer is not None:
            return self._mailer
        from chalicelib.mail.backends import mailer_for

        return mailer_for(self.settings)

    @property
    def table(self) -> str:
        return self.settings.table_name

    @cached_property
    def sender_limiter(self) -> BudgetOnFirstSend:
        """What every sender holds: the sending budget, built (and its module imported) on the first
        send only: a route that builds a sender and sends nothing stays light (cold start)."""
        return BudgetOnFirstSend(lambda: self.send_budget)

    @cached_property
    def send_budget(self) -> SendingBudget:
        """The account-wide sending budget every sender of this process draws from (one per container)."""
        from chalicelib.mail.budget import SendingBudget, resolve_rate, ses_account_rate, stored_account_rate

        read_account = self._account_send_rate
        if read_account is None and self.settings.mail_backend == "ses":
            from chalicelib.aws import ses_client

            def read_account() -> float:
                return ses_account_rate(ses_client(self.settings))

        return SendingBudget(
            self.dynamodb,
            self.table,
            rate=lambda: resolve_rate(
                cap=self.settings.max_send_rate,
                share=self.settings.send_rate_share,
                read_account=read_account,
                stored_account=lambda: stored_account_rate(self.dynamodb, self.table),
            ),
            # Send moments are wall-clock microseconds shared by every process; never a frozen test
            # clock (a budget waiting for a moment that never comes would spin).
            clock=time.time,
            sleep=self.sleep,
        )

    # ---------------------------------------------------------------- features

    @cached_property
    def events(self) -> EventService:
        from chalicelib.events.service import EventService
        from chalicelib.events.storage import EventRepository

        return EventService(EventRepository(self.dynamodb, self.table), self.clock)

    @cached_property
    def organizers(self) -> OrganizerService:
        from chalicelib.organizers.keys import OrganizerService
        from chalicelib.organizers.storage import OrganizerRepository

        return OrganizerService(OrganizerRepository(self.dynamodb, self.table), self.clock)

    @cached_property
    def groups(self) -> GroupService:
        from chalicelib.groups.service import GroupService
        from chalicelib.groups.storage import GroupRepository

        return GroupService(
            GroupRepository(self.dynamodb, self.table),
            self.clock,
            told_upcoming=lambda group: self.planner.told_about_upcoming(group, now=self.clock.now()),
            on_saved=lambda group: self.join_links.refresh(group),
        )

    @cached_property
    def meetings(self) -> MeetingService:
        from chalicelib.meetings.service import MeetingService
        from chalicelib.meetings.storage import OverrideRepository

        return MeetingService(
            self.groups,
            OverrideRepository(self.dynamodb, self.table),
            self.clock,
            told_count=lambda group_id, day: self.planner.told_count(group_id, day),
            on_changed=lambda group: self.join_links.refresh(group),
        )

    @cached_property
    def signups(self) -> SignupService:
        from chalicelib.signups.service import SignupService
        from chalicelib.signups.storage import SignupRepository

        return SignupService(
            repo=SignupRepository(self.dynamodb, self.table),
            groups=self.groups,
            organizers_for_group=lambda group_id: self.organizers.for_group(group_id),
            settings=self.settings,
            clock=self.clock,
            on_erased=self._forget_member,
            join_link_item=lambda record: self.join_links.activation_item(record),
            forget_join_link=lambda record: self.join_links.forget(record),
            forget_join_link_item=lambda record: self.join_links.forget_item(record),
            scrub_activity=lambda group_id, name: self.activity.scrub_name(group_id, name),
            origin_allowed=lambda origin: self.site.origin_allowed(origin),
            sleep=self.sleep,
        )

    @cached_property
    def manage(self) -> Manage:
        """A member's "Manage my membership" page (signups/manage.py)."""
        from chalicelib.signups.manage import Manage

        return Manage(signups=self.signups, meetings=self.meetings)

    @cached_property
    def site(self) -> SiteService:
        """The allowed website origins (deploy-time plus stored, the stored ones cached a minute)."""
        from chalicelib.website.service import SiteService
        from chalicelib.website.storage import SiteRepository

        return SiteService(SiteRepository(self.dynamodb, self.table), settings=self.settings, clock=self.clock)

    @cached_property
    def outbox_items(self) -> OutboxRepository:
        from chalicelib.outbox.storage import OutboxRepository

        return OutboxRepository(self.dynamodb, self.table)

    @cached_property
    def outbox(self) -> OutboxSender:
        """The sender behind the table's stream: signup emails, and a new member's catch-up."""
        from chalicelib.outbox.sender import OutboxSender
        from chalicelib.signups.mail import SignupMail
        from chalicelib.signups.records import INTAKE_PREFIX

        signup_mail = SignupMail(
            repo=self.signups.repo,
            groups=self.groups,
            meetings=self.meetings,
            organizers=self.organizers,
            settings=self.settings,
            join_url_for=lambda record: self.join_links.link_url(record),
            may_send_notice=self.signups.may_send_notice,
        )

        def catch_up(item: OutboxRecord) -> list[OutgoingEmail]:
            # A member who just became active gets what is already due (the link, if a reminder
            # went out), through the distribution's own ledger.
            self.distributor.deliver_now(item["group_id"], item.get("signup_id", ""))
            return []

        from chalicelib.console.mail import ConsoleMail
        from chalicelib.console.records import SIGNIN_REQUEST_PREFIX

        console_mail = ConsoleMail(
            access=self.console,
            organizers=self.organizers,
            groups=self.groups,
            meetings=self.meetings,
            signups=self.signups,
            join_url_for=lambda record: self.join_links.link_url(record),
        )
        return OutboxSender(
            repo=self.outbox_items,
            mailer=self.mailer,
            clock=self.clock,
            handlers={
                **signup_mail.handlers(),
                **console_mail.handlers(),
                "meeting_resend": self.distributor.resend,  # through the meeting's ledger
                "catch_up": catch_up,
                "announcement_preview": self.announcements.preview,
                "announcement": self.announcements.sender_pass,
                "member_import": self.imports.process_chunk,  # an organizer's list, a chunk at a time
            },
            address_check=self.signups.address_may_be_mailed,
            address_release=self.signups.address_slot_back,
            processors={
                INTAKE_PREFIX: self.signups.process_intake,
                SIGNIN_REQUEST_PREFIX: self.console.process_request,
            },
            lease_clock=self.lease_clock,
            sleep=self.sleep,
            limiter=self.sender_limiter,
        )

    def _forget_member(self, group_id: str, signup_id: str) -> None:
        """Erasure: every delivery row about the person (meetings and announcements)."""
        self.distributor.forget_member(group_id, signup_id)
        self.announcements.forget_member(group_id, signup_id)
        self.outbox_items.forget_member(group_id, signup_id)

    @cached_property
    def announcements(self) -> AnnouncementService:
        from chalicelib.announcements.service import WORKERS, AnnouncementService
        from chalicelib.announcements.storage import AnnouncementRepository

        return AnnouncementService(
            repo=AnnouncementRepository(self.dynamodb, self.table),
            groups=self.groups,
            meetings=self.meetings,
            signups=self.signups,
            mailer=self.mailer,
            clock=self.clock,
            settings=self.settings,
            organizer_of=lambda org_id: cast("dict[str, Any] | None", self.organizers.get(org_id)),
            join_url_for=lambda record: self.join_links.link_url(record),
            limiter=self.sender_limiter,
            lease_clock=self.lease_clock,
            sleep=self.sleep,
            workers=self.workers or WORKERS,
        )

    @cached_property
    def console(self) -> ConsoleAccess:
        """The organizer console's sign-in and sessions."""
        from chalicelib.console.service import ConsoleAccess
        from chalicelib.console.storage import ConsoleRepository

        return ConsoleAccess(
            repo=ConsoleRepository(self.dynamodb, self.table),
            organizers=self.organizers,
            settings=self.settings,
            clock=self.clock,
        )

    @cached_property
    def activity(self) -> ActivityLog:
        from chalicelib.activity.log import ActivityLog

        return ActivityLog(
            self.dynamodb,
            self.table,
            self.clock,
            self.settings,
            member_names=lambda group_id, ids: self.signups.repo.names(group_id, ids),
        )

    @cached_property
    def signup_admin(self) -> SignupAdmin:
        from chalicelib.signups.admin import SignupAdmin

        return SignupAdmin(self.signups)

    @cached_property
    def member_zones(self) -> MemberZones:
        from chalicelib.signups.zone import MemberZones

        return MemberZones(repo=self.signups.repo, clock=self.clock)

    @cached_property
    def imports(self) -> ImportService:
        """An organizer's existing list: checked drafts, then added in the background (the outbox)."""
        from chalicelib.signups.import_storage import ImportRepository
        from chalicelib.signups.imports import ImportService

        return ImportService(
            repo=ImportRepository(self.dynamodb, self.table),
            signups=self.signups,
            settings=self.settings,
            clock=self.clock,
            sleep=self.sleep,
        )

    @cached_property
    def ledger(self) -> DeliveryRepository:
        from chalicelib.distribution.ledger import DeliveryRepository

        return DeliveryRepository(self.dynamodb, self.table)

    @cached_property
    def planner(self) -> Planner:
        from chalicelib.distribution.planner import Planner

        return Planner(meetings=self.meetings, signups=self.signups, ledger=self.ledger)

    @cached_property
    def distributor(self) -> Distributor:
        from chalicelib.distribution.runner import WORKERS, Distributor
        from chalicelib.distribution.sending import SAFETY_MARGIN_SECONDS

        return Distributor(
            groups=self.groups,
            meetings=self.meetings,
            planner=self.planner,
            join_links=self.join_links,
            signups=self.signups,
            ledger=self.ledger,
            mailer=self.mailer,
            clock=self.clock,
            limiter=self.sender_limiter,
            lease_clock=self.lease_clock,
            sleep=self.sleep,
            workers=self.workers or WORKERS,
            safety_margin=SAFETY_MARGIN_SECONDS if self.safety_margin is None else self.safety_margin,
        )

    @cached_property
    def join_link_items(self) -> JoinLinkRepository:
        from chalicelib.joinlinks.storage import JoinLinkRepository

        return JoinLinkRepository(self.dynamodb, self.table)

    @cached_property
    def join_links(self) -> JoinLinks:
        from chalicelib.joinlinks.service import JoinLinks

        return JoinLinks(
            repo=self.join_link_items,
            meetings=self.meetings,
            signups=self.signups,
            settings=self.settings,
            clock=self.clock,
        )

    @cached_property
    def join_clicks(self) -> JoinClicks:
        """The personal link's hot path: light on purpose (no meetings, no schedule, no Jinja)."""
        from chalicelib.joinlinks.click import JoinClicks

        return JoinClicks(repo=self.join_link_items, clock=self.clock)

    @cached_property
    def resends(self) -> ResendRequests:
        """An organizer's "send it again" of a meeting's message to one member (the console)."""
        from chalicelib.distribution.resend import ResendRequests

        return ResendRequests(
            client=self.dynamodb,
            ledger=self.ledger,
            clock=self.clock,
            promise_member_email=self.signups.promise_member_email,
        )

    @cached_property
    def deliveries_report(self) -> DeliveriesReport:
        from chalicelib.distribution.report import DeliveriesReport

        return DeliveriesReport(groups=self.groups, meetings=self.meetings, signups=self.signups, ledger=self.ledger)


class BudgetOnFirstSend:
    """A ``mail.budget.Limiter`` that builds the container's budget when first used."""

    def __init__(self, budget: Callable[[], SendingBudget]) -> None:
        self.budget = budget

    def acquire(self) -> None:
        self.budget().acquire()

    def release(self) -> None:
        self.budget().release()


def build(*, settings: Settings | None = None, clock: Clock | None = None, **overrides: Any) -> Container:
    """A container; settings come from the environment and the clock from the system unless given.
    ``overrides`` are Container's other keyword arguments (dynamodb, mailer, sleep, ...)."""
    return Container(settings=settings or get_settings(), clock=clock or SystemClock(), **overrides)


_current: Container | None = None


def current() -> Container:
    """The process's container (built from the environment on first use)."""
    global _current
    if _current is None:
        _current = build()
    return _current


def install(container: Container | None) -> None:
    """Make ``container`` the process's container (None: build afresh from the environment next time)."""
    global _current
    _current = container


def reset() -> None:
    """Forget the container and every per-process cache derived from the environment."""
    from chalicelib import aws, signing
    from chalicelib import settings as settings_module

    install(None)
    for cached in (
        settings_module.get_settings,
        aws.dynamodb_client,
        aws.dynamodb_streams_client,
        aws.generic_client,
        aws.ses_client,
        signing.signing_key,
        signing.previous_signing_key,
        signing.identity_key,
    ):
        cached.cache_clear()
