"""deploy/<org>.json's "organization": the chapter's name and contact reach every deployed function as
ORG_* variables (the app's Settings read them), and the example's name is a placeholder a deploy refuses."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.organization import organization, sender
from chalicelib.settings import Settings
from devtools import deploy_settings
from devtools.deploy_settings import ORG_OWNED_ENV, OrgError


def real_data(**organization_fields: Any) -> dict[str, Any]:
    data = deploy_settings.new_org_data("mbc-idmt.org", "alarms@mbc-idmt.org")
    data["organization"].update(organization_fields)
    return data


def parse(data: dict[str, Any]) -> deploy_settings.OrgSettings:
    return deploy_settings.parse(data, deploy_settings.DEPLOY_DIR / "mbc-idmt.org.json")


def test_the_example_names_no_chapter_and_a_deploy_refuses_it() -> None:
    example = deploy_settings.load("example.org", allow_placeholders=True)
    assert {"organization.name", "organization.website_url", "organization.email"} <= set(example.placeholders)
    with pytest.raises(OrgError, match=r"organization\.name"):
        deploy_settings.load("example.org")


def test_the_chapter_reaches_the_functions_and_signs_their_emails() -> None:
    org = parse(real_data(name="Gem State MBC Friends", phone="(208) 555-0100", website_url="https://www.mbc-idmt.org"))
    assert org.placeholders == ()
    env = org.environment("prod")
    assert set(env) <= set(ORG_OWNED_ENV)
    assert env["ORG_NAME"] == "Gem State MBC Friends" and env["ORG_PHONE"] == "(208) 555-0100"
    assert "ORG_LOGO_URL" not in env and "ORG_SENDER_NAME" not in env  # empty: the app's defaults
    settings = Settings.from_env(env)
    assert sender(settings) == "Gem State MBC Friends <connect@mbc-idmt.org>"
    assert organization(settings).website_url == "https://www.mbc-idmt.org"


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"name": ""}, r"organization\.name is required"),
        ({"website_url": "http://www.mbc-idmt.org"}, r"https://"),
        ({"logo_url": "ftp://x"}, r"https://"),
        ({"email": "not an address"}, r"organization\.email"),
        ({"colour": "pink"}, "unknown fields: colour"),
        ({"phone": 2085550100}, "must be text"),
    ],
)
def test_a_bad_organization_is_refused_with_its_field(fields: dict[str, Any], why: str) -> None:
    with pytest.raises(OrgError, match=why):
        parse(real_data(**fields))


def test_a_file_without_an_organization_still_deploys_with_the_apps_defaults() -> None:
    data = real_data()
    del data["organization"]
    assert not any(k.startswith("ORG_") for k in parse(data).environment("prod"))
