"""An organisation's deployment settings: one committed file, ``deploy/<org>.json``.

Everything that differs between two organisations running mbc-connect (their domain, sender,
website, alarm mailbox, region, budget) lives in that one file, so a second volunteer deploying
from a fresh clone gets exactly what the first one deployed. ``deploy/example.org.json`` is the
committed example: every value is a placeholder.

- ``make infra-test`` synthesizes the example offline (``-c offline_check=true``): placeholders
  are allowed there and nowhere else.
- Every deploy path (``make deploy``, ``make first-deploy``, a bare ``cdk deploy``) loads the
  file without that flag and stops on the first placeholder, naming the field and the file.

Which file: ``ORG=<name>`` (``deploy/<name>.json``); without it, the one file in ``deploy/``
that is not the example. Pure standard library: the CDK app (infra/mbc_infra/settings.py) and
the deploy scripts (devtools/deploy_*.py) both read the file through this module.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parents[1]
DEPLOY_DIR = REPO_DIR / "deploy"
EXAMPLE_NAME = "example.org"
EXAMPLE_FILE = DEPLOY_DIR / f"{EXAMPLE_NAME}.json"
STAGES = ("dev", "prod")

# The SES mailbox simulator: accepts everything, delivers nothing, costs no reputation.
MAIL_SIMULATOR = "success@simulator.amazonses.com"
# The stage variables whose values belong to the organisation (this file), never to .chalice/config.json:
# OrgSettings.environment() sets them for the deployed functions and for make stage-cli.
ORG_OWNED_ENV = (
    "MAIL_FROM",
    "MAIL_REPLY_TO",
    "ORGANIZER_NOTIFY_EMAILS",
    "PUBLIC_API_URL",
    "WEBSITE_ORIGINS",
    "MAIL_REDIRECT_TO",
    "SIGNING_KEY_VERSION",
    "ORG_NAME",
    "ORG_SENDER_NAME",
    "ORG_TAGLINE",
    "ORG_WEBSITE_URL",
    "ORG_EMAIL",
    "ORG_PHONE",
    "ORG_ADDRESS",
    "ORG_LOGO_URL",
)
# The file's "organization" (the chapter members know, chalicelib/organization.py): field -> variable.
ORGANIZATION_FIELDS = {
    "name": "ORG_NAME",
    "sender_name": "ORG_SENDER_NAME",
    "tagline": "ORG_TAGLINE",
    "website_url": "ORG_WEBSITE_URL",
    "email": "ORG_EMAIL",
    "phone": "ORG_PHONE",
    "address": "ORG_ADDRESS",
    "logo_url": "ORG_LOGO_URL",
}
# The example's chapter name: a placeholder (make first-deploy puts the domain there until you name it).
EXAMPLE_ORG_NAME = "Your chapter's name"
# Reserved names (RFC 2606 and RFC 6761): an example value, never an organisation's. The second-level
# example domains and everything below them, and every name under the four reserved top-level domains.
PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net")
RESERVED_TLDS = ("test", "example", "invalid", "localhost")

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@([a-z0-9.-]+)$", re.IGNORECASE)
_REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
_ORIGIN = re.compile(r"^https://([a-z0-9.-]+)(?::\d+)?$")


class OrgError(ValueError):
    """The organisation's settings file is missing, malformed, or still holds placeholders."""


@dataclass(frozen=True)
class OrgStage:
    api_domain: str
    website_origins: tuple[str, ...]
    mail_redirect_to: str | None
    sending_enabled: bool
    signing_key_version: int

    @property
    def public_api_url(self) -> str:
        """The base of every link in an email: the custom domain, mapped to the API's stage at the root."""
        return f"https://{self.api_domain}"


@dataclass(frozen=True)
class OrgSettings:
    path: Path
    name: str
    domain: str
    region: str
    alarm_email: str
    mail_from: str
    mail_reply_to: str | None
    organizer_notify_emails: tuple[str, ...]
    monthly_budget_usd: float
    stages: dict[str, OrgStage]
    placeholders: tuple[str, ...]
    # The chapter's name, contact and logo, as the functions' ORG_* variables (only those given).
    organization: dict[str, str] = field(default_factory=dict)

    @property
    def mail_from_address(self) -> str:
        return parseaddr(self.mail_from)[1]

    @property
    def relative_path(self) -> str:
        return _relative(self.path)

    def stage(self, stage: str) -> OrgStage:
        try:
            return self.stages[stage]
        except KeyError:
            raise OrgError(f"{self.relative_path} has no stage {stage!r}") from None

    def environment(self, stage: str) -> dict[str, str]:
        """The organisation's variables for a stage's code: every deployed function gets them (infra), and
        so does the admin CLI run against the stage (make stage-cli), so both send the same way (dev: only
        to ``mail_redirect_to``)."""
        values = self.stage(stage)
        env = {
            "MAIL_FROM": self.mail_from,
            "ORGANIZER_NOTIFY_EMAILS": ",".join(self.organizer_notify_emails),
            "PUBLIC_API_URL": values.public_api_url,
            "WEBSITE_ORIGINS": ",".join(values.website_origins),
            "SIGNING_KEY_VERSION": str(values.signing_key_version),
        }
        env.update(self.organization)
        if self.mail_reply_to:
            env["MAIL_REPLY_TO"] = self.mail_reply_to
        if values.mail_redirect_to:
            env["MAIL_REDIRECT_TO"] = values.mail_redirect_to
        return env


def is_placeholder_domain(domain: str) -> bool:
    """A reserved name (RFC 2606, RFC 6761): example.com/.net/.org and below, and any name under .test,
    .example, .invalid or .localhost. Nobody can own one, so nothing real can be deployed on it."""
    domain = domain.lower().rstrip(".")
    if domain.rsplit(".", 1)[-1] in RESERVED_TLDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in PLACEHOLDER_DOMAINS)


def _placeholder_fields(data: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every string that names an example domain (``stages.prod.api_domain``)."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if not str(key).startswith("_"):
                found += _placeholder_fields(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _placeholder_fields(value, f"{prefix}{i}.")
    elif isinstance(data, str):
        hosts = re.findall(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", data.lower())
        hosts += re.findall(r"(?:^|[@/])(localhost)\b", data.lower())  # a bare `localhost` has no dot
        if any(is_placeholder_domain(h) for h in hosts):
            found.append(prefix.rstrip("."))
    return found


def _relative(path: Path) -> str:
    return str(path.relative_to(REPO_DIR)) if path.is_relative_to(REPO_DIR) else str(path)


def org_file(name: str | None = None) -> Path:
    """``deploy/<name>.json``; without a name, the one organisation file that is not the example
    (the example itself when there is none: a deploy then refuses its placeholders)."""
    if name:
        name = name.strip()
        candidate = Path(name)
        if candidate.suffix == ".json" and candidate.exists():
            return candidate.resolve()
        path = DEPLOY_DIR / f"{name.removesuffix('.json')}.json"
        if not path.exists():
            raise OrgError(
                f"ORG={name}: there is no {_relative(path)} "
                f"(make first-deploy DOMAIN=<your domain> ALARM_EMAIL=<mailbox> creates it)"
            )
        return path
    found = sorted(p for p in DEPLOY_DIR.glob("*.json") if p.name != EXAMPLE_FILE.name)
    if len(found) > 1:
        names = ", ".join(p.stem for p in found)
        raise OrgError(f"deploy/ holds settings for several organisations ({names}): choose one with ORG=<name>")
    return found[0] if found else EXAMPLE_FILE


def _email(value: Any, field: str, where: str, *, required: bool = True) -> str | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise OrgError(f"{where}: {field} is required (an email address)")
        return None
    if not _EMAIL.match(parseaddr(text)[1]):
        raise OrgError(f"{where}: {field} must be an email address, not {text!r}")
    return text


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rsplit("@", 1)[-1].lower()


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _stage(raw: Any, stage: str, domain: str, where: str) -> OrgStage:
    if not isinstance(raw, dict):
        raise OrgError(f"{where}: stages.{stage} must be an object")
    field = f"stages.{stage}"
    api_domain = str(raw.get("api_domain") or "").strip().lower().rstrip(".")
    if not _DOMAIN.match(api_domain) or not _under(api_domain, domain) or api_domain == domain:
        raise OrgError(
            f"{where}: {field}.api_domain must be a host name under {domain} such as api.{domain}, "
            f"not {api_domain or 'empty'!r}"
        )
    origins = raw.get("website_origins")
    if not isinstance(origins, list) or not origins:
        raise OrgError(f"{where}: {field}.website_origins must list the website origins, e.g. ['https://www.{domain}']")
    clean: list[str] = []
    for origin in origins:
        text = str(origin).strip().rstrip("/")
        if not _ORIGIN.match(text.lower()):
            raise OrgError(f"{where}: {field}.website_origins: {text!r} is not an https origin (scheme and host only)")
        clean.append(text)
    if "mail_redirect_to" in raw:
        redirect = _email(raw["mail_redirect_to"], f"{field}.mail_redirect_to", where, required=False)
    else:
        # dev never mails real people unless the file says so explicitly (an empty value).
        redirect = MAIL_SIMULATOR if stage == "dev" else None
    if redirect and stage == "prod":
        raise OrgError(
            f"{where}: stages.prod.mail_redirect_to would send every member's email to one address: it is for dev only"
        )
    version = raw.get("signing_key_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise OrgError(f"{where}: {field}.signing_key_version must be a whole number >= 1")
    sending = raw.get("sending_enabled", True)
    if not isinstance(sending, bool):
        raise OrgError(f"{where}: {field}.sending_enabled must be true or false")
    return OrgStage(
        api_domain=api_domain,
        website_origins=tuple(clean),
        mail_redirect_to=redirect,
        sending_enabled=sending,
        signing_key_version=version,
    )


def parse(data: dict[str, Any], path: Path) -> OrgSettings:
    """Validates the shape and values; placeholders are reported in ``placeholders``, not refused."""
    where = _relative(path)
    domain = str(data.get("domain") or "").strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise OrgError(f"{where}: domain must be your organisation's domain name (e.g. mbc-idmt.org), not {domain!r}")
    region = str(data.get("region") or "").strip()
    if not _REGION.match(region):
        raise OrgError(f"{where}: region must be an AWS region such as us-west-2, not {region!r}")
    alarm_email = _email(data.get("alarm_email"), "alarm_email", where)
    mail_from = _email(data.get("mail_from"), "mail_from", where)
    assert alarm_email is not None  # required=True
    assert mail_from is not None
    if not _under(_domain_of(mail_from), domain):
        raise OrgError(f"{where}: mail_from {mail_from!r} must be an address at {domain} (or a subdomain of it)")
    reply_to = _email(data.get("mail_reply_to"), "mail_reply_to", where, required=False)
    notify = data.get("organizer_notify_emails")
    if not isinstance(notify, list) or not notify:
        raise OrgError(f"{where}: organizer_notify_emails must list at least one address")
    notify_clean = tuple(str(_email(a, "organizer_notify_emails", where)) for a in notify)
    budget = data.get("monthly_budget_usd")
    if not isinstance(budget, int | float) or isinstance(budget, bool) or budget <= 0:
        raise OrgError(f"{where}: monthly_budget_usd must be a positive number of US dollars")
    stages_raw = data.get("stages")
    if not isinstance(stages_raw, dict) or set(stages_raw) != set(STAGES):
        raise OrgError(f"{where}: stages must have exactly {' and '.join(STAGES)}")
    stages = {stage: _stage(stages_raw[stage], stage, domain, where) for stage in STAGES}
    organization = _organization(data.get("organization"), where)
    placeholders = _placeholder_fields(data)
    if organization.get("ORG_NAME") == EXAMPLE_ORG_NAME:
        placeholders.append("organization.name")
    if stages["dev"].api_domain == stages["prod"].api_domain:
        raise OrgError(f"{where}: dev and prod need different api_domain values")
    return OrgSettings(
        path=path,
        name=path.stem,
        domain=domain,
        region=region,
        alarm_email=alarm_email,
        mail_from=mail_from,
        mail_reply_to=reply_to,
        organizer_notify_emails=notify_clean,
        monthly_budget_usd=float(budget),
        stages=stages,
        placeholders=tuple(placeholders),
        organization=organization,
    )


def _organization(raw: Any, where: str) -> dict[str, str]:
    """The "organization" object as ORG_* variables: the name is required when the object is given,
    the web addresses https, the email an address; empty values are left out (the app's defaults)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise OrgError(f"{where}: organization must be an object (name, website_url, email, phone, ...)")
    unknown = sorted(k for k in raw if not str(k).startswith("_") and k not in ORGANIZATION_FIELDS)
    if unknown:
        raise OrgError(f"{where}: organization has unknown fields: {', '.join(unknown)}")
    env: dict[str, str] = {}
    for name, variable in ORGANIZATION_FIELDS.items():
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise OrgError(f"{where}: organization.{name} must be text")
        text = " ".join((value or "").split())
        if not text:
            continue
        if name in ("website_url", "logo_url") and not text.startswith("https://"):
            raise OrgError(f"{where}: organization.{name} must be an https:// address, not {text!r}")
        if name == "email":
            _email(text, "organization.email", where)
        env[variable] = text
    if "ORG_NAME" not in env:
        raise OrgError(
            f"{where}: organization.name is required: the chapter's name members know (it signs every email)"
        )
    return env


def refuse_placeholders(org: OrgSettings) -> None:
    if not org.placeholders:
        return
    fields = ", ".join(org.placeholders)
    raise OrgError(
        f"{org.relative_path} still holds example placeholders in: {fields}. "
        "Deploying them would point email links, the sender and the SES identity at example domains. "
        "Put your organisation's values in deploy/<your domain>.json "
        "(make first-deploy DOMAIN=<your domain> ALARM_EMAIL=<mailbox> writes it) and deploy with ORG=<your domain>. "
        "Placeholders are accepted only by the offline check (make infra-test)."
    )


def load(name: str | None = None, *, allow_placeholders: bool = False) -> OrgSettings:
    path = org_file(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise OrgError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise OrgError(f"{path}: must hold a JSON object")
    org = parse(data, path)
    if not allow_placeholders:
        refuse_placeholders(org)
    return org


def new_org_data(domain: str, alarm_email: str, region: str | None = None) -> dict[str, Any]:
    """The example file with one organisation's domain and alarm mailbox (make first-deploy)."""
    domain = domain.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise OrgError(f"DOMAIN={domain!r} is not a domain name (e.g. mbc-idmt.org)")
    if is_placeholder_domain(domain):
        raise OrgError(
            f"DOMAIN={domain} is a reserved example name (RFC 2606/6761: .test, .example, .invalid, .localhost, "
            "example.com/.net/.org): nobody can own it. Use your organisation's domain."
        )
    data: dict[str, Any] = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
    text = json.dumps(data).replace(EXAMPLE_NAME, domain)
    data = json.loads(text)
    data["_about"] = (
        f"Deployment settings of {domain} (docs/deploy.md, 'Your settings file'). Commit this file: "
        "every deploy reads it."
    )
    organization = data.get("organization")
    if isinstance(organization, dict) and organization.get("name") == EXAMPLE_ORG_NAME:
        organization["name"] = domain  # until you write your chapter's name here (docs/deploy.md)
    data["alarm_email"] = alarm_email.strip()
    # A mailbox that surely exists (it confirms the alarm subscription): notices to a missing one would bounce.
    data["organizer_notify_emails"] = [alarm_email.strip()]
    if region:
        data["region"] = region
    parse(data, DEPLOY_DIR / f"{domain}.json")  # refuses a bad alarm address before anything is written
    return data
