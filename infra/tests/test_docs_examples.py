"""Every example in the runbook and the READMEs is a value the commands accept, checked with the
commands' own validation: an address with the CLI's (chalicelib.emails, what `organizers create`
uses), a DOMAIN= with first-deploy's (devtools.deploy_settings), a website origin with the site
origins' (chalicelib.website.origins). An example shown as refused says so on its line ("refused"),
and must then be refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO_DIR

from chalicelib.emails import normalize_email
from chalicelib.website.origins import normalize_origin
from devtools import deploy_settings
from devtools.deploy_settings import OrgError

DOCUMENTS = ("docs/deploy.md", "README.md", "web/README.md", "docs/console.md")
EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
DOMAIN_ARG = re.compile(r"\bDOMAIN=([A-Za-z0-9.-]+)")
ORIGIN_ARG = re.compile(r"origins (?:add|remove) (https?://[^\s'`]+)")
FILES = [REPO_DIR / d for d in DOCUMENTS if (REPO_DIR / d).exists()]


def examples(pattern: re.Pattern[str]) -> list[tuple[str, int, str, bool]]:
    """(file, line number, value, shown as refused) for every match."""
    found = []
    for path in FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in pattern.finditer(line):
                value = match.group(1) if pattern.groups else match.group(0)
                found.append((str(path.relative_to(REPO_DIR)), number, value, "refused" in line.lower()))
    return found


def test_the_documents_have_examples() -> None:
    assert len(examples(EMAIL)) >= 10
    assert len(examples(DOMAIN_ARG)) >= 5
    assert examples(ORIGIN_ARG)


@pytest.mark.parametrize(("where", "line", "address", "refused"), examples(EMAIL))
def test_every_example_address_passes_the_clis_validation(where: str, line: int, address: str, refused: bool) -> None:
    if refused:
        with pytest.raises(ValueError, match="valid email address"):
            normalize_email(address)
    else:
        assert normalize_email(address) == address.lower(), f"{where}:{line}"


@pytest.mark.parametrize(("where", "line", "domain", "refused"), examples(DOMAIN_ARG))
def test_every_example_domain_is_accepted_by_first_deploy(where: str, line: int, domain: str, refused: bool) -> None:
    if refused:
        with pytest.raises(OrgError, match="reserved example name"):
            deploy_settings.new_org_data(domain, f"alarms@{domain}")
        return
    data = deploy_settings.new_org_data(domain, f"alarms@{domain}")
    org = deploy_settings.parse(data, REPO_DIR / "deploy" / f"{domain}.json")
    assert org.placeholders == (), f"{where}:{line}"


@pytest.mark.parametrize(("where", "line", "origin", "refused"), examples(ORIGIN_ARG))
def test_every_example_origin_is_accepted(where: str, line: int, origin: str, refused: bool) -> None:
    assert not refused
    assert normalize_origin(origin) == origin, f"{where}:{line}"


def test_the_runbook_uses_no_reserved_name_outside_a_refusal() -> None:
    """The runbook's commands run with its example values: no .test/.example/.invalid name in a deploy
    example (the committed example file's example.org is named as the example, never deployed)."""
    text = Path(REPO_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if "refused" in line.lower() or "reserved" in line.lower():
            continue
        assert not re.search(r"[a-z0-9-]+\.(test|invalid|localhost)\b", line), f"docs/deploy.md:{number}: {line}"
