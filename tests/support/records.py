"""Records as the services store them, for rule tests that need no table: a group record, and the
local keys its join fingerprint (a keyed hash) is made with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest

from chalicelib import container
from chalicelib.groups.records import GroupRecord
from tests.support.builders import group_body


@contextmanager
def local_keys(folder: Path) -> Iterator[None]:
    """Keyed hashes without a stack: the keys are made in ``folder`` (never in the project's .local)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("SIGNING_KEY_PARAM", "SIGNING_KEY_PREVIOUS_PARAM", "IDENTITY_KEY_PARAM"):
            patch.delenv(name, raising=False)
        patch.setenv("LOCAL_STATE_DIR", str(folder))
        container.reset()
        try:
            yield
        finally:
            container.reset()


def group_record(**overrides: Any) -> GroupRecord:
    """A group as GroupService.create stores it (validated by the same model)."""
    from chalicelib.groups.models import GroupInput

    data = GroupInput.model_validate(group_body(**overrides)).model_dump(mode="json")
    stamp = "2026-11-01T00:00:00+00:00"
    return cast(GroupRecord, {**data, "version": 1, "schedule_rev": 0, "created_at": stamp, "updated_at": stamp})
