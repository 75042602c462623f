"""Shared by every tier: Hypothesis profiles.

Tiers: ``tests/unit`` (no database, no network), ``tests/integration`` (moto and DynamoDB Local),
``tests/e2e`` (real HTTP, the browser, fuzzing). Each has its own conftest.py; what they share
lives in ``tests/support``.

``pytest --hypothesis-profile=thorough`` runs the property and stateful tests much longer.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
