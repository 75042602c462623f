"""What the deploy scripts share: the organisation's settings, AWS sessions with plain-language
errors, the CDK command line, stack outputs, and the key parameters.

The scripts (devtools/deploy_*.py) run in infra/.venv (make infra-setup), which has boto3, the
CDK and the app's requirements. Nothing here runs at import time except the standard library.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from devtools import deploy_settings
from devtools.deploy_settings import OrgError, OrgSettings

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
APP_NAME = "mbc-connect"
STAGES = deploy_settings.STAGES
KEY_ADMIN_ROLE = f"{APP_NAME}-key-admin"
KEY_GUARD_POLICY = f"{APP_NAME}-protect-keys"
OPERATOR_ROLE = f"{APP_NAME}-operator"
CDK_TOOLKIT_STACK = "CDKToolkit"
SHARED_STACK = f"{APP_NAME}-shared"


class DeployError(Exception):
    """A check failed: the message says what to do, in plain language."""


def fail(message: str, code: int = 2) -> NoReturn:
    print(f"\nSTOPPED: {message}", file=sys.stderr)
    raise SystemExit(code)


def say(status: str, text: str) -> None:
    """One result line: ``OK``, ``WARN``, ``FAIL``, ``TODO`` or ``..`` (in progress)."""
    print(f"  [{status:>4}] {text}", flush=True)


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


# ------------------------------------------------------------------ settings


def load_org(name: str | None, *, domain: str | None = None) -> OrgSettings:
    try:
        org = deploy_settings.load(name or os.environ.get("ORG") or None)
    except OrgError as exc:
        fail(str(exc))
    if domain and domain.strip().lower().rstrip(".") != org.domain:
        fail(
            f"DOMAIN={domain} but {org.relative_path} is for {org.domain}. Use ORG=<name> to pick another "
            "organisation file, or leave DOMAIN out."
        )
    return org


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's variables from .chalice/config.json (Chalice's merge: top level, then the stage)."""
    config = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return {k: str(v) for k, v in env.items()}


@dataclass(frozen=True)
class StageNames:
    stage: str
    stack: str
    data_stack: str
    cert_stack: str
    table: str
    configuration_set: str
    signing_key: str
    signing_key_previous: str
    identity_key: str
    failed_events_queue: str
    alarm_prefix: str

    @property
    def stacks(self) -> tuple[str, str, str]:
        """The stage's stacks in the order a first deploy creates them: the table, the certificate, the app."""
        return (self.data_stack, self.cert_stack, self.stack)

    @property
    def required_keys(self) -> tuple[str, str]:
        return (self.signing_key, self.identity_key)


def stage_names(stage: str) -> StageNames:
    if stage not in STAGES:
        fail(f"STAGE must be one of {', '.join(STAGES)}, not {stage!r}")
    env = stage_environment(stage)
    return StageNames(
        stage=stage,
        stack=f"{APP_NAME}-{stage}",
        data_stack=f"{APP_NAME}-{stage}-data",
        cert_stack=f"{APP_NAME}-{stage}-cert",
        table=env["TABLE_NAME"],
        configuration_set=env["SES_CONFIGURATION_SET"],
        signing_key=env["SIGNING_KEY_PARAM"],
        signing_key_previous=env["SIGNING_KEY_PREVIOUS_PARAM"],
        identity_key=env["IDENTITY_KEY_PARAM"],
        failed_events_queue=f"{APP_NAME}-{stage}-failed-events",
        alarm_prefix=f"{APP_NAME}-{stage}-",
    )


def set_org_value(org: OrgSettings, stage: str, key: str, value: Any) -> None:
    """Changes one stage value in deploy/<org>.json, keeping the file's layout (2-space JSON)."""
    data = json.loads(org.path.read_text(encoding="utf-8"))
    data["stages"][stage][key] = value
    org.path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ AWS


@dataclass
class Aws:
    """A boto3 session in the organisation's region, with the caller's identity checked."""

    session: Any
    region: str
    account: str
    caller_arn: str

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region_name=region or self.region)


def explain_aws_error(exc: BaseException) -> str:
    """A plain-language sentence for the errors a volunteer meets first."""
    name = type(exc).__name__
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    if name == "NoCredentialsError":
        return (
            "No AWS credentials found. Log in first: `aws configure sso` once, then `aws sso login` "
            "(or set AWS_PROFILE to a configured profile) in this terminal, and check with "
            "`aws sts get-caller-identity`. docs/deploy.md, step 1."
        )
    if name in ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError"):
        return "Your AWS single sign-on session has expired or is missing: run `aws sso login` and try again."
    if name == "ProfileNotFound":
        return f"AWS_PROFILE names a profile that does not exist ({exc}). Check `aws configure list-profiles`."
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return "Your AWS credentials have expired: log in again (`aws sso login`) and retry."
    if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"):
        return "AWS does not accept these credentials (wrong or deleted access key). Log in again."
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError"):
        return f"Cannot reach AWS from this machine ({exc}). Check the network connection."
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return f"AWS refused this for your login ({code}): {exc}. Deploying needs administrator rights."
    return f"{name}: {exc}"


def connect(org: OrgSettings, *, profile: str | None = None) -> Aws:
    """A session in the organisation's region; fails early and clearly without usable credentials."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        fail("boto3 is missing: run `make infra-setup` and use infra/.venv/bin/python (the make targets do).")
    shell_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    try:
        session = boto3.Session(profile_name=profile or None, region_name=org.region)
        identity = session.client("sts", region_name=org.region).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        fail(explain_aws_error(exc))
    if shell_region and shell_region != org.region:
        say(
            "WARN",
            f"your shell says AWS_REGION={shell_region}; {org.relative_path} says {org.region}, which these "
            f"commands use. Run `export AWS_REGION={org.region}` before the aws commands in docs/deploy.md.",
        )
    return Aws(session=session, region=org.region, account=str(identity["Account"]), caller_arn=identity["Arn"])


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def stack_outputs(aws: Aws, stack: str) -> dict[str, str] | None:
    """The stack's outputs, or None if the stack does not exist."""
    from botocore.exceptions import ClientError

    try:
        stacks = aws.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def stack_status(aws: Aws, stack: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(aws.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


# ------------------------------------------------------------------ keys (SSM SecureStrings)


def new_key() -> str:
    return secrets.token_urlsafe(48)


def parameter_exists(ssm: Any, name: str) -> bool:
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])
    return bool(found.get("Parameters"))


def key_admin_session(aws: Aws) -> Aws:
    """The key-admin role (shared stack): the one principal the key guard lets change the keys."""
    return role_session(aws, KEY_ADMIN_ROLE, "mbc-connect-keys")


def role_session(aws: Aws, role_name: str, session_name: str) -> Aws:
    """A session as one of the shared stack's roles (key-admin, operator)."""
    import boto3

    partition = aws.caller_arn.split(":")[1]
    role_arn = f"arn:{partition}:iam::{aws.account}:role/{role_name}"

    try:
        creds = aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    except Exception as exc:
        raise DeployError(
            f"could not assume {role_name} ({explain_aws_error(exc)}). It is created by the shared stack: "
            "deploy first (make first-deploy or make deploy)."
        ) from exc
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=aws.region,
    )
    return Aws(session=session, region=aws.region, account=aws.account, caller_arn=role_arn)


def put_key(aws: Aws, name: str, value: str, *, overwrite: bool, description: str) -> None:
    """Writes a SecureString. With the key guard attached to your login this works only through the
    key-admin role, so a refusal is retried once through it."""
    from botocore.exceptions import ClientError

    kwargs: dict[str, Any] = {"Name": name, "Value": value, "Type": "SecureString", "Overwrite": overwrite}
    if not overwrite:
        kwargs["Description"] = description
    try:
        aws.client("ssm").put_parameter(**kwargs)
    except ClientError as exc:
        if error_code(exc) not in ("AccessDeniedException", "AccessDenied"):
            raise
        key_admin_session(aws).client("ssm").put_parameter(**kwargs)


def ensure_keys(aws: Aws, names: StageNames) -> list[str]:
    """Creates the signing and identity keys of a stage if missing (never overwrites). Returns the created."""
    ssm = aws.client("ssm")
    created = []
    for name, what in (
        (names.signing_key, f"mbc-connect {names.stage} token signing key (rotate with make rotate-signing-key)"),
        (names.identity_key, f"mbc-connect {names.stage} identity key for address hashes (never rotate)"),
    ):
        if parameter_exists(ssm, name):
            continue
        put_key(aws, name, new_key(), overwrite=False, description=what)
        created.append(name)
    return created


# ------------------------------------------------------------------ the CDK command line


def cdk_env(org: OrgSettings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AWS_REGION": org.region,
            "AWS_DEFAULT_REGION": org.region,
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "ORG": org.name,
        }
    )
    return env


def cdk_command(org: OrgSettings, verb: str, *args: str, stage: str | None = None) -> list[str]:
    if not CDK.exists():
        fail("the CDK command line is missing: run `make setup` (it installs node_modules).")
    command = [str(CDK), verb, "--no-notices", "-c", f"org={org.name}"]
    if stage:
        command += ["-c", f"stage={stage}"]
    return [*command, *args]


def run_cdk(org: OrgSettings, verb: str, *args: str, stage: str | None = None, clean: bool = True) -> int:
    if clean:
        for name in ("cdk.out", "chalice.out"):
            subprocess.run(["rm", "-rf", str(INFRA / name)], check=True)
    command = cdk_command(org, verb, *args, stage=stage)
    print("$ cdk " + " ".join(command[1:]), flush=True)
    return subprocess.call(command, cwd=INFRA, env=cdk_env(org))


@contextmanager
def watch_certificate(aws: Aws, domain: str) -> Iterator[None]:
    """While a deploy runs, print the DNS record that validates the API certificate as soon as ACM
    has one: CloudFormation waits for the certificate until that record exists."""
    stop = threading.Event()
    shown: set[str] = set()

    def poll() -> None:
        acm = aws.client("acm")
        while not stop.wait(15):
            try:
                for record in certificate_validation_records(acm, domain, pending_only=True):
                    if record not in shown:
                        shown.add(record)
                        print(
                            "\n>>> ACTION NEEDED while the deploy waits: add this DNS record for the API certificate\n"
                            f">>>   {record}\n"
                            ">>> The deploy continues by itself a few minutes after the record is visible.\n"
                            ">>> Cannot add it now? Ctrl-C, then: make abandon-first-deploy DOMAIN=<your domain>\n"
                            ">>> (Ctrl-C alone leaves CloudFormation waiting for hours; docs/deploy.md, step 3).\n",
                            flush=True,
                        )
            except Exception as exc:  # the watcher must never break the deploy
                print(f"(certificate watcher: {type(exc).__name__})", file=sys.stderr)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def certificate_validation_records(acm: Any, domain: str, *, pending_only: bool = False) -> list[str]:
    statuses = ["PENDING_VALIDATION"] if pending_only else ["PENDING_VALIDATION", "ISSUED"]
    records = []
    pages = acm.get_paginator("list_certificates").paginate(CertificateStatuses=statuses)
    for page in pages:
        for summary in page.get("CertificateSummaryList", []):
            if summary.get("DomainName") != domain:
                continue
            cert = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
            for option in cert.get("DomainValidationOptions", []):
                rr = option.get("ResourceRecord")
                if rr:
                    records.append(f"{rr['Name']} {rr['Type']} {rr['Value']}")
    return records


def certificate_status(acm: Any, domain: str) -> str | None:
    best = None
    for page in acm.get_paginator("list_certificates").paginate():
        for summary in page.get("CertificateSummaryList", []):
            if summary.get("DomainName") == domain:
                status = summary.get("Status")
                if status == "ISSUED":
                    return "ISSUED"
                best = status
    return best


def dns_records(aws: Aws, org: OrgSettings, stages: Sequence[str]) -> list[tuple[str, str]]:
    """(what, record) for every DNS record the installation needs, from the stacks' outputs."""
    out: list[tuple[str, str]] = []
    shared = stack_outputs(aws, f"{APP_NAME}-shared") or {}
    for key, value in sorted(shared.items()):
        if "DkimCname" in key:
            out.append(("DKIM (CNAME)", value))
        elif key.endswith("MailFromMx"):
            out.append(("bounces: MAIL FROM (MX)", value))
        elif key.endswith("MailFromSpf"):
            out.append(("SPF for MAIL FROM (TXT)", value))
        elif key.endswith("Dmarc"):
            out.append(("DMARC (TXT; add rua=mailto:<a mailbox you read>)", value))
    acm = aws.client("acm")
    for stage in stages:
        outputs = stack_outputs(aws, f"{APP_NAME}-{stage}") or {}
        if "ApiDomainDnsRecord" in outputs:
            out.append((f"{stage} API address (CNAME)", outputs["ApiDomainDnsRecord"]))
        for record in certificate_validation_records(acm, org.stage(stage).api_domain):
            out.append((f"{stage} API certificate validation (CNAME; keep it: ACM renews with it)", record))
    return out
