"""`make run` as the README says (issue 21 item 13): the banner names the folders it really uses,
.local/run.json records the DynamoDB port for `make cli`, and DynamoDB Local that keeps stopping
is started again with a growing wait, never stopping the stack."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from devtools import local_env, run_local


def test_the_banner_names_the_chosen_state_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chosen = local_env.ROOT / ".local" / "x"
    monkeypatch.setattr(run_local, "LOCAL", chosen)
    text = run_local.banner(seeded=False, base="http://127.0.0.1:9000", web_port=9001, dynamodb_port=9100)
    assert "data in .local/x/dynamodb" in text and "log in .local/x/distribution.log" in text
    assert ".local/x/outbox" in text and "127.0.0.1:9100" in text
    assert ".local/dynamodb" not in text and ".local/distribution.log" not in text
    elsewhere = tmp_path / "state"
    monkeypatch.setattr(run_local, "LOCAL", elsewhere)
    outside = run_local.banner(seeded=True, base="http://127.0.0.1:9000", web_port=9001, dynamodb_port=9100)
    assert f"data in {elsewhere / 'dynamodb'}" in outside and f"log in {elsewhere / 'distribution.log'}" in outside


def test_run_json_records_the_dynamodb_port_and_make_cli_uses_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_file = tmp_path / "run.json"
    monkeypatch.setattr(run_local, "RUN_FILE", run_file)
    monkeypatch.setattr(local_env, "RUN_FILE", run_file)
    monkeypatch.setattr(local_env, "_CHOSEN_DYNAMODB_PORT", None)
    run_local.write_run_file("http://127.0.0.1:9000", "http://127.0.0.1:9001", 9100)
    assert json.loads(run_file.read_text()) == {
        "api": "http://127.0.0.1:9000",
        "web": "http://127.0.0.1:9001",
        "dynamodb_port": 9100,
        "pid": os.getpid(),
    }
    assert local_env.dynamodb_port() == 9100
    env = local_env.local_environment()
    assert env["DYNAMODB_ENDPOINT"] == "http://127.0.0.1:9100" and env["PUBLIC_API_URL"] == "http://127.0.0.1:9000"
    monkeypatch.setattr(local_env, "_CHOSEN_DYNAMODB_PORT", "9200")  # DYNAMODB_PORT set: it wins
    assert local_env.dynamodb_port() == 9200
    monkeypatch.setattr(local_env, "_CHOSEN_DYNAMODB_PORT", None)
    run_file.unlink()  # no `make run` running: the default
    assert local_env.dynamodb_port() == local_env.DYNAMODB_PORT


def test_dynamodb_local_that_keeps_stopping_is_started_again_with_a_growing_wait() -> None:
    restarts = run_local.EngineRestarts()
    t = 1000.0
    waits = []
    for _ in range(10):  # ten stops, ten seconds apart: more than four in ten minutes
        waits.append(restarts.stopped(t) - t)
        t += 10
    assert waits[:3] == [0, 0, 0]  # the first few: at once
    assert waits[3:6] == [5, 10, 20]  # then a growing wait, and never "give up"
    assert max(waits) <= run_local.EngineRestarts.MAX_WAIT
    assert restarts.stopped(t + 3600) == t + 3600  # an hour later: quick again


def test_make_cli_links_the_website_make_run_serves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`make cli` under a `make run` on another WEB_PORT: its emails (a reminder preview) sign off
    with the website that runs, not the default port's."""
    run_file = tmp_path / "run.json"
    monkeypatch.setattr(run_local, "RUN_FILE", run_file)
    monkeypatch.setattr(local_env, "RUN_FILE", run_file)
    monkeypatch.setattr(local_env, "_CHOSEN_WEB_PORT", None)
    monkeypatch.delenv("WEBSITE_ORIGINS", raising=False)
    run_local.write_run_file("http://127.0.0.1:9000", "http://127.0.0.1:9001", 9100)
    origins = local_env.local_environment()["WEBSITE_ORIGINS"]
    assert origins == "http://127.0.0.1:9001,http://localhost:9001"
    assert local_env.local_environment(web_port=9301)["WEBSITE_ORIGINS"].startswith("http://127.0.0.1:9301,")
    monkeypatch.setattr(local_env, "_CHOSEN_WEB_PORT", "9401")  # WEB_PORT set: it wins
    assert local_env.local_environment()["WEBSITE_ORIGINS"].startswith("http://127.0.0.1:9401,")
    monkeypatch.setattr(local_env, "_CHOSEN_WEB_PORT", None)
    run_file.unlink()  # no `make run` running: the default
    assert local_env.local_environment()["WEBSITE_ORIGINS"].startswith(f"http://127.0.0.1:{local_env.WEB_PORT},")
