"""The import page's "About N minutes left" (issue 21 item 0: "show progress"): from the pace the
list is really being added at once part of it is done, not only from the sending rate. Tried with
2,500 rows: the page said "About 4 minutes left" with 1,450 to go at 3 a second (8 minutes)."""

from __future__ import annotations

from chalicelib.signups.console import minutes_left


def test_before_anything_is_done_the_sending_rate_says() -> None:
    # Half of 14 emails a second: 2,500 people in about 6 minutes.
    assert minutes_left(2500, send_rate=14.0) == 6
    assert minutes_left(0, send_rate=14.0) == 0
    assert minutes_left(3, send_rate=14.0) == 1  # never "0 minutes" while some are left


def test_once_some_are_done_the_pace_seen_so_far_says_when_it_is_slower() -> None:
    # 1,050 done in 6 minutes (about 2.9 a second): 1,450 left take about 8.3 minutes.
    assert minutes_left(1450, send_rate=14.0, done=1050, elapsed_seconds=360.0) == 9
    # Faster than half the sending rate cannot last (the pace is capped): the rate says.
    assert minutes_left(1400, send_rate=14.0, done=1000, elapsed_seconds=10.0) == minutes_left(1400, send_rate=14.0)
    # A clock that has not moved yet (or moved back) is no measure.
    assert minutes_left(1400, send_rate=14.0, done=100, elapsed_seconds=0.0) == minutes_left(1400, send_rate=14.0)
