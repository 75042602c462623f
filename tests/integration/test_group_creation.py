"""Issue 21 item 6: a group without a developer. An admin creates a group in the console, its
schedule chosen in words (the rule built for her), and with ``cli groups create``; organizers
cannot; bad words are named field by field; nothing half-made is left behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib import cli
from tests.support.builders import GROUP_ID, ZOOM_URL, make_group
from tests.support.console import Console, text_of
from tests.support.stacks import Stack, make_client

NOW = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
NEW = "/console/groups/new"
FIELDS = [
    ("name", "Montana Evening Group"),
    ("description", "An evening group."),
    ("eligibility", "People living with MBC in Montana."),
    ("repeat", "monthly"),
    ("weeks", "1"),
    ("weeks", "-1"),
    ("weekday", "TH"),
    ("start_time", "18:30"),
    ("timezone", "America/Denver"),
    ("duration_minutes", "60"),
    ("zoom_url", "https://example.zoom.us/j/11122233344"),
    ("zoom_passcode", ""),
    ("zoom_meeting_id", ""),
    ("zoom_dial_in", ""),
    ("leads", "1440"),
    ("requires_approval", "yes"),
    ("decline_message", ""),
    ("join_window_minutes", "30"),
    ("contact_name", "Maria Lopez"),
    ("contact_email", "maria@example.org"),
    ("action", "save"),
]


@pytest.fixture
def admin(moto_stack: Stack) -> Iterator[tuple[Stack, Console, Console]]:
    moto_stack.clock.set(NOW)
    c = moto_stack.container
    make_group(c)
    c.organizers.create(name="Ada Admin", email="ada@example.org", role="admin")
    c.organizers.create(name="Cora", email="cora@example.org", role="organizer", groups=[GROUP_ID])
    with make_client(moto_stack) as client:
        ada, cora = Console(client), Console(client)
        ada.sign_in(moto_stack, "ada@example.org")
        cora.sign_in(moto_stack, "cora@example.org")
        yield moto_stack, ada, cora


def test_an_admin_creates_a_group_with_its_schedule_in_words(admin: tuple[Stack, Console, Console]) -> None:
    stack, ada, _ = admin
    home = ada.get("/console")
    assert f'href="{NEW}"' in home.body.decode()
    form = ada.get(NEW)
    assert form.status_code == 200 and "Which weeks of the month" in text_of(form)
    created = ada.post(NEW, FIELDS)
    assert created.status_code == 303, text_of(created)
    assert created.headers["Location"].startswith("/console/groups/montana-evening-group/settings?done=group_created")
    group = stack.container.groups.get("montana-evening-group")
    assert group["schedule"]["rrule"] == "FREQ=MONTHLY;BYDAY=1TH,-1TH"
    assert group["schedule"]["start_time"] == "18:30" and group["schedule"]["duration_minutes"] == 60
    assert group["contact_email"] == "maria@example.org" and group["reminder_leads_minutes"] == [1440]
    settings = text_of(ada.get(created.headers["Location"]))
    assert "The group is created" in settings and "Montana Evening Group" in settings
    activity = text_of(ada.get("/console/groups/montana-evening-group/activity"))
    assert "Created the group; it meets the first and last Thursday of each month at 6:30 PM Mountain time" in activity
    again = ada.post(NEW, FIELDS)
    assert again.status_code == 409 and "Another group has this web address name" in text_of(again)


def test_bad_choices_are_named_and_nothing_is_created(admin: tuple[Stack, Console, Console]) -> None:
    stack, ada, _ = admin
    fields = [(k, v) for k, v in FIELDS if k not in ("weeks", "zoom_url")] + [("zoom_url", "http://zoom.example")]
    refused = ada.post(NEW, fields)
    words = text_of(refused)
    assert refused.status_code == 400
    assert "Choose at least one week of the month" in words
    assert stack.container.groups.find("montana-evening-group") is None
    refused = ada.post(NEW, [(k, v) for k, v in FIELDS if k != "zoom_url"] + [("zoom_url", "http://zoom.example")])
    assert refused.status_code == 400 and "https" in text_of(refused)
    assert stack.container.groups.find("montana-evening-group") is None


def test_only_an_admin_may_create_a_group(admin: tuple[Stack, Console, Console]) -> None:
    stack, _, cora = admin
    assert f'href="{NEW}"' not in cora.get("/console").body.decode()
    assert cora.get(NEW).status_code == 403
    assert cora.post(NEW, FIELDS).status_code == 403
    assert stack.container.groups.find("montana-evening-group") is None


def test_cli_creates_a_group_from_words(moto_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    moto_stack.clock.set(NOW)
    args = ["groups", "create", "--name", "Idaho Panhandle Group", "--zoom-url", ZOOM_URL]
    code = cli.main([*args, "--week", "first", "--weekday", "Tuesday", "--time", "4:00 PM", "--zone", "Pacific"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Group idaho-panhandle-group created" in out
    assert "It meets the first Tuesday of each month at 4:00 PM Pacific time." in out
    assert "Next meeting: Tuesday, January 5, 2027 at 4:00 PM Pacific." in out  # words, not ISO 8601
    assert ZOOM_URL not in out  # a secret
    group = moto_stack.container.groups.get("idaho-panhandle-group")
    assert group["schedule"] == {
        "rrule": "FREQ=MONTHLY;BYDAY=1TU",
        "start_time": "16:00",
        "timezone": "America/Los_Angeles",
        "duration_minutes": 90,
        "starts_on": "2026-01-01",
    }
    bad = cli.main([*args, "--id", "other", "--week", "fifth", "--weekday", "Funday", "--time", "25:00"])
    err = capsys.readouterr().err
    assert bad == 2
    assert "--week:" in err and "--weekday:" in err and "--time:" in err
    assert "----" not in err  # each flag named once, as typed
    # Every bad flag at once, the schedule's and the others' (an empty name, a link that is none).
    worse = ["groups", "create", "--name", "", "--zoom-url", "nope", "--id", "x2", "--weekday", "Funday"]
    assert cli.main(worse) == 2
    err = capsys.readouterr().err
    assert all(f"  {flag}:" in err for flag in ("--weekday", "--name", "--zoom-url", "--id")), err
    assert moto_stack.container.groups.find("other") is None
    assert cli.main(args) == 4  # the id (made from the name) is taken


def test_malformed_joining_details_are_named_in_words(admin: tuple[Stack, Console, Console]) -> None:
    """A web address name, passcode, meeting ID or dial-in line in the wrong form is named by its
    label with what to type instead, never pydantic's "String should match pattern '^...$'"."""
    stack, ada, _ = admin
    wrong = {"zoom_passcode": "ab cd", "zoom_meeting_id": "12ab", "zoom_dial_in": "+1 253 215 8782\ncall me"}
    fields = [(k, wrong.get(k, v)) for k, v in FIELDS] + [("id", "Bad Id!")]
    refused = ada.post(NEW, fields)
    words = text_of(refused).replace(" : ", ": ").replace("&#39;", "'")
    assert refused.status_code == 400
    assert "should match pattern" not in words and "^" not in words, words
    assert "Web address name: Use lowercase letters, digits and dashes" in words
    assert "Passcode: Letters, digits and symbols, without spaces" in words
    assert "Meeting ID: Give the meeting ID's digits, like 987 6543 2100" in words
    assert "Dial-in phone numbers: Line 2: Give a phone number" in words
    assert 'href="#f-zoom_dial_in"' in refused.body.decode()
    assert (
        stack.container.groups.find("bad-id") is None and stack.container.groups.find("montana-evening-group") is None
    )


def test_cli_names_each_flag_as_typed_in_words(moto_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    moto_stack.clock.set(NOW)
    args = ["groups", "create", "--name", "Idaho Panhandle Group", "--zoom-url", ZOOM_URL]
    assert cli.main([*args, "--id", "Bad Id!", "--duration", "0"]) == 2
    err = capsys.readouterr().err
    assert "  --duration: Must be 15 or more." in err and "--duration-minutes" not in err, err
    assert "  --id: Use lowercase letters, digits and dashes" in err and "should match pattern" not in err, err
    assert moto_stack.container.groups.find("idaho-panhandle-group") is None


def test_cli_a_name_too_short_for_a_web_address_is_named_not_the_id_she_never_typed(
    moto_stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    moto_stack.clock.set(NOW)
    assert cli.main(["groups", "create", "--name", "X", "--zoom-url", ZOOM_URL]) == 2
    err = capsys.readouterr().err
    assert "  --name: No web address name can be made from it: give one with --id" in err and "--id:" not in err, err
    assert cli.main(["groups", "create", "--name", "X", "--id", "xy", "--zoom-url", ZOOM_URL]) == 2
    assert "  --id: Must be at least 3 characters." in capsys.readouterr().err  # her own --id: named as typed
