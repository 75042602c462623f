"""The email gallery's rendering step (devtools/email_gallery.py, issue 15), without the browser:
it holds every kind of email the outbox and the distribution send, and every member email keeps
the footer's promises (the stop link and its RFC 8058 headers, the erase link, a named person,
Reply-To that person, the schedule in one line; a decline has no stop link, by design)."""

from __future__ import annotations

import re

import pytest

from devtools.email_gallery import KINDS_WITHOUT_EMAIL, Gallery, GalleryEmail, Stabilizer, render_gallery

CONTACT = "Maria Lopez"
CONTACT_EMAIL = "maria@example.org"
# The schedule in the reader's zone: Ann (north Idaho) said Pacific; Montana members get Mountain;
# organizers' previews (nobody's zone) both.
SCHEDULES = {
    "ann@example.org": "First Tuesday of every month, 3:00 PM Pacific",
    "jo@example.org": "First Tuesday of every month, 4:00 PM Mountain",
    "rosa@example.org": "First Tuesday of every month, 4:00 PM Mountain",
    "lee@example.org": "First Tuesday of every month, 3:00 PM Pacific",  # her list said "ID (north)"
}
# The only emails that are not to a member (or someone who signed up): they go to organizers.
TO_ORGANIZERS = {"organizer_notice", "announcement_preview", "console_signin", "console_invite"}
# What issue 15 lists, by the gallery's names.
LISTED = {
    "confirm",
    "welcome",
    "already-member",
    "declined",
    "reminder-day-before",
    "reminder-1-hour",
    "moved",
    "cancelled",
    "back-on",
    "new-joining-details",
    "new-link",
    "your-link",
    "announcement",
    "announcement-preview",
    "organizer-notice",
    "console-sign-in",
    "console-invite",
}


@pytest.fixture(scope="module")
def gallery() -> Gallery:
    return render_gallery()


def both(email: GalleryEmail, needle: str) -> bool:
    return needle in email.mail.text and needle in email.mail.html


def test_the_gallery_has_every_kind_of_email(gallery: Gallery) -> None:
    kinds, names = {e.kind for e in gallery.emails}, {e.name for e in gallery.emails}
    assert not LISTED - names, "an email issue 15 lists is missing"
    # Every kind the outbox's sender handles (chalicelib/container.py), but the justified ones.
    assert set(KINDS_WITHOUT_EMAIL) <= gallery.handler_kinds, "an excluded kind no longer exists"
    assert all(len(reason) > 20 for reason in KINDS_WITHOUT_EMAIL.values())
    assert gallery.handler_kinds - set(KINDS_WITHOUT_EMAIL) <= kinds
    assert not set(KINDS_WITHOUT_EMAIL) & kinds
    # Every kind of meeting email the distribution sends (chalicelib/meetings/mail.py MeetingEmailKind).
    assert gallery.meeting_kinds == {"reminder", "changed", "cancelled", "back_on"}
    assert gallery.meeting_kinds <= kinds
    assert len(names) == len(gallery.emails)


def test_every_member_email_keeps_the_footers_promises(gallery: Gallery) -> None:
    organizers = {e.kind for e in gallery.emails if e.audience == "organizer"}
    assert organizers == TO_ORGANIZERS  # a new member email cannot hide among the organizers'
    members = [e for e in gallery.emails if e.audience != "organizer"]
    assert len(members) >= 15
    for email in members:
        mail, mime, name = email.mail, email.mime, email.name
        assert not mail.to.startswith(CONTACT_EMAIL), name
        if email.kind == "declined":
            assert email.audience == "declined"
            assert mail.unsubscribe_url is None, "a decline has no stop link, by design"
            assert mime["List-Unsubscribe"] is None and "/signups/unsubscribe" not in mail.text + mail.html
        else:
            assert email.audience == "member", name
            url = mail.unsubscribe_url
            # One-click unsubscribe stays in the headers (RFC 8058); the body has one kind link instead
            # of two raw ones under every email.
            assert url and mime["List-Unsubscribe"] == f"<{url}>", name
            assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", name
            # (The import's "we have moved" email offers leaving and erasing in one tap, by design.)
            one_tap = email.kind == "new_system"
            assert (url not in mail.text or one_tap) and "Stop all emails" not in mail.text + mail.html, name
        assert re.search(r"/signups/manage\?token=[\w.\-]+", mail.text), f"{name}: the manage link"
        assert "/signups/manage?token=" in mail.html and both(email, "Manage my membership"), name
        assert ("/signups/erase" not in mail.text + mail.html or email.kind == "new_system") and (
            "Erase my data" not in mail.html
        ), name
        assert "Gem State & Big Sky MBC Network" in mail.text, f"{name}: signed by the chapter"
        assert "Gem State &amp; Big Sky MBC Network" in mail.html, name
        assert not re.search(r"MBC Connect\b", mail.text + mail.html + mail.subject), f"{name}: not by the software"
        assert both(email, CONTACT) and both(email, CONTACT_EMAIL), f"{name}: a named person to write to"
        assert mime["Reply-To"] == CONTACT_EMAIL, f"{name}: replies go to the group's contact"
        # Someone declined is not invited to the meetings: her email has no schedule line.
        schedule = SCHEDULES[mail.to]
        assert both(email, schedule) == (email.kind != "declined"), f"{name}: the schedule in one line"


def test_anns_emails_speak_her_zone(gallery: Gallery) -> None:
    """Ann said she lives on Pacific time: every time in her emails is Pacific, never a bare MT."""
    hers = [e for e in gallery.emails if e.mail.to == "ann@example.org"]
    assert len(hers) >= 8
    for email in hers:
        words = email.mail.subject + email.mail.text
        assert "Mountain" not in words and not re.search(r"\b(MT|PT|MST|PST)\b", words), email.name
        if re.search(r"\d:\d\d [AP]M", words):
            assert " PM Pacific" in words, email.name
    reminder = next(e for e in hers if e.name == "reminder-day-before")
    assert reminder.mail.subject.startswith("Tomorrow 3:00 PM Pacific · ")
    assert "meets tomorrow at 3:00 PM Pacific." in reminder.mail.text
    [ics] = [a.content.decode() for a in reminder.mail.attachments if a.subtype == "calendar"]
    assert "DTSTART;TZID=America/Los_Angeles:20261201T150000" in ics


def test_the_organizers_words_read_as_theirs(gallery: Gallery) -> None:
    """A cancellation carries the organizer's own words under "A note from the organizers:" (as a
    decline does), never a bare "Note:" a reader could take for ours."""
    for name in ("cancelled-with-message", "declined"):
        email = next(e for e in gallery.emails if e.name == name)
        assert both(email, "A note from the organizers:"), name
        assert not re.search(r"(^|>)Note:", email.mail.text + email.mail.html, re.MULTILINE), name
    cancelled = next(e for e in gallery.emails if e.name == "cancelled-with-message")
    words = cancelled.mail.text.split("A note from the organizers:\n")[1]
    assert words.startswith("No meeting in July"), "her words follow on their own line"


def test_the_placeholders_leave_no_token_behind(gallery: Gallery) -> None:
    stable = Stabilizer()
    for email in gallery.emails:
        text, html = stable.text(email.mail.text), stable.html(email.mail.html)
        assert all(t.startswith("<") for t in re.findall(r"token=(\S+)", text)), email.name
        assert not re.search(r"/j/(?!<personal-link-\d>|PREVIEW)", text), email.name
        # The HTML keeps each link's length (the screenshot wraps as the real email does).
        assert len(html) == len(email.mail.html), email.name
        for token in re.findall(r"token=([A-Za-z0-9._\-]+)", email.mail.text):
            assert token not in text and token not in html, email.name
