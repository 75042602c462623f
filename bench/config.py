"""Sizes and repetitions: the full suite (`make bench`) and the smoke run (`make bench-smoke`)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    name: str
    cold_reps: int
    cold_sources: bool  # the sources-only package (no bytecode) in the cold rotation too
    unzip_reps: int
    sizes: tuple[int, int]  # events in the table: small, large
    rounds: int
    per_round: int
    warmup: int
    density: tuple[int, ...]  # ended events in the 14-day lookback (GET /events sweep); () skips it
    dist_realtime: int
    dist_scaled: int
    scale: float
    dist_control: int
    dist_headroom: int  # 0 skips it
    dist_alt_limiter: float = 0.0  # a real-time run with the limiter under the SES limit; 0 skips it
    dist_alt_members: int = 0
    # The signup POST per address state: rounds (one request per state each), warm-up rounds, and the
    # largest allowed max/min of the states' medians (None: reported, not enforced).
    signup_rounds: int = 300
    signup_warmup: int = 5
    signup_spread_max: float | None = 1.05
    signup_floor_max: float | None = 1.2  # warm signup POST: app/floor p50
    # Distribution under injected faults (bench/faults.py).
    fault_members: int = 200
    fault_latency: tuple[float, float] = (0.060, 0.120)
    fault_sleep_scale: float = 1.0  # the Distributor's back-off and retry sleeps
    fault_keys: tuple[str, ...] = ()  # () = every scenario
    # The cold signup POST (bench/coldsignup.py): fresh processes per variant, and the largest allowed
    # median of the paired app/floor ratios (None: reported, not enforced).
    cold_signup_reps: int = 100
    cold_signup_max: float | None = 1.2


def full() -> Config:
    realtime = 10_000 if os.environ.get("BENCH_FULL") == "1" else int(os.environ.get("BENCH_REALTIME", "1000"))
    return Config(
        name="full",
        cold_reps=int(os.environ.get("BENCH_COLD_REPS", "60")),
        cold_sources=os.environ.get("BENCH_COLD_SOURCES") == "1",
        unzip_reps=5,
        sizes=(100, 10_000),
        rounds=5,
        per_round=int(os.environ.get("BENCH_PER_ROUND", "60")),
        warmup=20,
        density=(0, 7, 30, 100),
        dist_realtime=realtime,
        dist_scaled=10_000,
        scale=float(os.environ.get("BENCH_SCALE", "3")),
        dist_control=60,
        dist_headroom=600,
        dist_alt_limiter=13.0,
        dist_alt_members=min(realtime, 600),
        signup_rounds=int(os.environ.get("BENCH_SIGNUP_ROUNDS", "300")),
        fault_members=int(os.environ.get("BENCH_FAULT_MEMBERS", "200")),
        cold_signup_reps=int(os.environ.get("BENCH_COLD_SIGNUP_REPS", "100")),
    )


def smoke() -> Config:
    return Config(
        name="smoke",
        cold_reps=1,
        cold_sources=True,
        unzip_reps=1,
        sizes=(100, 400),
        rounds=1,
        per_round=5,
        warmup=2,
        density=(),
        dist_realtime=20,
        dist_scaled=60,
        scale=10.0,
        dist_control=30,
        dist_headroom=0,
        # 10 requests per state: too few for a 5% bound on a shared machine, so the medians are reported
        # only; the DynamoDB calls (identical for every state) are enforced.
        signup_rounds=10,
        signup_warmup=1,
        signup_spread_max=None,
        signup_floor_max=None,
        fault_members=12,
        fault_latency=(0.003, 0.006),
        fault_sleep_scale=0.05,
        fault_keys=("a1", "b", "c", "d"),
        # Two repetitions (one per half): the identity, the calls and the imports are enforced, the ratio reported.
        cold_signup_reps=2,
        cold_signup_max=None,
    )
