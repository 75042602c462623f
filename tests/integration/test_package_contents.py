"""Nothing shipped that no route imports (issue 23): the deployment package, built as `make package`
builds it, serves one request of every public route family in a fresh interpreter (tests/support/
package_child.py: only the unzipped package and a boto3-only runtime on sys.path, no system time
zone data, as on Lambda); every top-level package in the zip must be among the modules loaded."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bench.common import app_environment
from bench.lambda_event import rest_event
from tests.support.builders import (
    GROUP_ID,
    event_body,
    group_body,
    link_in,
    outbox_messages,
)
from tests.support.stacks import ROOT, Stack

CHILD = ROOT / "tests" / "support" / "package_child.py"
# Top-level packages shipped although the requests below may not load them, and why. Empty: tzdata
# (zoneinfo's fallback when the system has no zone files) is loaded, since the child takes the system's
# zone files away as Lambda's image has none; a runtime-only fallback that no request reaches goes here.
ALLOWED_UNUSED: dict[str, str] = {}
MAX_ZIP_MIB = 6.0
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package`'s zip (devtools/package.py: chalice package, bytecode, the trimming; the CDK
    deploy runs the same add_bytecode), unzipped."""
    from devtools.package import add_bytecode, chalice_package

    out = tmp_path_factory.mktemp("package")
    zip_path = chalice_package("prod", out / "build")
    add_bytecode(zip_path)
    assert zip_path.stat().st_size <= MAX_ZIP_MIB * 2**20
    task = out / "task"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    return task


def top_level(task: Path) -> set[str]:
    names = set()
    for entry in task.iterdir():
        if entry.name == "__pycache__":
            continue
        # a module is its source (ours) or its bytecode alone (third-party: devtools/package.py OWN_CODE)
        names.add(entry.stem if entry.suffix in (".py", ".pyc") else entry.name)
    return names


def public_requests(stack: Stack) -> list[tuple[str, dict[str, Any], int]]:
    c = stack.container
    c.groups.create(group_body())
    event = c.events.create(event_body())
    c.signups.submit(
        GROUP_ID,
        c.signups.parse_form({"name": "Ann Example", "email": "ann@example.org", "state": "MT", "consent": True}),
        source_ip="203.0.113.9",
    )
    stack.drain()
    [mail] = [m for m in outbox_messages(stack.outbox) if m["To"] == "ann@example.org"]
    confirm = link_in(mail, "/signups/confirm")
    form = urlencode({"name": "Cal Example", "email": "cal@example.org", "state": "ID", "consent": "on"}).encode()
    signup = json.dumps({"name": "Dee Example", "email": "dee@example.org", "state": "MT", "consent": True}).encode()
    # An everyday address is checked without email-validator (emails.plain_address); an
    # internationalized one needs it (and idna).
    idn = json.dumps({"name": "Zoë Example", "email": "zoë@exämple.org", "state": "ID", "consent": True}).encode()
    g = f"/groups/{GROUP_ID}"
    path, _, query = confirm.partition("?")
    return [
        ("events list", rest_event("GET", "/events", "/events"), 200),
        ("one event", rest_event("GET", "/events/{event_id}", f"/events/{event['id']}"), 200),
        ("one event .ics", rest_event("GET", "/events/{event_id}", f"/events/{event['id']}.ics"), 200),
        ("events feed", rest_event("GET", "/events/calendar.ics", "/events/calendar.ics"), 200),
        ("group", rest_event("GET", "/groups/{group_id}", g), 200),
        ("meetings", rest_event("GET", "/groups/{group_id}/meetings", f"{g}/meetings"), 200),
        ("meetings .ics", rest_event("GET", "/groups/{group_id}/meetings.ics", f"{g}/meetings.ics"), 200),
        (
            "signup (JSON)",
            rest_event("POST", "/groups/{group_id}/signups", f"{g}/signups", body=signup, headers=JSON),
            202,
        ),
        (
            "signup (internationalized address)",
            rest_event("POST", "/groups/{group_id}/signups", f"{g}/signups", body=idn, headers=JSON),
            202,
        ),
        (
            "signup (form)",
            rest_event("POST", "/groups/{group_id}/signups", f"{g}/signups", body=form, headers=FORM),
            303,
        ),
        (
            "preflight",
            rest_event(
                "OPTIONS", "/groups/{group_id}/signups", f"{g}/signups", headers={"Origin": "https://www.example.org"}
            ),
            204,
        ),
        ("resend page", rest_event("GET", "/groups/{group_id}/resend", f"{g}/resend"), 200),
        (
            "resend (form)",
            rest_event(
                "POST", "/groups/{group_id}/resend", f"{g}/resend", body=b"email=ann%40example.org", headers=FORM
            ),
            200,
        ),
        ("member link", rest_event("GET", path, path, query, headers={"Accept": "text/html"}), 200),
        # A link no member holds: the kind page (a member's link works once the scheduled run opened its window).
        ("join link", rest_event("GET", "/j/{token}", "/j/" + "A" * 32, headers={"Accept": "text/html"}), 404),
        ("embed", rest_event("GET", "/embed/{group_id}", f"/embed/{GROUP_ID}"), 200),
        ("widget", rest_event("GET", "/widgets/mbc-connect.js", "/widgets/mbc-connect.js"), 200),
        ("openapi", rest_event("GET", "/openapi.json", "/openapi.json"), 200),
    ]


def test_the_package_holds_only_what_public_routes_load(package: Path, ddb_stack: Stack) -> None:
    import botocore

    from bench.coldstart import runtime_dir

    runtime = runtime_dir(Path(tempfile.gettempdir()) / f"mbc-bench-runtime-{botocore.__version__}")
    assert not [p.name for p in package.iterdir() if p.name.endswith((".dist-info", ".egg-info"))]

    requests = public_requests(ddb_stack)
    env = app_environment(
        ddb_stack.table, str(ddb_stack.settings.dynamodb_endpoint), Path(ddb_stack.settings.local_state_dir)
    )
    spec = {"paths": [str(package), str(runtime)], "requests": requests}
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(CHILD), json.dumps(spec)],
        env={**env, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(package)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    wrong = [r for r in out["results"] if r["status"] != r["expected"]]
    assert wrong == []
    loaded = {m.split(".")[0] for m in out["modules"]}
    unused = top_level(package) - loaded - set(ALLOWED_UNUSED)
    assert sorted(unused) == []
    # Nothing reads wheel metadata (there is none left to read) or anything of what was stripped.
    assert not [name for name in out["opened"] if ".dist-info/" in name]
