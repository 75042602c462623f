"""schemathesis against the live OpenAPI document of the running local stack, organizer routes
included with a real key: no 5xx, responses match the schema, bad input is refused."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.live import run_stack

CONFIG = Path(__file__).parent / "fuzz" / "schemathesis.toml"
EXAMPLES_PER_OPERATION = "10"
SEED = "20261125"


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    # Its own stack: the fuzzer creates, changes and deletes things at random.
    with run_stack(tmp_path / "local", {"SIGNUP_LIMIT_PER_IP_PER_HOUR": "1000000"}) as stack:
        key = stack.organizer_key()
        st = str(Path(sys.executable).parent / "st")
        result = subprocess.run(
            [
                st,
                "--config-file",
                str(CONFIG),
                "run",
                f"{stack.api}/openapi.json",
                "--max-examples",
                EXAMPLES_PER_OPERATION,
                "--seed",
                SEED,
                "--header",
                f"Authorization: Bearer {key}",
                "--generation-database",
                "none",
                "--no-color",
                "--workers",
                "2",
                "--report",
                "junit",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=900,
        )
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    generated = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert generated, summary
    assert int(generated.group(1)) > 500  # it really exercised the API
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected and tested, summary
    assert selected.group(1) == selected.group(2) == tested.group(1)  # every operation was tested
