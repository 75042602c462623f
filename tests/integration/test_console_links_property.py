"""Property: whatever the order of requests, uses and waiting, a sign-in link starts a session
exactly when it is used for the first time within 15 minutes of being made, and never otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.console import sign_in_link
from tests.support.stacks import Stack

Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("request"), st.just(0)),
        st.tuples(st.just("use"), st.integers(0, 4)),
        st.tuples(st.just("wait"), st.integers(1, 12)),
    ),
    max_size=8,
)
_people = count()


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_a_link_opens_one_session_once_and_only_in_time(moto_stack: Stack, plan: list[Step]) -> None:
    c = moto_stack.container
    email = f"org{next(_people)}@example.org"
    c.organizers.create(name="Prop Organizer", email=email, role="admin")
    now = datetime(2027, 1, 12, 17, 0, tzinfo=UTC)
    moto_stack.clock.set(now)
    links: list[tuple[str, datetime]] = []
    used: set[int] = set()
    for action, n in plan:
        if action == "request":
            c.console.request_sign_in(email, source_ip=f"198.51.100.{len(links)}")
            moto_stack.drain()
            token = sign_in_link(moto_stack, email).split("token=", 1)[1]
            if token not in [t for t, _ in links]:
                links.append((token, moto_stack.clock.now()))
        elif action == "wait":
            moto_stack.clock.advance(minutes=n)
        elif links:
            index = n % len(links)
            token, made = links[index]
            live = index not in used and moto_stack.clock.now() < made + timedelta(minutes=15)
            assert c.console.link_is_live(token) == live
            started = c.console.start_session(token)
            assert (started is not None) == live
            if started is not None:
                used.add(index)
                assert c.console.session(started[0]) is not None
