"""Stage values from one place.

- ``deploy/<org>.json`` (devtools/deploy_settings.py): the organisation's values (domain, sender, website
  origins, API domain, alarm mailbox, region, budget). Infra puts them into the functions'
  environment (``ORG_OWNED_ENV``); ``.chalice/config.json`` must not set them for dev/prod.
- ``.chalice/config.json`` (shared with the app): app name, API Gateway stage, and the
  stage environment that is the same for every organisation: ``TABLE_NAME``,
  ``SES_CONFIGURATION_SET``, the key parameter names, limits. Infra reads them; it never
  restates them.
- ``infra/stages.json``: values only infra needs (throttling, WAF, log retention, alarm
  level and thresholds, table throughput caps, whether the stack owns the table).
- ``chalicelib/table.py``: the table design (read in stage_stack.py).

CDK context (``cdk synth -c key=value``): ``org`` (which deploy/<org>.json), ``stage``/``stages``
(which stage stacks to build), ``waf`` (true/false), ``offline_check`` (true: placeholders
allowed, for make infra-test only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devtools import deploy_settings as org_settings
from devtools.deploy_settings import ORG_OWNED_ENV, OrgError, OrgSettings, OrgStage

INFRA_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = INFRA_DIR.parent
CHALICE_CONFIG = REPO_DIR / ".chalice" / "config.json"
STAGES_FILE = INFRA_DIR / "stages.json"

# Deployable stages. `local` (make run) is never deployed.
DEPLOYABLE = ("dev", "prod")

# CloudWatch Logs accepts only these retention periods.
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class ConfigError(ValueError):
    """A stage value is missing or inconsistent; synth stops with this message."""


# API access logs carry the client IP next to the path (POST /groups/{group_id}/signups of a cancer
# support group): kept at most this long.
MAX_ACCESS_LOG_DAYS = 14
ALARM_LEVELS = ("full", "minimal")


@dataclass(frozen=True)
class StageSettings:
    stage: str
    app_name: str
    api_gateway_stage: str
    # From .chalice/config.json (what the functions are told).
    table_name: str
    configuration_set: str
    signing_key_param: str
    signing_key_previous_param: str
    identity_key_param: str
    # From deploy/<org>.json.
    org: OrgSettings
    # From infra/stages.json.
    throttle_rate_limit: float
    throttle_burst_limit: int
    join_link_throttle_rate_limit: float
    join_link_throttle_burst_limit: int
    waf: bool
    waf_rate_limit: int
    log_retention_days: int
    access_log_retention_days: int
    manage_table: bool
    table_stream_label: str | None
    table_max_read_units: int
    table_max_write_units: int
    index_max_write_units: int
    # MAX_SEND_RATE of .chalice/config.json: the table's write ceilings are derived from it (data_stack.py).
    send_rate: float
    alarms: str
    budget: bool
    ses_account_alarms: bool
    bounce_rate_threshold: float
    complaint_rate_threshold: float

    @property
    def org_stage(self) -> OrgStage:
        return self.org.stage(self.stage)

    @property
    def mail_domain(self) -> str:
        """The SES domain identity (the organisation's domain; MAIL_FROM is at it or below it)."""
        return self.org.domain

    @property
    def mail_from_address(self) -> str:
        return self.org.mail_from_address

    @property
    def api_domain(self) -> str:
        return self.org_stage.api_domain

    @property
    def stack_name(self) -> str:
        return f"{self.app_name}-{self.stage}"

    @property
    def data_stack_name(self) -> str:
        """The stack of the table: never deleted (data_stack.py)."""
        return f"{self.app_name}-{self.stage}-data"

    @property
    def cert_stack_name(self) -> str:
        """The stack of the API certificate (cert_stack.py)."""
        return f"{self.app_name}-{self.stage}-cert"

    @property
    def ses_events_topic_name(self) -> str:
        return f"{self.app_name}-{self.stage}-ses-events"

    @property
    def alarm_topic_name(self) -> str:
        return f"{self.app_name}-{self.stage}-alarms"

    @property
    def failed_events_queue_name(self) -> str:
        return f"{self.app_name}-{self.stage}-failed-events"

    @property
    def key_params(self) -> tuple[str, ...]:
        """The SSM SecureStrings the key-reading functions may read (signing, previous signing, identity)."""
        return (self.signing_key_param, self.signing_key_previous_param, self.identity_key_param)

    def function_name(self, python_name: str) -> str:
        return f"{self.app_name}-{self.stage}-{python_name}"

    def function_environment(self) -> dict[str, str]:
        """The organisation's values every function of this stage gets (ORG_OWNED_ENV)."""
        return self.org.environment(self.stage)


@dataclass(frozen=True)
class SharedSettings:
    app_name: str
    org: OrgSettings
    mail_from_subdomain: str
    # Every deployable stage's key parameters: the guard policy and the key-admin role cover them all.
    key_params: tuple[str, ...]

    @property
    def mail_domains(self) -> tuple[str, ...]:
        return (self.org.domain,)

    @property
    def stack_name(self) -> str:
        return f"{self.app_name}-shared"

    @property
    def key_admin_role_name(self) -> str:
        return f"{self.app_name}-key-admin"

    @property
    def key_guard_policy_name(self) -> str:
        return f"{self.app_name}-protect-keys"


def _load_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return data


def _stage_environment(config: dict[str, Any], stage: str) -> dict[str, str]:
    """Chalice's merge: top-level environment_variables, then the stage's."""
    stage_cfg = config.get("stages", {}).get(stage)
    if not isinstance(stage_cfg, dict):
        raise ConfigError(f".chalice/config.json has no stage {stage!r}")
    return {**config.get("environment_variables", {}), **stage_cfg.get("environment_variables", {})}


def _require(env: dict[str, str], key: str, stage: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigError(f".chalice/config.json stage {stage!r} must set environment variable {key}")
    return value


def _retention(value: Any, key: str, stage: str) -> int:
    if value not in RETENTION_DAYS:
        raise ConfigError(f"infra/stages.json {stage}.{key}={value!r} is not a CloudWatch retention period")
    return int(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def load_org(name: str | None = None, *, offline_check: bool = False) -> OrgSettings:
    """deploy/<org>.json. Placeholders only with offline_check (make infra-test)."""
    try:
        return org_settings.load(name, allow_placeholders=offline_check)
    except OrgError as exc:
        raise ConfigError(str(exc)) from None


def load_stage(
    stage: str,
    org: OrgSettings,
    *,
    chalice_config: dict[str, Any] | None = None,
    stages_file: dict[str, Any] | None = None,
) -> StageSettings:
    if stage not in DEPLOYABLE:
        raise ConfigError(f"stage must be one of {', '.join(DEPLOYABLE)}, not {stage!r}")
    config = chalice_config if chalice_config is not None else _load_json(CHALICE_CONFIG)
    infra = stages_file if stages_file is not None else _load_json(STAGES_FILE)
    env = _stage_environment(config, stage)
    owned = sorted(k for k in ORG_OWNED_ENV if k in env)
    if owned:
        raise ConfigError(
            f".chalice/config.json stage {stage!r} sets {', '.join(owned)}: these belong to the organisation "
            f"and come from {org.relative_path} (infra sets them on every function). Remove them from config.json."
        )
    values = infra.get("stages", {}).get(stage)
    if not isinstance(values, dict):
        raise ConfigError(f"infra/stages.json has no stage {stage!r}")
    app_name = str(config.get("app_name") or "")
    if not app_name:
        raise ConfigError(".chalice/config.json must set app_name")
    stage_cfg = config["stages"][stage]
    try:
        access_days = _retention(values["access_log_retention_days"], "access_log_retention_days", stage)
        if access_days > MAX_ACCESS_LOG_DAYS:
            raise ConfigError(
                f"infra/stages.json {stage}.access_log_retention_days={access_days}: API access logs hold client IPs "
                f"next to signup requests; keep them at most {MAX_ACCESS_LOG_DAYS} days"
            )
        alarms = str(values.get("alarms", "full"))
        if alarms not in ALARM_LEVELS:
            raise ConfigError(f"infra/stages.json {stage}.alarms must be one of {', '.join(ALARM_LEVELS)}")
        manage_table = _as_bool(values.get("manage_table", True))
        stream_label = str(values.get("table_stream_label") or "").strip() or None
        if not manage_table and not stream_label:
            raise ConfigError(
                f"infra/stages.json {stage}: manage_table=false (a restored table) needs table_stream_label, the "
                "end of the restored table's LatestStreamArn (docs/deploy.md, 'Restore from point-in-time recovery')"
            )
        return StageSettings(
            stage=stage,
            app_name=app_name,
            api_gateway_stage=str(stage_cfg.get("api_gateway_stage") or config.get("api_gateway_stage") or "api"),
            table_name=_require(env, "TABLE_NAME", stage),
            configuration_set=_require(env, "SES_CONFIGURATION_SET", stage),
            signing_key_param=_require(env, "SIGNING_KEY_PARAM", stage),
            signing_key_previous_param=_require(env, "SIGNING_KEY_PREVIOUS_PARAM", stage),
            identity_key_param=_require(env, "IDENTITY_KEY_PARAM", stage),
            org=org,
            throttle_rate_limit=float(values["api_throttle_rate_limit"]),
            throttle_burst_limit=int(values["api_throttle_burst_limit"]),
            join_link_throttle_rate_limit=float(values["join_link_throttle_rate_limit"]),
            join_link_throttle_burst_limit=int(values["join_link_throttle_burst_limit"]),
            waf=_as_bool(values.get("waf", False)),
            waf_rate_limit=int(values["waf_rate_limit_per_5_minutes"]),
            log_retention_days=_retention(values["log_retention_days"], "log_retention_days", stage),
            access_log_retention_days=access_days,
            manage_table=manage_table,
            table_stream_label=stream_label,
            table_max_read_units=int(values["table_max_read_request_units"]),
            table_max_write_units=int(values["table_max_write_request_units"]),
            index_max_write_units=int(values["index_max_write_request_units"]),
            send_rate=float(env.get("MAX_SEND_RATE") or 14),
            alarms=alarms,
            budget=_as_bool(values.get("budget", False)),
            ses_account_alarms=_as_bool(values.get("ses_account_reputation_alarms", False)),
            bounce_rate_threshold=float(values["bounce_rate_alarm_threshold"]),
            complaint_rate_threshold=float(values["complaint_rate_alarm_threshold"]),
        )
    except KeyError as exc:
        raise ConfigError(f"infra/stages.json stage {stage!r} must set {exc.args[0]}") from None


def load_shared(
    org: OrgSettings,
    *,
    chalice_config: dict[str, Any] | None = None,
    stages_file: dict[str, Any] | None = None,
) -> SharedSettings:
    """Account-wide resources serve every deployable stage, whichever stage is being deployed:
    so they are computed from all of them (deploying dev must not remove what prod needs)."""
    config = chalice_config if chalice_config is not None else _load_json(CHALICE_CONFIG)
    infra = stages_file if stages_file is not None else _load_json(STAGES_FILE)
    stages = [load_stage(s, org, chalice_config=config, stages_file=infra) for s in DEPLOYABLE]
    subdomain = str(infra.get("shared", {}).get("mail_from_subdomain") or "").strip().lower()
    if not subdomain or "." in subdomain:
        raise ConfigError("infra/stages.json shared.mail_from_subdomain must be one DNS label, e.g. 'bounce'")
    budgets = [s.stage for s in stages if s.budget]
    if len(budgets) > 1:
        raise ConfigError(f"infra/stages.json: budget is account-wide; set it on one stage, not {budgets}")
    return SharedSettings(
        app_name=stages[0].app_name,
        org=org,
        mail_from_subdomain=subdomain,
        key_params=tuple(p for s in stages for p in s.key_params),
    )


def with_overrides(settings: StageSettings, **overrides: Any) -> StageSettings:
    """Context or test overrides (``-c waf=true``); None keeps the file's value. ``sending_enabled``
    replaces the organisation file's value for this stage (tests)."""
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "sending_enabled":
            stage = replace(settings.org_stage, sending_enabled=_as_bool(value))
            changes["org"] = replace(settings.org, stages={**settings.org.stages, settings.stage: stage})
            continue
        if key in ("waf", "manage_table", "budget"):
            value = _as_bool(value)
        changes[key] = value
    return replace(settings, **changes) if changes else settings
