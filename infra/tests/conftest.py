"""Synthesizes the CDK app in-process (once per variant) for the assertion tests.

Each variant runs in its own temporary directory: chalice.cdk writes its package to
``<cwd>/chalice.out`` and the cloud assembly goes to the variant's ``cdk.out``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INFRA_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = INFRA_DIR.parent
sys.path[:0] = [str(REPO_DIR), str(INFRA_DIR)]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from mbc_infra.builder import build  # noqa: E402


@dataclass
class Synth:
    workdir: Path
    stacks: dict[str, cdk.Stack]
    templates: dict[str, dict[str, Any]]

    def template(self, name: str) -> Template:
        return Template.from_json(self.templates[name])

    def text(self, name: str) -> str:
        return json.dumps(self.templates[name])

    @property
    def deployment_zips(self) -> list[Path]:
        return sorted((self.workdir / "chalice.out").glob("*/deployment.zip"))

    @property
    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.workdir / "cdk.out" / "validation-report.json").read_text())
        return report


# What make infra-test synthesizes: the committed example organisation, placeholders allowed, with the
# feature flags cdk.json gives the CLI.
OFFLINE = {
    **json.loads((INFRA_DIR / "cdk.json").read_text())["context"],
    "org": "example.org",
    "offline_check": "true",
}
# prod after a point-in-time restore (docs/deploy.md, step 14): the restored table's stream label.
RESTORED_STREAM_LABEL = "2027-01-15T09:30:00.000"


def synthesize(
    workdir: Path, context: dict[str, Any] | None = None, overrides: dict[str, dict[str, Any]] | None = None
) -> Synth:
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        app = cdk.App(context={**OFFLINE, **(context or {})}, outdir=str(workdir / "cdk.out"))
        stacks = build(app, overrides=overrides)
        assembly = app.synth()
    finally:
        os.chdir(previous)
    templates = {name: assembly.get_stack_by_name(stack.stack_name).template for name, stack in stacks.items()}
    return Synth(workdir, stacks, templates)


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """What `cdk synth` builds with no context: shared, dev and prod."""
    return synthesize(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="session")
def waf_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """`cdk synth -c stage=dev -c waf=true`."""
    return synthesize(tmp_path_factory.mktemp("waf"), context={"stage": "dev", "waf": "true"})


@pytest.fixture(scope="session")
def restored_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """prod after a point-in-time restore: stages.json prod.manage_table = false (+ the stream label),
    during an emergency stop of sending (deploy/<org>.json prod.sending_enabled = false)."""
    return synthesize(
        tmp_path_factory.mktemp("restored"),
        context={"stage": "prod"},
        overrides={
            "prod": {"manage_table": False, "table_stream_label": RESTORED_STREAM_LABEL, "sending_enabled": False}
        },
    )


@pytest.fixture(scope="session")
def chalice_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((REPO_DIR / ".chalice" / "config.json").read_text())
    return config


@pytest.fixture(scope="session")
def org_file() -> dict[str, Any]:
    """deploy/example.org.json, the organisation the offline synth uses."""
    values: dict[str, Any] = json.loads((REPO_DIR / "deploy" / "example.org.json").read_text())
    return values


@pytest.fixture(scope="session")
def stages_file() -> dict[str, Any]:
    values: dict[str, Any] = json.loads((INFRA_DIR / "stages.json").read_text())
    return values


@pytest.fixture
def in_tmp_dir(tmp_path: Path) -> Iterator[Path]:
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)
