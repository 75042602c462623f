"""The organisation's settings file (deploy/<org>.json) and the deploy scripts, offline.

What needs an AWS account (the checks themselves) is in docs/deploy.md; here: the file's
validation, the placeholder refusal, the file first-deploy writes, and that every script fails
early and clearly without credentials.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_DIR

from devtools import deploy_settings
from devtools.deploy_settings import OrgError

EXAMPLE = REPO_DIR / "deploy" / "example.org.json"


def example_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return data


def real_data(**changes: Any) -> dict[str, Any]:
    data = deploy_settings.new_org_data("mbc-idmt.org", "alarms@mbc-idmt.org")
    data.update(changes)
    return data


def parse(data: dict[str, Any]) -> deploy_settings.OrgSettings:
    return deploy_settings.parse(data, REPO_DIR / "deploy" / "mbc-idmt.org.json")


def test_the_example_is_all_placeholders_and_refused() -> None:
    org = deploy_settings.load("example.org", allow_placeholders=True)
    assert org.domain == "example.org"
    assert "domain" in org.placeholders
    with pytest.raises(OrgError) as info:
        deploy_settings.load("example.org")
    message = str(info.value)
    assert message.startswith("deploy/example.org.json still holds example placeholders in: domain, alarm_email,")
    assert "make first-deploy DOMAIN=" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("alarm_email", "alarms@example.com"),
        ("mail_reply_to", "help@example.net"),
        ("organizer_notify_emails", ["ok@mbc-idmt.org", "x@sub.example.org"]),
    ],
)
def test_any_example_domain_is_a_placeholder(field: str, value: Any) -> None:
    org = parse(real_data(**{field: value}))
    assert org.placeholders
    with pytest.raises(OrgError, match=field):
        deploy_settings.refuse_placeholders(org)


def test_first_deploy_file_from_domain_and_alarm_mailbox() -> None:
    data = real_data()
    org = parse(data)
    assert org.placeholders == ()
    assert org.mail_from == "connect@mbc-idmt.org"  # the From name is the chapter's (organization)
    assert org.organization["ORG_NAME"] == "mbc-idmt.org"  # until the volunteer writes the chapter's name
    assert org.alarm_email == "alarms@mbc-idmt.org"
    assert org.stage("prod").public_api_url == "https://api.mbc-idmt.org"
    assert org.stage("dev").api_domain == "api-dev.mbc-idmt.org"
    # dev mails the SES mailbox simulator, never real people, unless the file says otherwise.
    assert org.stage("dev").mail_redirect_to == deploy_settings.MAIL_SIMULATOR
    assert org.stage("prod").mail_redirect_to is None
    with pytest.raises(OrgError, match="reserved example name"):
        deploy_settings.new_org_data("example.com", "a@example.com")


@pytest.mark.parametrize(
    "domain",
    [
        "mbc-chapter.test",  # RFC 2606/6761 reserved top-level domains, and everything under them
        "chapter.example",
        "mbc.invalid",
        "api.localhost",
        "example.org",  # the three example second-level domains and their subdomains
        "www.example.com",
        "a.b.example.net",
        "MBC-Chapter.TEST.",
    ],
)
def test_reserved_names_are_refused_everywhere(domain: str) -> None:
    """Nobody owns a reserved name: first-deploy refuses it, and a settings file holding one is refused
    by every deploy path (it is a placeholder)."""
    assert deploy_settings.is_placeholder_domain(domain)
    with pytest.raises(OrgError, match="reserved example name"):
        deploy_settings.new_org_data(domain, "alarms@mbc-idmt.org")
    clean = domain.lower().rstrip(".")
    text = json.dumps(real_data()).replace("mbc-idmt.org", clean)
    org = deploy_settings.parse(json.loads(text), REPO_DIR / "deploy" / f"{clean}.json")
    assert "domain" in org.placeholders
    with pytest.raises(OrgError, match="still holds example placeholders in: domain"):
        deploy_settings.refuse_placeholders(org)


@pytest.mark.parametrize("domain", ["mbc-idmt.org", "testing.org", "example-chapter.org", "invalidation.net"])
def test_real_looking_names_are_not_reserved(domain: str) -> None:
    assert not deploy_settings.is_placeholder_domain(domain)


def test_an_alarm_mailbox_at_localhost_is_a_placeholder() -> None:
    assert "alarm_email" in parse(real_data(alarm_email="root@localhost")).placeholders


def test_dev_redirect_can_be_turned_off_explicitly_but_never_on_in_prod() -> None:
    data = real_data()
    data["stages"]["dev"]["mail_redirect_to"] = ""
    assert parse(data).stage("dev").mail_redirect_to is None
    data["stages"]["dev"]["mail_redirect_to"] = "volunteer@mbc-idmt.org"
    assert parse(data).stage("dev").mail_redirect_to == "volunteer@mbc-idmt.org"
    data["stages"]["prod"]["mail_redirect_to"] = "volunteer@mbc-idmt.org"
    with pytest.raises(OrgError, match="dev only"):
        parse(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"domain": "not a domain"}, "domain must be"),
        ({"region": "oregon"}, "region must be"),
        ({"mail_from": "MBC <connect@elsewhere.org>"}, "must be an address at mbc-idmt.org"),
        ({"alarm_email": "nobody"}, "alarm_email must be an email"),
        ({"monthly_budget_usd": 0}, "monthly_budget_usd"),
        ({"organizer_notify_emails": []}, "organizer_notify_emails"),
    ],
)
def test_bad_values_are_refused_with_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(OrgError, match=message):
        parse(real_data(**change))


@pytest.mark.parametrize(
    ("stage_change", "message"),
    [
        ({"api_domain": "api.elsewhere.org"}, "api_domain must be a host name under mbc-idmt.org"),
        ({"api_domain": "mbc-idmt.org"}, "api_domain"),
        ({"website_origins": ["http://www.mbc-idmt.org"]}, "not an https origin"),
        ({"website_origins": ["https://www.mbc-idmt.org/path"]}, "not an https origin"),
        ({"signing_key_version": 0}, "signing_key_version"),
        ({"sending_enabled": "no"}, "sending_enabled"),
    ],
)
def test_bad_stage_values_are_refused(stage_change: dict[str, Any], message: str) -> None:
    data = real_data()
    data["stages"]["prod"].update(stage_change)
    with pytest.raises(OrgError, match=message):
        parse(data)


def test_every_committed_organisation_file_is_deployable() -> None:
    """The example may hold placeholders (offline check only); a real organisation's file may not."""
    files = sorted((REPO_DIR / "deploy").glob("*.json"))
    assert EXAMPLE in files
    for path in files:
        org = deploy_settings.load(path.stem, allow_placeholders=path == EXAMPLE)
        assert org.region


def test_which_file_without_org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy_settings, "DEPLOY_DIR", tmp_path)
    monkeypatch.setattr(deploy_settings, "EXAMPLE_FILE", tmp_path / "example.org.json")
    (tmp_path / "example.org.json").write_text(EXAMPLE.read_text())
    assert deploy_settings.org_file() == tmp_path / "example.org.json"
    (tmp_path / "mbc-idmt.org.json").write_text(json.dumps(real_data()))
    assert deploy_settings.org_file() == tmp_path / "mbc-idmt.org.json"
    (tmp_path / "other.org.json").write_text("{}")
    with pytest.raises(OrgError, match=r"several organisations .*ORG="):
        deploy_settings.org_file()
    with pytest.raises(OrgError, match=r"ORG=missing\.org: there is no .*missing\.org\.json"):
        deploy_settings.org_file("missing.org")


# ---------------------------------------------------------------- the scripts without an AWS account


def run_script(module: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Runs a deploy script the way make does, with no AWS credentials or configuration at all."""
    org = tmp_path / "mbc-idmt.org.json"
    org.write_text(json.dumps(real_data()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",  # no instance-role lookup: the answer is immediate
            "HOME": str(tmp_path),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", module, *args, "--org", str(org)],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("devtools.deploy_preflight", ("--stage", "prod")),
        ("devtools.deploy_status", ("--stage", "prod")),
        ("devtools.deploy_keys", ("escrow", "--stage", "prod")),
        ("devtools.deploy_sending", ("stop", "--stage", "prod")),
    ],
)
def test_scripts_stop_early_without_credentials(module: str, args: tuple[str, ...], tmp_path: Path) -> None:
    result = run_script(module, *args, tmp_path=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "STOPPED: No AWS credentials found. Log in first" in result.stderr
    assert "Traceback" not in result.stderr


def test_preflight_shows_the_settings_before_asking_aws(tmp_path: Path) -> None:
    result = run_script("devtools.deploy_preflight", "--stage", "prod", tmp_path=tmp_path)
    assert "domain mbc-idmt.org, region us-west-2, alarms to alarms@mbc-idmt.org" in result.stdout
    assert "dev: API https://api-dev.mbc-idmt.org" in result.stdout
    assert "all mail redirected to success@simulator.amazonses.com" in result.stdout


def test_deploy_refuses_the_example(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "-m", "devtools.deploy_preflight", "--org", "example.org"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "deploy/example.org.json still holds example placeholders in: domain" in result.stderr


# ---------------------------------------------------------------- the stage CLI: the functions' environment


def test_stage_cli_gets_exactly_the_functions_environment() -> None:
    """make stage-cli runs the admin CLI with what the stage's functions are told: dev's mail goes only to
    the sink (a `reminders run` from a laptop must not mail real people from dev), prod's to people."""
    from devtools import deploy_cli
    from devtools.deploy_common import stage_environment

    org = parse(real_data(mail_reply_to="help@mbc-idmt.org"))
    shell = {"AWS_PROFILE": "volunteer", "MAIL_REDIRECT_TO": "me@mbc-idmt.org", "DYNAMODB_ENDPOINT": "http://x"}
    dev = deploy_cli.cli_environment(org, "dev", dict(shell))
    assert dev["MAIL_REDIRECT_TO"] == deploy_settings.MAIL_SIMULATOR
    assert dev["MAIL_BACKEND"] == "ses"
    assert dev["PUBLIC_API_URL"] == "https://api-dev.mbc-idmt.org"
    assert dev["AWS_PROFILE"] == "volunteer"
    assert "DYNAMODB_ENDPOINT" not in dev
    prod = deploy_cli.cli_environment(org, "prod", dict(shell))
    assert "MAIL_REDIRECT_TO" not in prod  # never inherited from the shell
    assert prod["MAIL_REPLY_TO"] == "help@mbc-idmt.org"
    assert prod["SIGNING_KEY_VERSION"] == "1"
    for stage, env in (("dev", dev), ("prod", prod)):
        expected = {**stage_environment(stage), **org.environment(stage)}
        assert {k: env[k] for k in expected} == expected, stage
        assert set(org.environment(stage)) <= set(deploy_settings.ORG_OWNED_ENV)


# ---------------------------------------------------------------- make status: the last distribution run


class FakeLogs:
    """filter_log_events answering pages of the scheduled function's log."""

    def __init__(self, pages: list[list[tuple[datetime, dict[str, Any]]]]) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        index = int(kwargs.get("nextToken", "0"))
        events = [
            {"timestamp": int(when.timestamp() * 1000), "message": json.dumps(fields) + "\n"}
            for when, fields in self.pages[index]
        ]
        answer: dict[str, Any] = {"events": events}
        if index + 1 < len(self.pages):
            answer["nextToken"] = str(index + 1)
        return answer


NOW = datetime(2026, 12, 1, 23, 10, tzinfo=UTC)


def summary(minutes_ago: int, **fields: Any) -> tuple[datetime, dict[str, Any]]:
    from mbc_infra import log_contract

    return NOW - timedelta(minutes=minutes_ago), json.loads(log_contract.run_summary(**fields))


def status_lines(pages: list[list[tuple[datetime, dict[str, Any]]]], capsys: pytest.CaptureFixture[str]) -> list[str]:
    from devtools import deploy_status

    report = deploy_status.Report()
    logs = FakeLogs(pages)
    deploy_status.check_last_run(None, "prod", report, logs=logs, now=NOW)  # type: ignore[arg-type]
    assert logs.calls[0]["logGroupName"] == "/aws/lambda/mbc-connect-prod-distribute_links"
    assert logs.calls[0]["filterPattern"] == '{ $.event = "distribution_run" }'
    return [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("[")]


def test_status_reads_the_last_run_from_the_functions_log(capsys: pytest.CaptureFixture[str]) -> None:
    """The app stores no "last run" item: the run summaries in the log are the record (paged, any order)."""
    lines = status_lines([[summary(7, sent=4)], [summary(37), summary(22)]], capsys)
    assert lines == [
        "[  OK] last run 2026-12-01 23:03 UTC (7 min ago): planned 12, sent 4, failed 0, deferred 0, stopped None"
    ]


def test_status_fails_on_a_bad_stop_and_names_the_last_success(capsys: pytest.CaptureFixture[str]) -> None:
    stopped = [summary(25, stopped="account", sent=0), summary(10, stopped="account", sent=0)]
    lines = status_lines([[summary(40), *stopped]], capsys)
    assert lines[0].startswith("[FAIL] last run 2026-12-01 23:00 UTC (10 min ago)")
    assert "stopped account" in lines[0]
    assert lines[1].startswith("[  OK] last successful run 2026-12-01 22:30 UTC (40 min ago)")
    lines = status_lines([[summary(100), summary(10, stopped="error")]], capsys)
    assert lines[1].startswith("[FAIL] last successful run")
    assert "more than 60 minutes ago" in lines[1]


def test_status_without_any_run(capsys: pytest.CaptureFixture[str]) -> None:
    [line] = status_lines([[]], capsys)
    assert line.startswith("[TODO] no distribution run in the last 3 hours")


# ---------------------------------------------------------------- keys: a restore restarts warm containers


def test_restoring_keys_bumps_the_version_and_redeploys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like a rotation: containers keep the key they read at start, so a plain redeploy would not reload it."""
    from devtools import deploy_common, deploy_keys

    path = tmp_path / "mbc-idmt.org.json"
    path.write_text(json.dumps(real_data()))
    org = deploy_settings.load(str(path))
    written: list[str] = []
    deployed: list[str] = []
    answers = iter(["k" * 64, "", ""])
    monkeypatch.setattr(deploy_keys, "key_admin_session", lambda aws: aws)
    monkeypatch.setattr(deploy_keys, "put_key", lambda aws, name, value, **kw: written.append(name))
    monkeypatch.setattr(deploy_keys.getpass, "getpass", lambda prompt: next(answers))
    monkeypatch.setattr(deploy_keys, "_deploy", lambda org, stage: deployed.append(stage))
    restored = deploy_keys.restore(org, object(), deploy_common.stage_names("prod"))  # type: ignore[arg-type]
    assert restored == written == ["/mbc-connect/prod/signing-key"]
    assert deployed == ["prod"]
    assert json.loads(path.read_text())["stages"]["prod"]["signing_key_version"] == 2


def test_a_plain_chalice_deploy_stops_before_touching_aws(tmp_path: Path) -> None:
    """CDK is the only deploy path: `chalice deploy --stage prod` stops before any AWS call (no
    credentials here, and it never gets as far as asking for them): on Chalice's deploy-only check of
    mixed binary/text content types (form routes also take multipart, binary for the member
    import), else on the missing policy
    file (docs/deploy.md)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_DEFAULT_REGION": "us-west-2",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": str(tmp_path),
        }
    )
    chalice = Path(sys.executable).parent / "chalice"
    result = subprocess.run(
        [str(chalice), "deploy", "--stage", "prod"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    refused = "Unable to load IAM policy file" in output and ".chalice/policy-prod.json" in output
    assert refused or "must be consistent in their binary" in output
    assert "NoCredentialsError" not in output
    assert "Unable to locate credentials" not in output
