"""The stage's secret keys (SSM SecureStrings), their escrow and the signing key's rotation.

    make keys-create STAGE=dev            # missing keys only (make deploy does it too)
    make keys-escrow STAGE=prod           # shows the values once, for the password manager
    make rotate-signing-key STAGE=prod    # new signing key; the old one stays valid (grace period)
    make rotate-signing-key STAGE=prod NO_GRACE=1   # after a leak: old links stop working at once
    make retire-previous-signing-key STAGE=prod     # ends the grace period
    make keys-restore STAGE=prod          # puts escrowed values back (after a deletion or a new account), redeploys

Parameters (from .chalice/config.json): ``/mbc-connect/<stage>/signing-key`` signs email links and
cursors; ``/mbc-connect/<stage>/signing-key-previous`` (optional) is still accepted after a rotation;
``/mbc-connect/<stage>/identity-key`` keys the address hashes (suppression list, signup ids) and is
never rotated. Changes go through the ``mbc-connect-key-admin`` role (the key guard denies everyone
else), and a rotation or a restore bumps ``signing_key_version`` in deploy/<org>.json and redeploys,
which restarts every warm Lambda container so none keeps signing with the old key.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from devtools.deploy_common import (
    Aws,
    StageNames,
    connect,
    ensure_keys,
    fail,
    heading,
    key_admin_session,
    load_org,
    new_key,
    parameter_exists,
    put_key,
    say,
    set_org_value,
    stage_names,
)
from devtools.deploy_settings import OrgSettings

# Unsubscribe and erase links in old emails stay valid this long (chalicelib/signing.py TOKEN_MAX_AGE):
# a routine rotation keeps the previous key at least this long.
LONGEST_LINK_DAYS = 400


def _value(aws: Aws, name: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
    except ClientError as exc:
        if "ParameterNotFound" in str(exc):
            return None
        raise


def create(aws: Aws, names: StageNames) -> None:
    created = ensure_keys(aws, names)
    for name in created:
        say("OK", f"created {name}")
    if not created:
        say("OK", "both keys exist already (never overwritten)")
    else:
        print(f"\nEscrow them now: make keys-escrow STAGE={names.stage}")


def escrow(aws: Aws, names: StageNames) -> None:
    if sys.stdout.isatty():
        input("The key values will be shown on screen. Make sure nobody is watching, then press Enter. ")
    heading(f"Keys of {names.stage}: copy each into the password manager entry 'mbc-connect {names.stage} keys'")
    for name in (names.signing_key, names.identity_key, names.signing_key_previous):
        value = _value(aws, name)
        if value is None:
            if name != names.signing_key_previous:
                say("FAIL", f"{name} is missing")
            continue
        print(f"  {name}\n      {value}")
    print(
        "\nThen clear the terminal (and its scrollback). Restore with: "
        f"make keys-restore STAGE={names.stage} (docs/deploy.md, step 5)."
    )


def _deploy(org: OrgSettings, stage: str) -> None:
    from devtools.deploy_cdk import deploy

    deploy(org.name, stage, waf=None)


def rotate(org: OrgSettings, aws: Aws, names: StageNames, *, grace: bool) -> None:
    admin = key_admin_session(aws)
    current = _value(admin, names.signing_key)
    if current is None:
        fail(f"{names.signing_key} does not exist: nothing to rotate (make keys-create STAGE={names.stage})")
    heading(f"Rotating the signing key of {names.stage}")
    if grace:
        put_key(admin, names.signing_key_previous, current, overwrite=True, description="previous signing key")
        say("OK", f"{names.signing_key_previous} = the old key (links signed with it keep working)")
    elif parameter_exists(admin.client("ssm"), names.signing_key_previous):
        admin.client("ssm").delete_parameter(Name=names.signing_key_previous)
        say("OK", f"deleted {names.signing_key_previous}: no grace period (old links stop working)")
    put_key(admin, names.signing_key, new_key(), overwrite=True, description="token signing key")
    say("OK", f"{names.signing_key} = a new key")
    _bump_and_deploy(org, names.stage)
    print(
        f"\nDone. Escrow the new key: make keys-escrow STAGE={names.stage}. "
        + (
            f"Retire the old one after {LONGEST_LINK_DAYS} days (the longest link lifetime): "
            f"make retire-previous-signing-key STAGE={names.stage}"
            if grace
            else ""
        )
    )


def retire_previous(org: OrgSettings, aws: Aws, names: StageNames) -> None:
    admin = key_admin_session(aws)
    if not parameter_exists(admin.client("ssm"), names.signing_key_previous):
        say("OK", f"{names.signing_key_previous} does not exist: nothing to retire")
        return
    admin.client("ssm").delete_parameter(Name=names.signing_key_previous)
    say("OK", f"deleted {names.signing_key_previous}")
    _bump_and_deploy(org, names.stage)


def _bump_and_deploy(org: OrgSettings, stage: str) -> None:
    version = org.stage(stage).signing_key_version + 1
    set_org_value(org, stage, "signing_key_version", version)
    say("OK", f"{org.relative_path}: stages.{stage}.signing_key_version = {version} (commit this change)")
    heading("Redeploying, so every warm Lambda container reloads the keys")
    _deploy(org, stage)


def restore(org: OrgSettings, aws: Aws, names: StageNames) -> list[str]:
    """Puts escrowed values back, then restarts every warm container (version bump + deploy): a plain
    redeploy would leave them on the values they read at start. Returns the restored names."""
    admin = key_admin_session(aws)
    heading(f"Restoring the keys of {names.stage} from escrow (input is not shown)")
    restored = []
    for name in (names.signing_key, names.identity_key, names.signing_key_previous):
        value = getpass.getpass(f"  {name} (Enter to keep what is there): ").strip()
        if not value:
            continue
        if len(value) < 32:
            fail(f"{name}: that is too short to be one of these keys")
        put_key(admin, name, value, overwrite=True, description="restored from escrow")
        say("OK", f"{name} restored")
        restored.append(name)
    if restored:
        _bump_and_deploy(org, names.stage)
    else:
        say("OK", "nothing restored")
    return restored


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("create", "escrow", "rotate", "retire-previous", "restore"))
    parser.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
    parser.add_argument("--stage", required=True, choices=("dev", "prod"))
    parser.add_argument("--no-grace", action="store_true", help="rotate after a leak: old links stop at once")
    args = parser.parse_args(argv)
    org = load_org(args.org)
    aws = connect(org)
    names = stage_names(args.stage)
    if args.command == "create":
        create(aws, names)
    elif args.command == "escrow":
        escrow(aws, names)
    elif args.command == "rotate":
        rotate(org, aws, names, grace=not args.no_grace)
    elif args.command == "retire-previous":
        retire_previous(org, aws, names)
    else:
        restore(org, aws, names)


if __name__ == "__main__":
    main()
