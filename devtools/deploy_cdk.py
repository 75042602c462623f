"""The CDK steps with the organisation's settings: synth, deploy, diff, and an offline diff
against a synthesized baseline.

    make synth [ORG=...] [STAGE=prod]      # offline: your organisation's templates, checked by cdk-nag
    make deploy STAGE=dev|prod [ORG=...]   # preflight, missing keys created, cdk deploy (shared first)
    make diff STAGE=prod                   # what a deploy would change in AWS (needs credentials)
    make infra-diff-baseline BASE=v1.2 STAGE=prod   # offline: this tree vs another git ref, both synthesized

Every command takes the region from deploy/<org>.json (exported as AWS_REGION for the CDK).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from devtools.deploy_common import (
    INFRA,
    ROOT,
    Aws,
    cdk_command,
    cdk_env,
    ensure_keys,
    fail,
    heading,
    load_org,
    run_cdk,
    say,
    stage_names,
    watch_certificate,
)
from devtools.deploy_settings import EXAMPLE_NAME, OrgSettings


def _offline_flags(org: OrgSettings) -> list[str]:
    # The example's placeholders may be synthesized (never deployed: deploy loads without this flag).
    return ["-c", "offline_check=true"] if org.name == EXAMPLE_NAME else []


def _manages_table(stage: str) -> bool:
    """infra/stages.json: false after a point-in-time restore (the restored table belongs to no stack)."""
    stages = json.loads((INFRA / "stages.json").read_text(encoding="utf-8"))["stages"]
    return str(stages[stage].get("manage_table", True)).lower() not in ("false", "0", "no")


def synth(org_name: str | None, stage: str | None) -> int:
    from devtools import deploy_settings

    org = deploy_settings.load(org_name, allow_placeholders=True)
    if org.name != EXAMPLE_NAME:
        org = load_org(org.name)  # real organisations: placeholders refused here too
    code = run_cdk(org, "synth", "--quiet", "--strict", *_offline_flags(org), stage=stage)
    if code == 0:
        print(f"\nSynthesized {org.relative_path} into infra/cdk.out/ (cdk-nag found nothing).")
    return code


def deploy(
    org_name: str | None,
    stage: str,
    *,
    waf: str | None,
    approval: str = "broadening",
    checked: tuple[OrgSettings, Aws] | None = None,
) -> OrgSettings:
    """Preflight (unless ``checked`` carries its result), missing keys, cdk deploy of the stage (and shared)."""
    from devtools.deploy_preflight import preflight

    org, aws = checked or preflight(org_name, stage)
    names = stage_names(stage)
    heading(f"Keys of {stage}")
    created = ensure_keys(aws, names)
    for name in created:
        say("OK", f"created {name} (escrow it now: make keys-escrow STAGE={stage})")
    if not created:
        say("OK", "signing and identity keys exist")
    if _manages_table(stage):
        # A table without its data stack (an installation older than the data stack, or a retained table):
        # adopted first, or the data stack's create would meet "already exists".
        from devtools.deploy_recover import adopt, plan_adoption

        if plan_adoption(aws, names).steps:
            adopt(aws, org, names)
    heading(f"Deploying {stage} (and the shared stack if it changed)")
    args = ["--require-approval", approval]
    if waf:
        args += ["-c", f"waf={waf}"]
    with watch_certificate(aws, org.stage(stage).api_domain):
        code = run_cdk(org, "deploy", *args, stage, stage=stage)
    if code != 0:
        fail(
            f"cdk deploy exited with {code}. Read the first error above; docs/deploy.md, Troubleshooting. "
            "Running the same command again resumes (a stack whose create rolled back is replaced). To stop a "
            "first deploy that is still waiting (the certificate's DNS record): make abandon-first-deploy "
            f"DOMAIN={org.domain}; docs/deploy.md, 'If the first deploy fails'."
        )
    return org


def diff(org_name: str | None, stage: str) -> int:
    """Every stack a deploy of the stage touches: shared, the stage's data, certificate and app stacks."""
    org = load_org(org_name)
    return run_cdk(org, "diff", "shared", f"{stage}-data", f"{stage}-cert", stage, stage=stage)


def _synth_tree(tree: Path, org: OrgSettings, stage: str) -> Path:
    infra = tree / "infra"
    for name in ("cdk.out", "chalice.out"):
        shutil.rmtree(infra / name, ignore_errors=True)
    command = [*cdk_command(org, "synth", "--quiet", *_offline_flags(org), stage=stage)]
    subprocess.run(command, cwd=infra, env=cdk_env(org), check=True)
    template = infra / "cdk.out" / f"{stage}.template.json"
    if not template.exists():
        fail(f"the synth of {tree} produced no {template.name}")
    return template


def baseline_diff(org_name: str | None, stage: str, base: str) -> int:
    """Synthesizes ``base`` (a git ref) in a temporary worktree and diffs this tree's stage against it.
    Needs no AWS account: what an update from ``base`` to this tree changes, resource by resource."""
    from devtools import deploy_settings

    org = deploy_settings.load(org_name, allow_placeholders=True)
    if org.name != EXAMPLE_NAME:
        org = load_org(org.name)
    work = Path(tempfile.mkdtemp(prefix="mbc-baseline-"))
    tree = work / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), base], cwd=ROOT, check=True)
    try:
        # Same toolchain for both sides (pinned files; a base with other pins would need its own venv).
        os.symlink(INFRA / ".venv", tree / "infra" / ".venv")
        os.symlink(ROOT / "node_modules", tree / "node_modules")
        heading(f"Synthesizing the baseline {base} ({stage})")
        template = _synth_tree(tree, org, stage)
        kept = work / f"baseline-{stage}.template.json"
        shutil.copy(template, kept)
        heading(f"This tree against {base}")
        return run_cdk(org, "diff", "--exclusively", "--template", str(kept), *_offline_flags(org), stage, stage=stage)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("synth", "deploy", "diff", "baseline-diff"):
        p = sub.add_parser(name)
        p.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
        p.add_argument("--stage", choices=("dev", "prod"), required=name != "synth")
        if name == "deploy":
            p.add_argument("--waf", choices=("true", "false"))
        if name == "baseline-diff":
            p.add_argument("--base", required=True, help="git ref to compare with (a tag such as v1.2, or main)")
    args = parser.parse_args(argv)
    if args.command == "synth":
        raise SystemExit(synth(args.org, args.stage))
    if args.command == "deploy":
        org = deploy(args.org, args.stage, waf=args.waf)
        print(f"\nDeployed {args.stage}. Check it: make status STAGE={args.stage} ORG={org.name}")
        return
    if args.command == "diff":
        raise SystemExit(diff(args.org, args.stage))
    raise SystemExit(baseline_diff(args.org, args.stage, args.base))


if __name__ == "__main__":
    main()
