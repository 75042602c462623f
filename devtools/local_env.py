"""The environment of the local stack, shared by `make run`, `make cli` and the tests.

Usage as a wrapper: ``python -m devtools.local_env CMD ...`` runs CMD with the
local environment, starting DynamoDB Local on the persistent data for the
duration if `make run` is not already serving it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devtools import dynamodb_local

ROOT = Path(__file__).resolve().parent.parent
# Tests point these elsewhere to run a second, isolated stack.
LOCAL = Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local").resolve()
DYNAMODB_PORT = int(os.environ.get("DYNAMODB_PORT", "8100"))
# DYNAMODB_PORT as the user set it (None: not set; then a running `make run`'s port is used).
_CHOSEN_DYNAMODB_PORT = os.environ.get("DYNAMODB_PORT")
WEB_PORT = int(os.environ.get("WEB_PORT", "8001"))
# WEB_PORT as the user set it (None: not set; then a running `make run`'s website port is used).
_CHOSEN_WEB_PORT = os.environ.get("WEB_PORT")
# Written by `make run` while it runs: where its API answers.
RUN_FILE = LOCAL / "run.json"


def running() -> dict[str, object] | None:
    """What `make run` wrote in .local/run.json, if it is running now (api, web, dynamodb_port, pid)."""
    try:
        info = json.loads(RUN_FILE.read_text())
        os.kill(int(info["pid"]), 0)  # still running?
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if isinstance(info, dict) else None


def running_api() -> str | None:
    """The API base URL of the `make run` that is running now, if any."""
    info = running()
    return str(info["api"]) if info and "api" in info else None


def dynamodb_port() -> int:
    """The DynamoDB Local port for `make cli`: DYNAMODB_PORT if set, else the running `make run`'s
    (so a `make run` on other ports needs no variables), else the default."""
    if _CHOSEN_DYNAMODB_PORT:
        return int(_CHOSEN_DYNAMODB_PORT)
    info = running()
    try:
        return int(str(info["dynamodb_port"])) if info and "dynamodb_port" in info else DYNAMODB_PORT
    except ValueError:
        return DYNAMODB_PORT


def web_port() -> int:
    """The website port for `make cli`'s links: WEB_PORT if set, else the running `make run`'s
    (its emails sign off with the website that runs), else the default."""
    if _CHOSEN_WEB_PORT:
        return int(_CHOSEN_WEB_PORT)
    info = running()
    web = str(info.get("web", "")) if info else ""
    port = web.rsplit(":", 1)[-1]
    return int(port) if port.isdigit() else WEB_PORT


def shown(path: Path) -> str:
    """A path as the banner shows it: relative to the project when it is inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def stage_environment(stage: str = "local") -> dict[str, str]:
    config = json.loads((ROOT / ".chalice/config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def local_environment(
    api_port: int | None = None, dynamodb_port: int | None = None, web_port: int | None = None
) -> dict[str, str]:
    """Variables for running the app against the local stack (on top of os.environ)."""
    if dynamodb_port is None:
        dynamodb_port = _dynamodb_port()
    if web_port is None:
        web_port = _web_port()
    env = stage_environment()
    env.update(
        {
            "TABLE_NAME": "mbc-connect-local",
            "DYNAMODB_ENDPOINT": f"http://127.0.0.1:{dynamodb_port}",
            "LOCAL_STATE_DIR": str(LOCAL),
            "OUTBOX_DIR": str(LOCAL / "outbox"),
            # Links in emails point at the API that runs: `make cli` while `make run` runs on another PORT.
            "PUBLIC_API_URL": f"http://127.0.0.1:{api_port}"
            if api_port
            else (running_api() or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"),
            "WEBSITE_ORIGINS": os.environ.get(
                "WEBSITE_ORIGINS", f"http://127.0.0.1:{web_port},http://localhost:{web_port}"
            ),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-west-2",
            "AWS_REGION": "us-west-2",
        }
    )
    for passthrough in (
        "SIGNUP_LIMIT_PER_IP_PER_HOUR",
        "SIGNUP_EMAILS_PER_ADDRESS_PER_DAY",
        "SIGNUP_EMAIL_MIN_INTERVAL_SECONDS",
        "MAX_SEND_RATE",
    ):
        if passthrough in os.environ:
            env[passthrough] = os.environ[passthrough]
    return env


# The parameters of local_environment shadow these functions' names.
_dynamodb_port = dynamodb_port
_web_port = web_port


def main(argv: list[str]) -> int:
    port = dynamodb_port()
    env = {**os.environ, **local_environment(dynamodb_port=port)}
    engine = None
    if not dynamodb_local.is_listening(port):
        engine = dynamodb_local.start(port, str(LOCAL / "dynamodb"), str(LOCAL / "dynamodb.log"))
    try:
        return subprocess.call(argv, env=env)
    finally:
        if engine:
            engine.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
