"""Typed stage settings, read once per container from the environment.

Every value comes from `.chalice/config.json` (per stage) or, for `make run` and the tests,
from variables the dev tools export. Nothing here talks to AWS.

A plain frozen dataclass on purpose: every request reads settings, and importing pydantic
only for these few fields would cost a cold start ~30 ms before the first byte.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

MAIL_BACKENDS = ("ses", "outbox")


class SettingsError(ValueError):
    """A stage variable is missing its meaning: fail the deployment loudly, not a request quietly."""


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip().rstrip("/") for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    stage: str = "dev"
    table_name: str = "mbc-connect-dev"
    aws_region: str = "us-west-2"
    # Set only for DynamoDB Local; unset in AWS.
    dynamodb_endpoint: str | None = None
    # Where the signing key lives: an SSM SecureString in AWS, a generated file locally.
    signing_key_param: str | None = None
    # Optional: the key before the last rotation (tokens it signed are still accepted).
    signing_key_previous_param: str | None = None
    # The stable secret behind the hashes of email addresses (never rotated).
    identity_key_param: str | None = None
    local_state_dir: str = ".local"
    mail_backend: str = "outbox"
    outbox_dir: str = ".local/outbox"
    # The sender's address; its display name, if it has one, wins over ORG_SENDER_NAME/ORG_NAME.
    mail_from: str = "no-reply@example.org"
    mail_reply_to: str | None = None
    # Dev stages: deliver every message to this one address instead of its recipient.
    mail_redirect_to: str | None = None
    ses_configuration_set: str | None = None
    organizer_notify_emails: tuple[str, ...] = ()
    public_api_url: str = "http://127.0.0.1:8000"
    website_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    signup_limit_per_ip_per_hour: int = 20
    signup_emails_per_address_per_day: int = 5
    signup_email_min_interval_seconds: int = 600
    # The sending budget (chalicelib/mail/budget.py): the account's SES rate (GetAccount) times
    # SEND_RATE_SHARE, never above MAX_SEND_RATE (the cap the table's write ceilings are sized for).
    max_send_rate: float = 14.0
    # The chapter members know and trust (chalicelib/organization.py): named in every email's
    # signature and footer, every member page's title and the website widget. Deployed stages take
    # them from deploy/<org>.json's "organization" (docs/deploy.md); these defaults are for make run.
    org_name: str = "Gem State & Big Sky MBC Network"
    # The From name of every email (unset: the organization's name).
    org_sender_name: str | None = None
    org_tagline: str = "Support for people living with metastatic breast cancer in Idaho and Montana"
    # The chapter's own website (unset: the first of WEBSITE_ORIGINS).
    org_website_url: str | None = None
    # How to reach the chapter (unset email: MAIL_REPLY_TO or MAIL_FROM's address).
    org_email: str | None = None
    org_phone: str | None = None
    org_address: str | None = None
    # An https image shown at the top of emails and member pages (unset: none).
    org_logo_url: str | None = None
    # The budget's headroom under the account's rate: half of it lets a late thread catch up, half
    # covers the jitter between a send's moment and SES counting it (chalicelib/mail/budget.py
    # slack_us; docs/operations.md "One sending budget" says why 0.99 and not 0.97 or 1).
    send_rate_share: float = 0.99

    def __post_init__(self) -> None:
        if self.mail_backend not in MAIL_BACKENDS:
            raise SettingsError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}")
        for name in ("signup_limit_per_ip_per_hour", "signup_emails_per_address_per_day"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name.upper()} must be at least 1")
        if self.signup_email_min_interval_seconds < 0:
            raise SettingsError("SIGNUP_EMAIL_MIN_INTERVAL_SECONDS must not be negative")
        if self.max_send_rate <= 0:
            raise SettingsError("MAX_SEND_RATE must be positive")
        if not self.org_name.strip():
            raise SettingsError("ORG_NAME must name the organization")
        for name in ("org_website_url", "org_logo_url"):
            value = getattr(self, name)
            if value and not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
                raise SettingsError(f"{name.upper()} must be an https address")
        if not 0 < self.send_rate_share <= 1:
            raise SettingsError("SEND_RATE_SHARE must be above 0 and at most 1")

    @property
    def signing_key_file(self) -> str:
        return os.path.join(self.local_state_dir, "signing-key")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, kind in types.items():
            raw = env.get(name.upper())
            if not raw:
                continue
            try:
                if kind == "int":
                    values[name] = int(raw)
                elif kind == "float":
                    values[name] = float(raw)
                elif kind == "tuple[str, ...]":
                    values[name] = _csv(raw)
                else:
                    values[name] = raw
            except ValueError:
                raise SettingsError(f"{name.upper()} must be a number, not {raw!r}") from None
        if "outbox_dir" not in values and "local_state_dir" in values:
            values["outbox_dir"] = os.path.join(values["local_state_dir"], "outbox")
        if "public_api_url" in values:
            values["public_api_url"] = values["public_api_url"].rstrip("/")
        return cls(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
