"""When a first deploy goes wrong: two commands instead of a console session (docs/deploy.md,
"If the first deploy fails").

    make abandon-first-deploy DOMAIN=mbc-idmt.org [STAGE=prod]
        Stops a half-made first deploy so `make first-deploy` can start again later. For each of the
        stage's stacks (app, certificate, table) and the shared stack, newest first, it reads the state
        and deletes ONLY a stack that holds nothing: a create that rolled back (ROLLBACK_COMPLETE), one
        that failed (CREATE_FAILED, ROLLBACK_FAILED), a change set never run (REVIEW_IN_PROGRESS), or the
        certificate stack still creating while its certificate waits for the DNS record. It never deletes
        a complete stack, and never a stack that still holds a DynamoDB table.

    make adopt-table STAGE=prod
        Takes back a table that exists without its stack: retained after the data stack was deleted, or
        from an installation older than the data stack (the table then sits in mbc-connect-<stage>). It
        checks the table, moves it out of the old stack if needed (kept: Retain), then creates the data
        stack with CloudFormation's import of existing resources. Nothing is copied; no item is touched.

Every decision is a plain function of what AWS answered (``abandon_action``, ``adopt_plan``), tested with
botocore's Stubber in infra/tests/test_recover.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from devtools.deploy_common import (
    SHARED_STACK,
    Aws,
    StageNames,
    connect,
    explain_aws_error,
    fail,
    heading,
    load_org,
    run_cdk,
    say,
    stage_names,
)
from devtools.deploy_settings import OrgSettings

# A create that ended and left nothing behind (RetainExceptOnCreate deletes even the table on a rolled-back
# create), or a change set that never ran: deleting the stack deletes no resource.
EMPTY_AFTER_FAILED_CREATE = ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS")
# A create that failed and may still hold resources (no rollback, or a rollback that failed).
FAILED_CREATE = ("CREATE_FAILED", "ROLLBACK_FAILED")
# Still moving: wait and run the command again.
MOVING = ("ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "IMPORT_IN_PROGRESS")
TABLE_TYPE = "AWS::DynamoDB::Table"


@dataclass(frozen=True)
class Decision:
    stack: str
    action: str  # "delete", "keep", "wait", "refuse", "absent"
    reason: str


def _tables_in(resources: Iterable[dict[str, Any]]) -> list[str]:
    return [
        str(r.get("PhysicalResourceId") or r.get("LogicalResourceId"))
        for r in resources
        if r.get("ResourceType") == TABLE_TYPE and r.get("ResourceStatus") != "DELETE_COMPLETE"
    ]


def abandon_action(
    stack: str,
    status: str | None,
    *,
    resources: list[dict[str, Any]],
    is_certificate_stack: bool,
    certificate_pending: bool,
) -> Decision:
    """What abandoning does with one stack. ``resources``: its DescribeStackResources answer."""
    if status is None:
        return Decision(stack, "absent", "not created")
    tables = _tables_in(resources)
    if tables:
        return Decision(
            stack,
            "refuse",
            f"{status} and it holds the table {', '.join(tables)}: never deleted here. If its create failed, the "
            "table is empty; docs/deploy.md, 'If the first deploy fails', says what to do",
        )
    if status in EMPTY_AFTER_FAILED_CREATE or status in FAILED_CREATE:
        return Decision(stack, "delete", f"{status}: a create that did not finish")
    if status == "CREATE_IN_PROGRESS":
        if is_certificate_stack and certificate_pending:
            return Decision(stack, "delete", "CREATE_IN_PROGRESS, waiting for the certificate's DNS record")
        return Decision(stack, "wait", "CREATE_IN_PROGRESS: let it finish, then run this again")
    if status in MOVING:
        return Decision(stack, "wait", f"{status}: let it finish, then run this again")
    if status == "DELETE_FAILED":
        return Decision(
            stack, "refuse", "DELETE_FAILED: CloudFormation console > the stack > Events names what it could not delete"
        )
    return Decision(stack, "keep", f"{status}: complete, nothing to abandon")


def _status(cfn: Any, stack: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _resources(cfn: Any, stack: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cfn.describe_stack_resources(StackName=stack).get("StackResources", [])
    return found


def _certificate_pending(acm: Any, domain: str) -> bool:
    pages = acm.get_paginator("list_certificates").paginate(CertificateStatuses=["PENDING_VALIDATION"])
    return any(s.get("DomainName") == domain for page in pages for s in page.get("CertificateSummaryList", []))


def abandon_decisions(aws: Aws, org: OrgSettings, names: StageNames) -> list[Decision]:
    """One decision per stack, newest first (the app, the certificate, the table, then the shared stack)."""
    cfn = aws.client("cloudformation")
    decisions = []
    for stack in (names.stack, names.cert_stack, names.data_stack, SHARED_STACK):
        status = _status(cfn, stack)
        is_cert = stack == names.cert_stack
        decisions.append(
            abandon_action(
                stack,
                status,
                resources=_resources(cfn, stack) if status else [],
                is_certificate_stack=is_cert,
                certificate_pending=bool(status == "CREATE_IN_PROGRESS" and is_cert)
                and _certificate_pending(aws.client("acm"), org.stage(names.stage).api_domain),
            )
        )
    return decisions


def abandon(aws: Aws, org: OrgSettings, names: StageNames) -> list[Decision]:
    """Deletes the stacks whose decision is "delete" (the others are reported). Returns the decisions."""
    cfn = aws.client("cloudformation")
    decisions = abandon_decisions(aws, org, names)
    heading(f"Abandoning the half-made first deploy of {names.stage}")
    for d in decisions:
        if d.action != "delete":
            say({"keep": "OK", "absent": "OK", "wait": "WAIT", "refuse": "FAIL"}[d.action], f"{d.stack}: {d.reason}")
            continue
        if d.stack in (names.data_stack, SHARED_STACK):
            # Their termination protection is set after a successful create; a stack whose create did not finish
            # holds nothing (and no table: checked above), so lifting it deletes nothing else.
            cfn.update_termination_protection(EnableTerminationProtection=False, StackName=d.stack)
        cfn.delete_stack(StackName=d.stack)
        say("OK", f"{d.stack}: {d.reason}; deleting it")
    return decisions


# ------------------------------------------------------------------ adopt a retained table


@dataclass(frozen=True)
class AdoptPlan:
    steps: tuple[str, ...]  # "release-from-app-stack", "import-into-data-stack"
    message: str
    stream_label: str = ""


def adopt_plan(
    *,
    table: dict[str, Any] | None,
    owner_stack: str | None,
    names: StageNames,
    data_stack_status: str | None,
) -> AdoptPlan:
    """What `make adopt-table` does, from describe_table (``table``), the stack that owns the table if any
    (DescribeStackResources by physical id), and the data stack's state."""
    if table is None:
        return AdoptPlan((), f"there is no table {names.table}: nothing to adopt (make deploy creates it)")
    if owner_stack == names.data_stack:
        return AdoptPlan((), f"{names.table} already belongs to {names.data_stack}: nothing to do")
    if owner_stack is not None and owner_stack != names.stack:
        return AdoptPlan((), f"{names.table} belongs to the stack {owner_stack}, not this installation: stopped")
    if data_stack_status not in (None, "ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"):
        return AdoptPlan(
            (),
            f"{names.data_stack} exists ({data_stack_status}) without the table: delete it first "
            "(make abandon-first-deploy) or ask for help; stopped",
        )
    arn = str(table.get("LatestStreamArn") or "")
    label = arn.rsplit("/stream/", 1)[-1] if "/stream/" in arn else ""
    if not label:
        return AdoptPlan(
            (),
            f"{names.table} has no stream: enable it first (docs/deploy.md, 'Restore from point-in-time "
            "recovery', the update-table --stream-specification line)",
        )
    steps: tuple[str, ...] = ("import-into-data-stack",)
    if owner_stack == names.stack:
        steps = ("release-from-app-stack", "import-into-data-stack")
    return AdoptPlan(steps, f"{names.table} will be adopted by {names.data_stack}", stream_label=label)


def _owner_stack(cfn: Any, table: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        found = cfn.describe_stack_resources(PhysicalResourceId=table).get("StackResources", [])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return str(found[0]["StackName"]) if found else None


def _table(ddb: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        description: dict[str, Any] = ddb.describe_table(TableName=name)["Table"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return description


def plan_adoption(aws: Aws, names: StageNames) -> AdoptPlan:
    cfn = aws.client("cloudformation")
    return adopt_plan(
        table=_table(aws.client("dynamodb"), names.table),
        owner_stack=_owner_stack(cfn, names.table),
        names=names,
        data_stack_status=_status(cfn, names.data_stack),
    )


def adopt(aws: Aws, org: OrgSettings, names: StageNames) -> None:
    heading(f"Adopting the table {names.table}")
    plan = plan_adoption(aws, names)
    if not plan.steps:
        say("OK" if "nothing" in plan.message else "FAIL", plan.message)
        if "stopped" in plan.message:
            raise SystemExit(2)
        return
    say("..", plan.message)
    stage = names.stage
    if "release-from-app-stack" in plan.steps:
        # The stack of an older installation owns the table with DeletionPolicy Retain: a template without it
        # (the stack pointing at the table by name, as after a restore) lets it go and keeps it.
        say("..", f"{names.stack} lets go of the table (kept: its DeletionPolicy is Retain)")
        # Not --exclusively: the certificate's own stack (new in the same version) is created first; ACM's DNS
        # record for a domain stays the same in an account, so the record in place validates it.
        code = run_cdk(
            org,
            "deploy",
            "--require-approval",
            "never",
            "-c",
            "manage_table=false",
            "-c",
            f"table_stream_label={plan.stream_label}",
            stage,
            stage=stage,
        )
        if code != 0:
            fail(f"cdk deploy of {names.stack} without the table failed (above); nothing was imported yet")
    say("..", f"{names.data_stack} imports {names.table} (CloudFormation: import existing resources)")
    code = run_cdk(
        org,
        "deploy",
        "--exclusively",
        "--require-approval",
        "never",
        "--import-existing-resources",
        f"{stage}-data",
        stage=stage,
    )
    if code != 0:
        fail(f"the import into {names.data_stack} failed (above). The table is untouched; run this again.")
    say("OK", f"{names.data_stack} owns {names.table}. Finish with: make deploy STAGE={stage}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("abandon", "adopt-table"):
        p = sub.add_parser(name)
        p.add_argument("--org", help="deploy/<org>.json (default: the one organisation file)")
        p.add_argument("--domain", default="", help="your domain (checked against the settings file)")
        p.add_argument("--stage", default="prod", choices=("dev", "prod"))
    args = parser.parse_args(argv)
    org = load_org(args.org, domain=args.domain.strip() or None)
    aws = connect(org)
    names = stage_names(args.stage)
    try:
        if args.command == "abandon":
            decisions = abandon(aws, org, names)
            if any(d.action in ("wait", "refuse") for d in decisions):
                raise SystemExit(1)
            print("\nDone. When the DNS record can be added: make first-deploy (docs/deploy.md, step 3).")
        else:
            adopt(aws, org, names)
    except SystemExit:
        raise
    except Exception as exc:
        fail(explain_aws_error(exc))


if __name__ == "__main__":
    main()
