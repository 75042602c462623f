"""The import rule for cold start (docs/architecture.md): importing app.py loads no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.stacks import ROOT

HEAVY = (
    "pydantic",
    "pydantic_core",
    "botocore",
    "boto3",
    "jinja2",
    "icalendar",
    "dateutil",
    "email_validator",
    "itsdangerous",
)


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_app_loads_no_heavy_library() -> None:
    loaded = _modules_after("import app")
    heavy = sorted({m.split(".")[0] for m in loaded} & set(HEAVY))
    assert heavy == []
    # Only light feature modules at module level: no service, storage or model module.
    features = {m for m in loaded if m.startswith("chalicelib.") and m.count(".") >= 2}
    assert not {m for m in features if m.rsplit(".", 1)[1] in ("service", "storage", "models", "views")}
