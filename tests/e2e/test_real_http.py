"""The API over real HTTP: `chalice local` as a subprocess on DynamoDB Local."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from tests.support.builders import event_body
from tests.support.live import chalice_local
from tests.support.stacks import ROOT, Stack


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_cli_key_creates_event_visible_in_list_and_feed(ddb_stack: Stack) -> None:
    made = cli("organizers", "create", "--name", "Dana Organizer", "--email", "dana@example.org")
    assert made.returncode == 0, made.stderr
    key = next(line for line in made.stdout.splitlines() if line.startswith("mbck_"))
    listed = cli("organizers", "list")
    orgs = json.loads(listed.stdout)
    assert [o["name"] for o in orgs] == ["Dana Organizer"]
    assert key not in listed.stdout
    assert "key_hash" not in listed.stdout
    assert cli("organizers", "create", "--name", "X", "--email", "nope").returncode == 2

    with chalice_local() as base:
        auth = {"Authorization": f"Bearer {key}"}
        created = requests.post(f"{base}/events", json=event_body(states=["ID"]), headers=auth, timeout=10)
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
        listed_events = requests.get(f"{base}/events", params={"state": "ID", "from": "2030-01-01"}, timeout=10)
        assert [e["id"] for e in listed_events.json()["events"]] == [event_id]
        feed = requests.get(f"{base}/events/calendar.ics", params={"state": "ID"}, timeout=10)
        assert f"UID:event-{event_id}@mbc-connect" in feed.text

        no_key = requests.post(f"{base}/events", json=event_body(), timeout=10)
        assert no_key.status_code == 401
        bad_key = requests.post(
            f"{base}/events", json=event_body(), headers={"Authorization": "Bearer mbck_wrong_key_123456"}, timeout=10
        )
        assert bad_key.status_code == 401
        assert bad_key.json()["error"]["code"] == "unauthorized"
        wrong_type = requests.post(
            f"{base}/events", data="x", headers={**auth, "Content-Type": "text/plain"}, timeout=10
        )
        assert wrong_type.status_code == 415
        assert "error" in wrong_type.json()

        org_id = orgs[0]["id"]
        revoked = cli("organizers", "revoke", org_id)
        assert revoked.returncode == 0, revoked.stderr
        after = requests.post(f"{base}/events", json=event_body(), headers=auth, timeout=10)
        assert after.status_code == 401
