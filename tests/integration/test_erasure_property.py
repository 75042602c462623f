"""Erasure, as a story (issue 19): whatever a person did before, in whatever order (joined, left,
joined again with a new link, opened her link, asked for it again, the group changed its rule),
and wherever storage failed during the erasure, once it is finished nothing of her remains.
Stateful Hypothesis on moto (fast); the conditions and the index are covered on DynamoDB Local by
test_erasure.py."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from chalicelib.distribution.scheduled import every_quarter_hour
from chalicelib.signups.addresses import email_hash, signup_id_for
from tests.support.builders import group_body, link_in, outbox_messages, plain_text, signup_body
from tests.support.fakes import FakeSes
from tests.support.faulty_client import FaultyClient
from tests.support.stacks import Stack

# Years ahead of the real date (no TTL in the past), before both rules' December meetings.
STORY_TIME = datetime(2030, 11, 20, 18, 0, tzinfo=UTC)
MEETING_ON = {"FREQ=MONTHLY;BYDAY=1TU": "2030-12-03", "FREQ=MONTHLY;BYDAY=2TU": "2030-12-10"}
_people = itertools.count(1)
_addresses = itertools.count(1)


def new_ip() -> str:
    """A source address of its own for every post (the per-address limits are not under test)."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


class PersonStory(RuleBasedStateMachine):
    stack: ClassVar[Stack]

    def __init__(self) -> None:
        super().__init__()
        n = next(_people)
        self.group_id = f"story-{n:04d}-group"
        self.email, self.name = f"story{n:04d}x@example.org", f"Zed Storyperson{n:04d}x"
        self.sid = signup_id_for(self.group_id, self.email)
        self.stack.clock.set(STORY_TIME)
        self.c = self.stack.build(mailer=FakeSes())
        self.c.groups.create(group_body(id=self.group_id, requires_approval=False))
        self.rule = "FREQ=MONTHLY;BYDAY=1TU"
        self.erased = False  # her last signup was erased (completely, unless ``unfinished``)
        self.unfinished = False

    def record(self) -> Any:
        return self.c.signups.get(self.group_id, self.sid)

    def marker(self) -> Any:
        return self.c.signups.repo.erasure(self.group_id, self.sid)

    # ---------------------------------------------------------------- what she does

    @precondition(lambda self: self.marker() is None)
    @rule()
    def join(self) -> None:
        record = self.record()
        if record is not None and record["status"] in ("active", "pending_approval"):
            return
        sent = len(outbox_messages(self.stack.outbox))
        form = self.c.signups.parse_form(signup_body(email=self.email, name=self.name))
        self.c.signups.submit(self.group_id, form, source_ip=new_ip())
        self.stack.drain()
        record = self.record()
        assert record is not None
        for message in reversed(outbox_messages(self.stack.outbox)[sent:]):
            if message["To"] == self.email and "/signups/confirm?token=" in plain_text(message):
                token = link_in(message, "/signups/confirm").split("token=", 1)[1]
                link = self.c.signups.read_link(token, "confirm")
                if link.gen == record["gen"]:
                    self.c.signups.confirm(link)
                    self.stack.drain()
                    break
        self.erased = False

    @precondition(lambda self: (self.record() or {}).get("status") == "active")
    @rule()
    def leave(self) -> None:
        self.c.signups.repo.transition(
            self.group_id,
            self.sid,
            from_statuses=("active",),
            to_status="unsubscribed",
            set_values={"unsubscribed_at": STORY_TIME.isoformat()},
        )

    @precondition(lambda self: (self.record() or {}).get("status") == "active")
    @rule()
    def open_her_link(self) -> None:
        """What the click path writes the first time she opens it for a meeting."""
        self.c.join_links.repo.record_opened(
            group_id=self.group_id,
            day=MEETING_ON[self.rule],
            signup_id=self.sid,
            when=STORY_TIME.isoformat(),
            expires_at=int(STORY_TIME.timestamp()) + 200 * 86400,
        )

    @rule(processed=st.booleans())
    def ask_for_the_link_again(self, processed: bool) -> None:
        """Left pending (the request holds her address in clear), or processed by the handler."""
        form = self.c.signups.parse_resend({"email": self.email})
        self.c.signups.submit_resend(self.group_id, form, source_ip=new_ip())
        if processed or self.erased:
            # Asked after her erasure: a new request, of an address with no signup, which the
            # handler drops (leaving nothing).
            self.stack.drain()

    @rule()
    def the_group_changes_its_rule(self) -> None:
        self.rule = next(r for r in MEETING_ON if r != self.rule)
        group = self.c.groups.get(self.group_id)
        self.c.groups.update(
            self.group_id,
            {"schedule": {"rrule": self.rule}, "version": group["version"], "notify": False},
            if_match=None,
        )

    # ---------------------------------------------------------------- erasure, with faults

    @precondition(lambda self: self.record() is not None and not self.unfinished)
    @rule(fail_at=st.integers(min_value=0, max_value=12))
    def erase(self, fail_at: int) -> None:
        faulty = FaultyClient(self.stack.client, fail_at=fail_at or None)
        broken = self.stack.build(mailer=FakeSes(), dynamodb=faulty)
        try:
            assert broken.signups.erase(self.group_id, self.sid)
        except ClientError:
            assert faulty.failed
        if self.record() is None:
            self.erased = True
            self.unfinished = self.marker() is not None

    @precondition(lambda self: self.unfinished)
    @rule(by_the_schedule=st.booleans())
    def finish(self, by_the_schedule: bool) -> None:
        if by_the_schedule:
            every_quarter_hour(self.stack.build(mailer=FakeSes()))
        else:
            assert self.c.signups.erase(self.group_id, self.sid)
        self.unfinished = False

    @invariant()
    def nothing_of_her_remains_once_erased(self) -> None:
        if not self.erased or self.unfinished:
            return
        marks = (self.sid, self.email, self.name, email_hash(self.email))
        items = self.stack.client.scan(TableName=self.stack.table)["Items"]  # tests may scan
        left = [i for i in items if any(m in json.dumps(i) for m in marks)]
        assert not left, sorted(f"{i['pk']['S'].split('#')[0]} / {i['sk']['S'][:10]}" for i in left)


def test_nothing_of_an_erased_person_remains_whatever_she_did_before(moto_stack: Stack) -> None:
    PersonStory.stack = moto_stack
    run_state_machine_as_test(
        PersonStory,
        settings=settings(
            max_examples=20 if settings.default.max_examples <= 100 else 200,
            stateful_step_count=12,
            derandomize=True,  # a fixed seed: the same stories on every machine
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
