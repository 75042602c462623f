"""Typed stage settings, read once per container from the environment.

Every value comes from `.chalice/config.json` (per stage) or, for `make run`
and the tests, from variables the dev tools export. Nothing here talks to AWS.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip().rstrip("/") for part in (value or "").split(",") if part.strip())


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: str = "dev"
    table_name: str = "mbc-connect-dev"
    aws_region: str = "us-west-2"
    # Set only for DynamoDB Local; unset in AWS.
    dynamodb_endpoint: str | None = None
    # Where the signing key lives: an SSM SecureString in AWS, a generated file locally.
    signing_key_param: str | None = None
    local_state_dir: str = ".local"
    mail_backend: Literal["ses", "outbox"] = "outbox"
    outbox_dir: str = ".local/outbox"
    mail_from: str = "MBC Connect <no-reply@example.org>"
    mail_reply_to: str | None = None
    ses_configuration_set: str | None = None
    organizer_notify_emails: tuple[str, ...] = ()
    public_api_url: str = "http://127.0.0.1:8000"
    website_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    signup_limit_per_ip_per_hour: int = Field(default=20, ge=1)
    signup_emails_per_address_per_day: int = Field(default=5, ge=1)
    signup_email_min_interval_seconds: int = Field(default=600, ge=0)
    max_send_rate: float = Field(default=14.0, gt=0)

    @property
    def signing_key_file(self) -> str:
        return os.path.join(self.local_state_dir, "signing-key")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        simple = {
            "stage": "STAGE",
            "table_name": "TABLE_NAME",
            "aws_region": "AWS_REGION",
            "dynamodb_endpoint": "DYNAMODB_ENDPOINT",
            "signing_key_param": "SIGNING_KEY_PARAM",
            "local_state_dir": "LOCAL_STATE_DIR",
            "mail_backend": "MAIL_BACKEND",
            "outbox_dir": "OUTBOX_DIR",
            "mail_from": "MAIL_FROM",
            "mail_reply_to": "MAIL_REPLY_TO",
            "ses_configuration_set": "SES_CONFIGURATION_SET",
            "public_api_url": "PUBLIC_API_URL",
            "log_level": "LOG_LEVEL",
            "signup_limit_per_ip_per_hour": "SIGNUP_LIMIT_PER_IP_PER_HOUR",
            "signup_emails_per_address_per_day": "SIGNUP_EMAILS_PER_ADDRESS_PER_DAY",
            "signup_email_min_interval_seconds": "SIGNUP_EMAIL_MIN_INTERVAL_SECONDS",
            "max_send_rate": "MAX_SEND_RATE",
        }
        for field, var in simple.items():
            if env.get(var):
                values[field] = env[var]
        if "OUTBOX_DIR" not in env and "LOCAL_STATE_DIR" in env:
            values["outbox_dir"] = os.path.join(env["LOCAL_STATE_DIR"], "outbox")
        values["website_origins"] = _csv(env.get("WEBSITE_ORIGINS"))
        values["organizer_notify_emails"] = _csv(env.get("ORGANIZER_NOTIFY_EMAILS"))
        if isinstance(values.get("public_api_url"), str):
            values["public_api_url"] = str(values["public_api_url"]).rstrip("/")
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
