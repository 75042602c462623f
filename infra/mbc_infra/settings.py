"""Stage values from one place.

- ``.chalice/config.json`` (shared with the app): app name, API Gateway stage, and the
  stage environment the Lambda functions get: ``TABLE_NAME``, ``SES_CONFIGURATION_SET``,
  ``SIGNING_KEY_PARAM``, ``MAIL_FROM``. Infra reads them; it never restates them.
- ``infra/stages.json``: values only infra needs (throttling, WAF, log retention, alarm
  thresholds, whether the stack owns the table).
- ``chalicelib/table.py``: the table design (read in stage_stack.py).

CDK context (``cdk synth -c key=value``) may override a few of them: ``stage``/``stages``
(which stage stacks to build), ``waf`` (true/false), ``mail_domain``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class StageSettings:
    stage: str
    app_name: str
    api_gateway_stage: str
    # From .chalice/config.json (what the functions are told).
    table_name: str
    configuration_set: str
    signing_key_param: str
    mail_from_address: str
    mail_domain: str
    # From infra/stages.json.
    throttle_rate_limit: float
    throttle_burst_limit: int
    waf: bool
    waf_rate_limit: int
    log_retention_days: int
    access_log_retention_days: int
    manage_table: bool
    ses_account_alarms: bool
    bounce_rate_threshold: float
    complaint_rate_threshold: float

    @property
    def stack_name(self) -> str:
        return f"{self.app_name}-{self.stage}"

    @property
    def ses_events_topic_name(self) -> str:
        return f"{self.app_name}-{self.stage}-ses-events"

    @property
    def alarm_topic_name(self) -> str:
        return f"{self.app_name}-{self.stage}-alarms"

    @property
    def signing_key_param_name(self) -> str:
        """The parameter name without its leading slash, as an ARN's resource part wants it."""
        return self.signing_key_param.lstrip("/")

    def function_name(self, python_name: str) -> str:
        return f"{self.app_name}-{self.stage}-{python_name}"


@dataclass(frozen=True)
class SharedSettings:
    app_name: str
    mail_domains: tuple[str, ...]
    mail_from_subdomain: str

    @property
    def stack_name(self) -> str:
        return f"{self.app_name}-shared"


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


def _domain_of(address: str, stage: str) -> str:
    _, email = parseaddr(address)
    if "@" not in email:
        raise ConfigError(f"MAIL_FROM of stage {stage!r} has no email address: {address!r}")
    return email.rsplit("@", 1)[1].lower()


def _retention(value: Any, key: str, stage: str) -> int:
    if value not in RETENTION_DAYS:
        raise ConfigError(f"infra/stages.json {stage}.{key}={value!r} is not a CloudWatch retention period")
    return int(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _covers(identity_domain: str, sender_domain: str) -> bool:
    return sender_domain == identity_domain or sender_domain.endswith("." + identity_domain)


def load_stage(
    stage: str,
    *,
    chalice_config: dict[str, Any] | None = None,
    stages_file: dict[str, Any] | None = None,
    mail_domain: str | None = None,
) -> StageSettings:
    if stage not in DEPLOYABLE:
        raise ConfigError(f"stage must be one of {', '.join(DEPLOYABLE)}, not {stage!r}")
    config = chalice_config if chalice_config is not None else _load_json(CHALICE_CONFIG)
    infra = stages_file if stages_file is not None else _load_json(STAGES_FILE)
    env = _stage_environment(config, stage)
    values = infra.get("stages", {}).get(stage)
    if not isinstance(values, dict):
        raise ConfigError(f"infra/stages.json has no stage {stage!r}")
    app_name = str(config.get("app_name") or "")
    if not app_name:
        raise ConfigError(".chalice/config.json must set app_name")
    stage_cfg = config["stages"][stage]
    mail_from = _require(env, "MAIL_FROM", stage)
    sender_domain = _domain_of(mail_from, stage)
    domain = (mail_domain or sender_domain).strip().lower()
    if not _covers(domain, sender_domain):
        raise ConfigError(
            f"MAIL_FROM domain {sender_domain!r} of stage {stage!r} is not covered by identity {domain!r}"
        )
    try:
        return StageSettings(
            stage=stage,
            app_name=app_name,
            api_gateway_stage=str(stage_cfg.get("api_gateway_stage") or config.get("api_gateway_stage") or "api"),
            table_name=_require(env, "TABLE_NAME", stage),
            configuration_set=_require(env, "SES_CONFIGURATION_SET", stage),
            signing_key_param=_require(env, "SIGNING_KEY_PARAM", stage),
            mail_from_address=parseaddr(mail_from)[1],
            mail_domain=domain,
            throttle_rate_limit=float(values["api_throttle_rate_limit"]),
            throttle_burst_limit=int(values["api_throttle_burst_limit"]),
            waf=_as_bool(values.get("waf", False)),
            waf_rate_limit=int(values["waf_rate_limit_per_5_minutes"]),
            log_retention_days=_retention(values["log_retention_days"], "log_retention_days", stage),
            access_log_retention_days=_retention(
                values["access_log_retention_days"], "access_log_retention_days", stage
            ),
            manage_table=_as_bool(values.get("manage_table", True)),
            ses_account_alarms=_as_bool(values.get("ses_account_reputation_alarms", False)),
            bounce_rate_threshold=float(values["bounce_rate_alarm_threshold"]),
            complaint_rate_threshold=float(values["complaint_rate_alarm_threshold"]),
        )
    except KeyError as exc:
        raise ConfigError(f"infra/stages.json stage {stage!r} must set {exc.args[0]}") from None


def load_shared(
    *,
    chalice_config: dict[str, Any] | None = None,
    stages_file: dict[str, Any] | None = None,
    mail_domain: str | None = None,
) -> SharedSettings:
    """Account-wide resources serve every deployable stage, whichever stage is being deployed:
    so they are computed from all of them (deploying dev must not remove what prod needs)."""
    config = chalice_config if chalice_config is not None else _load_json(CHALICE_CONFIG)
    infra = stages_file if stages_file is not None else _load_json(STAGES_FILE)
    stages = [load_stage(s, chalice_config=config, stages_file=infra, mail_domain=mail_domain) for s in DEPLOYABLE]
    subdomain = str(infra.get("shared", {}).get("mail_from_subdomain") or "").strip().lower()
    if not subdomain or "." in subdomain:
        raise ConfigError("infra/stages.json shared.mail_from_subdomain must be one DNS label, e.g. 'bounce'")
    return SharedSettings(
        app_name=stages[0].app_name,
        mail_domains=tuple(sorted({s.mail_domain for s in stages})),
        mail_from_subdomain=subdomain,
    )


def with_overrides(settings: StageSettings, *, waf: Any = None, manage_table: Any = None) -> StageSettings:
    """Context overrides (``-c waf=true``); None keeps the file's value."""
    changes: dict[str, Any] = {}
    if waf is not None:
        changes["waf"] = _as_bool(waf)
    if manage_table is not None:
        changes["manage_table"] = _as_bool(manage_table)
    return replace(settings, **changes) if changes else settings
