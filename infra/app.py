#!/usr/bin/env python3
"""CDK entry point. `cdk synth` / `cdk deploy` run it from infra/ (see cdk.json and infra.mk).

Context: -c stage=dev|prod (default: both), -c waf=true, -c mail_domain=example.org.
"""

from __future__ import annotations

import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
# chalicelib.table (the one table design) lives at the repository root.
sys.path[:0] = [str(INFRA_DIR.parent), str(INFRA_DIR)]

import aws_cdk as cdk  # noqa: E402
from mbc_infra.builder import build  # noqa: E402

app = cdk.App()
build(app)
app.synth()
