"""Words for a tired reader, and the chapter's name: the field errors a person sees at the form, one
greeting per announcement, the organization from the settings (From name, pages' policy for its logo)."""

from __future__ import annotations

import pytest

from chalicelib.announcements.mail import greets
from chalicelib.errors import Invalid, validate_model
from chalicelib.organization import organization, sender
from chalicelib.settings import Settings, SettingsError
from chalicelib.signups.models import ResendForm, SignupForm
from chalicelib.web.pages import page


def fields_of(model: object, data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(Invalid) as info:
        validate_model(model, data)
    return info.value.fields


def test_a_wrong_or_missing_state_asks_for_idaho_or_montana() -> None:
    for state in ("WA", "", "id", None):
        fields = fields_of(SignupForm, {"name": "Ann", "email": "ann@example.org", "state": state, "consent": True})
        assert fields == {"state": "Please choose Idaho or Montana."}, state


def test_an_empty_email_asks_to_fill_it_in_and_a_wrong_one_says_so() -> None:
    for empty in ("", "   "):
        assert fields_of(ResendForm, {"email": empty}) == {"email": "Please fill this in."}
    assert fields_of(ResendForm, {}) == {"email": "Please fill this in."}
    assert fields_of(ResendForm, {"email": "ann@"}) == {"email": "Must be a valid email address."}


def test_choices_a_person_does_not_know_by_name_keep_the_codes() -> None:
    from chalicelib.events.models import EventInput

    fields = fields_of(EventInput, {"format": "on_the_moon"})
    assert fields["format"].startswith("Must be one of: in_person")


@pytest.mark.parametrize(
    ("body", "greeting"),
    [
        ("Hello everyone,\n\nThe July meeting is off.", True),
        ("  hi all! Quick note.", True),
        ("Dear friends,", True),
        ("Good evening, everyone.", True),
        ("Higher turnout than ever last month.", False),
        ("Hiking on Saturday?", False),
        ("The July meeting is off.", False),
    ],
)
def test_an_announcement_that_greets_is_not_greeted_again(body: str, greeting: bool) -> None:
    assert greets(body) is greeting


def test_the_organization_comes_from_the_settings_with_kind_fallbacks() -> None:
    default = organization(Settings(website_origins=("https://www.mbc-idmt.org",), mail_reply_to="help@mbc-idmt.org"))
    assert default.name and "MBC Connect" not in default.name
    assert default.website_url == "https://www.mbc-idmt.org" and default.website_label == "mbc-idmt.org"
    assert default.email == "help@mbc-idmt.org" and default.contact_lines == ["help@mbc-idmt.org"]
    assert sender(Settings(mail_from="connect@mbc-idmt.org", org_name="North Idaho MBC Friends")) == (
        "North Idaho MBC Friends <connect@mbc-idmt.org>"
    )
    named = Settings(mail_from="connect@mbc-idmt.org", org_name="A & B", org_sender_name="Maria at A&B")
    assert sender(named) == "Maria at A&B <connect@mbc-idmt.org>"
    assert sender(Settings(mail_from="Chosen Name <connect@mbc-idmt.org>")) == "Chosen Name <connect@mbc-idmt.org>"
    full = organization(Settings(org_phone="(208) 555-0100", org_address="PO Box 1, Boise, ID", org_email="hi@x.org"))
    assert full.contact_lines == ["hi@x.org", "(208) 555-0100", "PO Box 1, Boise, ID"]


def test_settings_refuse_an_unnamed_organization_or_a_plain_http_logo() -> None:
    with pytest.raises(SettingsError):
        Settings(org_name="  ")
    with pytest.raises(SettingsError):
        Settings(org_logo_url="http://mbc-idmt.org/logo.png")
    assert Settings.from_env({"ORG_NAME": "North Idaho MBC Friends"}).org_name == "North Idaho MBC Friends"


def test_member_pages_name_the_chapter_and_allow_only_its_logo() -> None:
    org = organization(Settings(org_name="North Idaho MBC Friends", org_logo_url="https://cdn.nimbc.org/logo.png"))
    response = page("pages/message.html", org=org, title="Hello", message="A message", detail=None)
    assert "<title>Hello - North Idaho MBC Friends</title>" in response.body
    assert 'src="https://cdn.nimbc.org/logo.png"' in response.body
    policy = response.headers["Content-Security-Policy"]
    assert "img-src https://cdn.nimbc.org;" in policy and "script-src" not in policy
    plain = page("pages/message.html", org=organization(Settings()), title="Hello", message="m", detail=None)
    assert "img-src" not in plain.headers["Content-Security-Policy"] and "<img" not in plain.body
