"""The email gallery (issue 15): every email a member or an organizer can receive, rendered through
the real code paths, screenshotted, and written up in docs/emails.md for review.

    python -m devtools.email_gallery            # docs/emails.md and docs/screenshots/email-*.png
    python -m devtools.email_gallery --no-browser   # docs/emails.md only (no chromium)

`make screenshots` runs it. Nothing here copies a template: one story is played on a moto-backed
container (the same wiring as tests/support/stacks.py), through the HTTP API (chalice.test), the
organizer console, the outbox's handlers (the sweep the scheduled run does, as `Stack.drain` does on
moto) and the scheduled distribution run (``Distributor.run`` at chosen instants). A mailer that
keeps every ``OutgoingEmail`` stands in for SES.

The story: Maria Lopez organizes the MBC Connection Group (first Tuesday of every month, 4 PM
Mountain Time) and is its contact. Ann Example, in Idaho, signs up, confirms, is approved, signs
up again by mistake, asks for her link again, gets a new personal link, an announcement, both
reminders of the December meeting, and every notice about the January one (moved, cancelled,
back on, new joining details, re-sent). Jo Sample, in Montana, is declined with a note; Rosa
Example is added by hand. Maria signs in to the console and invites Sam Rivera as an organizer.

``render_gallery()`` is the rendering step without the browser (tests/integration/
test_email_gallery.py runs it). Tokens and personal links are replaced by stable placeholders
(``Stabilizer``) so the files do not change between runs. Nothing personal is logged: it prints
file names only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlencode, urlsplit

from chalicelib import container
from chalicelib.container import Container
from chalicelib.mail.message import OutgoingEmail, to_mime
from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# The organizer's own words with a cancellation months ahead (issue 21 item 3).
JULY_MESSAGE = "No meeting in July: enjoy the summer. We meet again on Tuesday, August 3."
# How this machine launches Debian's chromium (the same as tests/e2e/test_browser.py CHROMIUM and FLAGS).
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDTH = 600

GROUP_ID = "mbc-connection-group"
API = "https://connect.example.org"
CONTACT_NAME, CONTACT_EMAIL = "Maria Lopez", "maria@example.org"
ANN = {"name": "Ann Example", "email": "ann@example.org", "state": "ID"}
JO = {"name": "Jo Sample", "email": "jo@example.org", "state": "MT"}
ROSA = {"name": "Rosa Example", "email": "rosa@example.org", "state": "MT"}
SAM = {"name": "Sam Rivera", "email": "sam@example.org"}
LEE = {"name": "Lee Example", "email": "lee@example.org"}
MEETING_ID, NEW_MEETING_ID = "987 6543 2100", "876 5432 1099"
DIAL_IN = ["+1 208 555 0142", "+1 406 555 0199"]

ENV = {
    "STAGE": "gallery",
    "TABLE_NAME": "mbc-gallery",
    "MAIL_BACKEND": "outbox",
    "MAIL_FROM": "MBC Connect <connect@example.org>",
    "PUBLIC_API_URL": API,
    "WEBSITE_ORIGINS": "https://www.example.org",
    "MAX_SEND_RATE": "10000",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-west-2",
    "AWS_REGION": "us-west-2",
}
# What the environment must not carry into the gallery (it would point at real keys or a real table).
UNSET = ("DYNAMODB_ENDPOINT", "SIGNING_KEY_PARAM", "SIGNING_KEY_PREVIOUS_PARAM", "IDENTITY_KEY_PARAM")

# Outbox kinds that are not emails of their own, with the reason (the test checks every other kind
# has an email in the gallery).
KINDS_WITHOUT_EMAIL = {
    "catch_up": "sends nothing itself: it runs the distribution for a member just approved, whose emails "
    "are the reminders and notices in this gallery",
    "member_import": "sends nothing itself: it adds one chunk of an organizer's list, each person with their "
    "own email (new_system or confirm, in this gallery)",
}

Audience = Literal["member", "declined", "organizer"]


@dataclass
class GalleryEmail:
    """One email of the gallery: what it is, who gets it and when, and the message itself."""

    name: str  # docs/screenshots/email-<name>.png
    title: str
    audience: Audience
    when: str
    mail: OutgoingEmail
    mime: EmailMessage

    @property
    def kind(self) -> str:
        return self.mail.tags.get("kind", "")


@dataclass
class Gallery:
    emails: list[GalleryEmail]
    # Every kind the outbox's sender has a handler for (container.py), and the distribution's kinds.
    handler_kinds: set[str]
    meeting_kinds: set[str]


# ---------------------------------------------------------------- the stand-ins


class KeepingMailer:
    """Keeps every email it is given (the FakeSes of tests/support/fakes.py, without the faults)."""

    def __init__(self) -> None:
        self.accepted: list[OutgoingEmail] = []

    def send(self, mail: OutgoingEmail) -> str:
        self.accepted.append(mail)
        return f"gallery-{len(self.accepted)}"


class StoryClock:
    """The story's clock: held still, moved on by the story."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The gallery's variables for the duration (restored after, so a test can run it)."""
    saved = {name: os.environ.get(name) for name in (*values, *UNSET)}
    for name in UNSET:
        os.environ.pop(name, None)
    os.environ.update(values)
    container.reset()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        container.reset()


# ---------------------------------------------------------------- the story


class Story:
    """The app under chalice.test on a moto table, with the outbox drained after each request."""

    def __init__(self, settings: Settings, clock: StoryClock, mailer: KeepingMailer) -> None:
        from chalice.test import Client

        from app import app
        from chalicelib.aws import dynamodb_client
        from chalicelib.table import ensure_table

        client = dynamodb_client(settings)
        ensure_table(client, settings.table_name)
        self.clock = clock
        self.mailer = mailer
        # One worker: moto is not thread-safe (as Stack.build does on moto).
        self.c: Container = container.build(
            settings=settings,
            clock=clock,
            dynamodb=client,
            mailer=mailer,
            sleep=lambda _seconds: None,
            workers=1,
        )
        container.install(self.c)
        self.client = Client(app, stage_name="local", project_dir=str(ROOT))
        self.key = ""
        self.cookie: str | None = None
        self.emails: list[GalleryEmail] = []
        self._seen = 0

    # -------------------------------------------------------- plumbing

    def at(self, moment: str) -> None:
        self.clock.set(datetime.fromisoformat(moment))

    def drain(self) -> None:
        """What the table's stream does within a second in AWS (on moto: the scheduled run's sweep)."""
        container.install(self.c)
        for _ in range(6):
            done = self.c.outbox.sweep(pending_intake=self.c.signups.pending_intakes, min_age=timedelta(0))
            if not done.get("processed"):
                break

    def call(self, method: str, path: str, body: Any = None, *, form: bool = False, organizer: bool = False) -> Any:
        headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
        if organizer:
            headers["Authorization"] = f"Bearer {self.key}"
        if self.cookie and path.startswith("/console"):
            headers["Cookie"] = f"mbc_console={self.cookie}"
        if body is None:
            raw = b""
        elif form:
            raw = urlencode(body).encode()
        else:
            raw = json.dumps(body).encode()
        response = getattr(self.client.http, method.lower())(path, headers=headers, body=raw)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.body[:300]!r}")
        self.drain()
        return response

    def run_distribution(self, moment: str) -> None:
        """The scheduled run (every 15 minutes in AWS) at ``moment``."""
        self.at(moment)
        self.c.distributor.run()

    def keep(self, name: str, title: str, audience: Audience, when: str, *, kind: str, to: str) -> OutgoingEmail:
        """The one email sent since the last keep, which must be of ``kind`` and to ``to``: the story
        fails loudly on a missing, doubled or unexpected email (the gallery cannot silently miss one)."""
        new = self.mailer.accepted[self._seen :]
        self._seen = len(self.mailer.accepted)
        if len(new) != 1 or new[0].tags.get("kind") != kind or new[0].to != to:
            kinds = [str(m.tags.get("kind")) for m in new]
            raise RuntimeError(f"{name or kind}: expected one {kind} email, the story sent {kinds}")
        mail = new[0]
        s = self.c.settings
        self.emails.append(GalleryEmail(name, title, audience, when, mail, to_mime(mail, s.mail_from, s.mail_reply_to)))
        return mail

    def check_all_kept(self) -> None:
        if self._seen != len(self.mailer.accepted):
            kinds = [str(m.tags.get("kind")) for m in self.mailer.accepted[self._seen :]]
            raise RuntimeError(f"the story sent emails the gallery does not show: {kinds}")

    def skip(self, *, kind: str, to: str) -> OutgoingEmail:
        """Like ``keep``, for an email already in the gallery (not shown twice)."""
        mail = self.keep("", "", "member", "", kind=kind, to=to)
        self.emails.pop()
        return mail

    def signup_id(self, email: str) -> str:
        from chalicelib.signups.addresses import signup_id_for

        return signup_id_for(GROUP_ID, email)

    def start_session(self, signin: OutgoingEmail) -> None:
        """Open the sign-in email's link in the console, as the organizer's browser would."""
        link = "/console/sign-in/link?" + urlencode({"token": _token_in(signin, "/console/sign-in/link")})
        self.cookie = None
        response = self.call("POST", link, {}, form=True)
        found = re.match(r"mbc_console=([^;]*)", str(response.headers.get("Set-Cookie", "")))
        if not found:
            raise RuntimeError("the console did not start a session")
        self.cookie = found.group(1)

    def sign_in_again(self) -> None:
        """A new console session (the last one has ended): its sign-in email is the one shown already."""
        self.call("POST", "/console/sign-in", {"email": CONTACT_EMAIL}, form=True)
        self.start_session(self.skip(kind="console_signin", to=CONTACT_EMAIL))

    def console_csrf(self, path: str) -> str:
        page = self.call("GET", path).body.decode()
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def console_post(self, path: str, fields: list[tuple[str, str]]) -> Any:
        response = self.call("POST", path, [*fields, ("csrf", self.console_csrf("/console"))], form=True)
        if response.status_code != 303:
            raise RuntimeError(f"POST {path}: {response.status_code}")
        return response


def _token_in(mail: OutgoingEmail, path: str) -> str:
    match = re.search(re.escape(path) + r"\?token=([A-Za-z0-9._\-]+)", mail.text)
    if not match:
        raise RuntimeError(f"no {path} link in the email")
    return match.group(1)


def play(story: Story) -> None:
    """The story, in the order a group lives it. Each ``keep`` names the email it expects."""
    c = story.c
    g = f"/groups/{GROUP_ID}"
    story.at("2026-11-16T17:00:00+00:00")  # Monday, 10 AM Mountain
    _, story.key = c.organizers.create(name=CONTACT_NAME, email=CONTACT_EMAIL, role="admin")
    story.call(
        "POST",
        "/groups",
        {
            "id": GROUP_ID,
            "name": "MBC Connection Group",
            "description": "A monthly video meeting for people living with metastatic breast cancer.",
            "eligibility": "Adults living with metastatic breast cancer in Idaho or Montana.",
            "schedule": {"rrule": "FREQ=MONTHLY;BYDAY=1TU", "start_time": "16:00", "timezone": "America/Denver"},
            "zoom_url": "https://example.zoom.us/j/98765432100?pwd=SampleRoomLink",
            "zoom_passcode": "424242",
            "zoom_meeting_id": MEETING_ID,
            "zoom_dial_in": DIAL_IN,
            "contact_name": CONTACT_NAME,
            "contact_email": CONTACT_EMAIL,
            "requires_approval": True,
        },
        organizer=True,
    )

    # Ann signs up, confirms, is approved.
    story.call("POST", f"{g}/signups", {**ANN, "consent": True})
    confirm = story.keep(
        "confirm",
        "Confirm your email",
        "member",
        "Right after someone sends the signup form (and again if they ask for their link before confirming).",
        kind="confirm",
        to=ANN["email"],
    )
    story.call("POST", "/signups/confirm?" + urlencode({"token": _token_in(confirm, "/signups/confirm")}))
    story.at("2026-11-16T17:07:00+00:00")  # organizer notices go in batches, a few minutes apart
    story.drain()
    story.keep(
        "organizer-notice",
        "Signups waiting (to organizers)",
        "organizer",
        "When someone confirms their email and the group needs approval: to the group's organizers "
        "(the admins if it has none), one email per few minutes however many confirm, naming how many wait.",
        kind="organizer_notice",
        to=CONTACT_EMAIL,
    )
    story.at("2026-11-16T19:30:00+00:00")
    story.call("POST", f"{g}/signups/{story.signup_id(ANN['email'])}/approve", organizer=True)
    story.keep(
        "welcome",
        "Welcome (with the meetings as one calendar series)",
        "member",
        "When an organizer approves the signup; at once after confirming if the group needs no approval "
        "or an organizer added the person by hand.",
        kind="welcome",
        to=ANN["email"],
    )

    # Ann signs up again by mistake; Jo signs up twice and is declined; Rosa is added by hand.
    story.at("2026-11-17T16:00:00+00:00")
    story.call("POST", f"{g}/signups", {**ANN, "consent": True})
    story.keep(
        "already-member",
        "Already signed up",
        "member",
        "When a member sends the signup form again.",
        kind="already_member",
        to=ANN["email"],
    )
    story.call("POST", f"{g}/signups", {**JO, "consent": True})
    jo_confirm = story.skip(kind="confirm", to=JO["email"])  # the same email as Ann's
    story.call("POST", "/signups/confirm?" + urlencode({"token": _token_in(jo_confirm, "/signups/confirm")}))
    story.at("2026-11-17T16:07:00+00:00")
    story.drain()
    story.skip(kind="organizer_notice", to=CONTACT_EMAIL)  # the same email as for Ann
    story.at("2026-11-17T17:00:00+00:00")
    story.call("POST", f"{g}/signups", {**JO, "consent": True})
    story.keep(
        "already-member-waiting",
        "Already signed up, still waiting for approval",
        "member",
        "When someone waiting for approval sends the signup form again, or asks for the link again.",
        kind="already_member",
        to=JO["email"],
    )
    story.call(
        "POST",
        f"{g}/signups/{story.signup_id(JO['email'])}/reject",
        {"message": "Our group is for people living in Idaho and Montana. The groups listed above meet online."},
        organizer=True,
    )
    story.keep(
        "declined",
        "Declined (with the organizer's note)",
        "declined",
        "When an organizer declines a confirmed signup. No unsubscribe link by design: nothing follows it.",
        kind="declined",
        to=JO["email"],
    )

    # The console: Maria signs in (the sign-in email), adds Rosa by hand, invites Sam.
    story.at("2026-11-18T16:00:00+00:00")
    story.call("POST", "/console/sign-in", {"email": CONTACT_EMAIL}, form=True)
    signin = story.keep(
        "console-sign-in",
        "Console sign-in link (to organizers)",
        "organizer",
        "When an organizer asks to sign in to the console.",
        kind="console_signin",
        to=CONTACT_EMAIL,
    )
    story.start_session(signin)
    story.console_post(
        f"/console/groups/{GROUP_ID}/members/add",
        [("name", ROSA["name"]), ("email", ROSA["email"]), ("state", ROSA["state"]), ("consent", "yes")],
    )
    story.keep(
        "confirm-added",
        "Confirm your email (added by an organizer)",
        "member",
        "When an organizer adds someone by hand in the console (they confirm before anything else is sent).",
        kind="confirm",
        to=ROSA["email"],
    )
    invite = [("name", SAM["name"]), ("email", SAM["email"]), ("groups", GROUP_ID)]
    story.console_post("/console/organizers/new", invite)
    story.keep(
        "console-invite",
        "You are now an organizer (to organizers)",
        "organizer",
        "When an admin adds an organizer in the console.",
        kind="console_invite",
        to=SAM["email"],
    )

    # Ann asks for her link again; Maria replaces Ann's personal link.
    story.at("2026-11-19T02:00:00+00:00")  # Wednesday evening
    story.call("POST", f"{g}/resend", {"email": ANN["email"]})
    story.keep(
        "your-link",
        "Send me the link again",
        "member",
        'When a member asks for her link on the "send me the link again" page.',
        kind="your_link",
        to=ANN["email"],
    )
    story.at("2026-11-19T17:00:00+00:00")
    story.call("POST", f"{g}/signups/{story.signup_id(ANN['email'])}/join-link", organizer=True)
    story.keep(
        "new-link",
        "A new personal link",
        "member",
        "When an organizer replaces a member's personal link (the old one stops working at once).",
        kind="new_join_link",
        to=ANN["email"],
    )

    # An announcement: the preview to its author, then the email to every member.
    story.at("2026-11-20T17:00:00+00:00")
    draft = story.call(
        "POST",
        f"{g}/announcements",
        {
            "subject": "A guest at our December meeting",
            "body": "At our meeting on December 1, a nurse navigator will join us for the first half hour "
            "to answer questions about tiredness and sleep.\n\n"
            "You don't need to prepare anything. Come as you are, with your camera on or off.\n\n"
            "If you would like to send a question ahead, just reply to this email.\n"
            "More about tiredness: https://www.example.org/tiredness",
            "attach_invite": True,
        },
        organizer=True,
    )
    story.keep(
        "announcement-preview",
        "Announcement preview (to its author)",
        "organizer",
        "When an organizer drafts or edits an announcement: to that organizer only.",
        kind="announcement_preview",
        to=CONTACT_EMAIL,
    )
    drafted = json.loads(draft.body)
    story.call("POST", f"{g}/announcements/{drafted['id']}/send", {"version": drafted["version"]}, organizer=True)
    story.keep(
        "announcement",
        "Announcement",
        "member",
        "When an organizer sends an announcement: to every active member, once.",
        kind="announcement",
        to=ANN["email"],
    )

    # The December meeting: both reminders, from the scheduled run.
    story.run_distribution("2026-11-30T23:00:00+00:00")  # the day before, 4 PM Mountain
    story.keep(
        "reminder-day-before",
        "Reminder, the day before",
        "member",
        "24 hours before each meeting (the group's first reminder lead time).",
        kind="reminder",
        to=ANN["email"],
    )
    story.run_distribution("2026-12-01T22:00:00+00:00")  # 3 PM Mountain
    story.keep(
        "reminder-1-hour",
        "Reminder, 1 hour before",
        "member",
        "1 hour before each meeting (the group's last reminder lead time).",
        kind="reminder",
        to=ANN["email"],
    )

    # The January meeting: moved, cancelled, back on, new joining details, re-sent.
    january = f"{g}/meetings/2027-01-05"
    story.at("2026-12-08T17:00:00+00:00")
    story.call("PUT", january, {"starts_at": "2027-01-05T17:00:00-07:00"}, organizer=True)
    story.run_distribution("2026-12-08T17:15:00+00:00")
    story.keep(
        "moved",
        "A meeting moved",
        "member",
        "At the next scheduled run (within 15 minutes) after an organizer moves a meeting, to every active "
        "member once it is within the group's announcement horizon (35 days).",
        kind="changed",
        to=ANN["email"],
    )
    story.at("2026-12-09T17:00:00+00:00")
    story.call("PUT", january, {"status": "cancelled"}, organizer=True)
    story.run_distribution("2026-12-09T17:15:00+00:00")
    story.keep(
        "cancelled",
        "A meeting cancelled",
        "member",
        "At the next scheduled run after an organizer cancels a meeting (within the announcement horizon).",
        kind="cancelled",
        to=ANN["email"],
    )
    story.at("2026-12-10T17:00:00+00:00")
    story.call("DELETE", january, organizer=True)
    story.run_distribution("2026-12-10T17:15:00+00:00")
    story.keep(
        "back-on",
        "A cancelled meeting back on",
        "member",
        "At the next scheduled run after an organizer takes back a cancellation members were told about.",
        kind="back_on",
        to=ANN["email"],
    )
    # "No meeting in July": cancelled seven months ahead with the organizer's words, told now.
    story.at("2026-12-10T18:00:00+00:00")
    story.call(
        "PUT",
        f"{g}/meetings/2027-07-06",
        {"status": "cancelled", "note": JULY_MESSAGE, "tell_now": True},
        organizer=True,
    )
    story.run_distribution("2026-12-10T18:15:00+00:00")
    story.keep(
        "cancelled-with-message",
        "A meeting cancelled months ahead, with the organizer's message",
        "member",
        "At the next scheduled run (within 15 minutes) after an organizer cancels any meeting ahead with "
        '"Tell them now, with your message" ticked (otherwise the group\'s announcement horizon before it).',
        kind="cancelled",
        to=ANN["email"],
    )
    story.at("2026-12-11T17:00:00+00:00")
    settings = json.loads(story.call("GET", f"{g}/settings", organizer=True).body)
    story.call(
        "PATCH", f"{g}/settings", {"version": settings["version"], "zoom_meeting_id": NEW_MEETING_ID}, organizer=True
    )
    story.run_distribution("2026-12-11T17:15:00+00:00")
    story.keep(
        "new-joining-details",
        "New joining details",
        "member",
        "At the next scheduled run after the meeting ID, phone numbers or passcode change, to members "
        "told about an upcoming meeting.",
        kind="changed",
        to=ANN["email"],
    )
    story.at("2026-12-12T17:00:00+00:00")
    story.sign_in_again()
    story.console_post(
        f"/console/groups/{GROUP_ID}/meetings/2027-01-05/resend", [("person", story.signup_id(ANN["email"]))]
    )
    story.keep(
        "resent",
        "The meeting's message re-sent by an organizer",
        "member",
        'When an organizer presses "Re-send" for a member on the meeting\'s "Who was sent what" page '
        "(the reminder with the link, or the cancellation).",
        kind="meeting_resend",
        to=ANN["email"],
    )

    # Last (so the placeholders above keep their numbers): Maria brings her existing list.
    # Lee asked her to join last spring (as a member, no confirming).
    listed = "First Name,Last Name,E-mail Address,State/Province\r\nLee,Example,lee@example.org,ID (north)\r\n"
    checked = story.console_post(f"/console/groups/{GROUP_ID}/members/import", [("csv", listed)])
    job_path = urlsplit(str(checked.headers["Location"])).path
    version = re.search(r'name="version" value="(\d+)"', story.call("GET", job_path).body.decode())
    if version is None:
        raise RuntimeError("the checked list has no go-ahead form")
    choices = [("mode", "members"), ("basis", "asked_coordinator"), ("basis_on", "2026-04-01"), ("consent", "yes")]
    story.console_post(job_path, [*choices, ("version", version.group(1)), ("action", "commit")])
    story.drain()  # the chunk is added, then its people's emails go
    moved = story.keep(
        "new-system",
        "We have moved: your own link (imported from the organizer's list)",
        "member",
        "When an organizer imports her existing list as members (they asked her to join): one email, nothing "
        "to confirm, with their own link and the basis of consent she recorded.",
        kind="new_system",
        to=LEE["email"],
    )
    # Lee would rather not: she leaves from that email.
    story.call(
        "POST", "/signups/unsubscribe?" + urlencode({"token": _token_in(moved, "/signups/unsubscribe")}), {}, form=True
    )


def render_gallery() -> Gallery:
    """Play the story on a fresh moto table and return every email it produced (no browser)."""
    from moto import mock_aws

    from chalicelib import metrics
    from chalicelib.meetings.mail import MeetingEmailKind

    previous_stream = metrics._stream
    with tempfile.TemporaryDirectory(prefix="mbc-gallery-") as state, open(os.devnull, "w") as quiet:
        metrics.use_stream(quiet)  # the run summaries (ids and counts) are not the gallery's business
        env = {**ENV, "LOCAL_STATE_DIR": state, "OUTBOX_DIR": os.path.join(state, "outbox")}
        # Fixed keys (for this throwaway table only): signup ids, personal links and the tokens'
        # lengths come out the same every run, so the screenshots do not change between runs.
        for name in ("signing-key", "identity-key"):
            Path(state, name).write_text(f"email-gallery-{name}-not-a-secret-anywhere-else\n")
        try:
            with _environment(env), mock_aws():
                settings = Settings.from_env(env)
                story = Story(settings, StoryClock(datetime(2026, 11, 16, 17, tzinfo=UTC)), KeepingMailer())
                with story.client:
                    play(story)
                story.check_all_kept()
                handler_kinds = set(story.c.outbox.handlers)
        finally:
            metrics.use_stream(previous_stream)
    return Gallery(story.emails, handler_kinds, set(get_args(MeetingEmailKind)))


# ---------------------------------------------------------------- what the footer promises

SCHEDULE_LINE = "First Tuesday of every month, 4:00 PM Mountain Time"
CHECKS = ("Stop link", "RFC 8058 headers", "Erase link", "Named contact", "Reply-To contact", "Schedule line")


def footer_checks(email: GalleryEmail) -> dict[str, bool]:
    """What every member email promises (signups/member_mail.py), checked in both parts and the headers."""
    mail, mime = email.mail, email.mime

    def both(needle: str) -> bool:
        return needle in mail.text and needle in mail.html

    url = mail.unsubscribe_url
    return {
        "Stop link": bool(url) and both(str(url)),
        "RFC 8058 headers": bool(url)
        and mime["List-Unsubscribe"] == f"<{url}>"
        and mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click",
        "Erase link": both("/signups/erase?token="),
        "Named contact": both(CONTACT_NAME) and both(CONTACT_EMAIL),
        "Reply-To contact": mime["Reply-To"] == CONTACT_EMAIL,
        "Schedule line": both(SCHEDULE_LINE),
    }


def expected_checks(email: GalleryEmail) -> set[str]:
    """The footer items an email must have: all for a member, all but the stop link for a decline
    (nothing follows it: by design), none required of organizers' emails."""
    if email.audience == "member":
        return set(CHECKS)
    if email.audience == "declined":
        return set(CHECKS) - {"Stop link", "RFC 8058 headers"}
    return set()


# ---------------------------------------------------------------- stable placeholders


class Stabilizer:
    """Replaces tokens and personal links with placeholders that do not change between runs:
    readable ones for the text (``<confirm-token>``), and in the HTML ones of the same length (so a
    screenshot wraps a long link as the real email does)."""

    PATTERNS = (
        re.compile(r"(?<=/signups/)(confirm|unsubscribe|erase)\?token=([A-Za-z0-9._\-]+)"),
        re.compile(r"(?<=/console/)(sign-in)/link\?token=([A-Za-z0-9_\-]+)"),
        re.compile(r"(?<=/j/)()([A-Za-z0-9_\-]{27})(?![A-Za-z0-9_\-])"),
    )

    def __init__(self) -> None:
        self.links: dict[str, str] = {}  # a personal link's token -> "personal-link-<n>"

    def label(self, purpose: str, token: str) -> str:
        if purpose:
            return f"{purpose}-token"
        if token not in self.links:
            self.links[token] = f"personal-link-{len(self.links) + 1}"
        return self.links[token]

    def text(self, value: str) -> str:
        return self._replace(value, padded=False)

    def html(self, value: str) -> str:
        return self._replace(value, padded=True)

    def _replace(self, value: str, *, padded: bool) -> str:
        def swap(match: re.Match[str]) -> str:
            purpose, token = match.group(1), match.group(2)
            name = self.label(purpose, token)
            name = _filled(name.upper() + "-", len(token)) if padded else f"<{name}>"
            whole = match.group(0)
            return whole[: len(whole) - len(token)] + name

        for pattern in self.PATTERNS:
            value = pattern.sub(swap, value)
        return value


def _filled(head: str, length: int) -> str:
    """``head`` then letters that look like a token (the same every run), ``length`` characters in all."""
    filler = base64.urlsafe_b64encode(hashlib.sha256(head.encode()).digest() * 8).decode()
    return (head + filler)[:length] if length > len(head) else head.rstrip("-")


# ---------------------------------------------------------------- docs/emails.md and the screenshots

DOC_HEAD = """# The emails

Every email a member or an organizer can receive, as the code renders it: the subject, who gets
it and when, a screenshot of the HTML part (600 px wide), and the plain-text part, which must read
well on its own. Generated by `devtools/email_gallery.py` (`make screenshots`, or
`.venv/bin/python -m devtools.email_gallery`): do not edit by hand.

The sample story: Maria Lopez (maria@example.org) organizes the MBC Connection Group (first
Tuesday of every month, 4 PM Mountain Time, with a meeting ID and dial-in numbers) and is its
contact. Ann Example, in Idaho, signs up and lives through every member email; Jo Sample is
declined with a note; Rosa Example is added by hand; Lee Example comes from Maria's existing
list; Sam Rivera is invited as an organizer. Every
email goes through the real code path: the HTTP API, the console, the outbox's handlers and the
scheduled distribution run, on a moto table, with a stand-in for SES.

Tokens and personal links are placeholders (`<confirm-token>`, `<personal-link-1>`; in the
screenshots, the same names in capitals, filled to the real length), so this file changes only
when an email does. `tests/integration/test_email_gallery.py` checks that every kind of email is
here and that every member email keeps the footer's promises.
"""


def _mark(ok: bool) -> str:
    return "yes" if ok else "**NO**"


# The order of docs/emails.md: a member's emails as she meets them, then the organizers'.
DOC_ORDER = (
    "confirm",
    "confirm-added",
    "welcome",
    "new-system",
    "already-member",
    "already-member-waiting",
    "your-link",
    "new-link",
    "announcement",
    "reminder-day-before",
    "reminder-1-hour",
    "moved",
    "cancelled",
    "back-on",
    "new-joining-details",
    "resent",
    "declined",
    "organizer-notice",
    "announcement-preview",
    "console-sign-in",
    "console-invite",
)


def write_doc(emails: list[GalleryEmail], stable: Stabilizer, path: Path) -> None:
    rank = {name: n for n, name in enumerate(DOC_ORDER)}
    emails = sorted(emails, key=lambda e: rank.get(e.name, len(rank)))
    lines = [DOC_HEAD, "## The footer every member email promises", ""]
    lines.append("| Email | " + " | ".join(CHECKS) + " |")
    lines.append("| --- |" + " --- |" * len(CHECKS))
    for email in emails:
        if email.audience == "organizer":
            continue
        checks, wanted = footer_checks(email), expected_checks(email)
        cells = [_mark(checks[name]) if name in wanted else "none (by design)" for name in CHECKS]
        lines.append(f"| [{email.title}](#{email.name}) | " + " | ".join(cells) + " |")
    lines.append("")
    for heading, audiences in (("Emails to members", ("member", "declined")), ("Emails to organizers", ("organizer",))):
        lines += [f"## {heading}", ""]
        for email in emails:
            if email.audience in audiences:
                lines += _section(email, stable)
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def _section(email: GalleryEmail, stable: Stabilizer) -> list[str]:
    mail, mime = email.mail, email.mime
    facts = [
        f"- **Subject:** {mail.subject}",
        f"- **To:** {mail.to}" + (f"; replies go to {mime['Reply-To']}" if mime["Reply-To"] else ""),
        f"- **When:** {email.when}",
        f"- **Outbox or distribution kind:** `{email.kind}`",
    ]
    if mime["List-Unsubscribe"]:
        facts.append("- **Headers:** `List-Unsubscribe` (the stop link) and `List-Unsubscribe-Post: One-Click`")
    for attachment in mail.attachments:
        method = attachment.params.get("method", "")
        facts.append(f"- **Attachment:** `{attachment.filename}` (calendar, {method})")
    text = stable.text(mail.text).strip("\n")
    return [
        f'<a id="{email.name}"></a>',
        f"### {email.title}",
        "",
        *facts,
        "",
        f"![{email.title}](screenshots/email-{email.name}.png)",
        "",
        "```text",
        text,
        "```",
        "",
    ]


# Text a reader sees in a size under 16 px (computed by the browser), for the review.
SMALL_TEXT_JS = """
() => {
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim());
    if (!own.length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 16) found.push(`${size}px <${el.tagName.toLowerCase()}>: ${own.join(' ').slice(0, 50)}`);
  }
  return found;
}
"""


def screenshot(emails: list[GalleryEmail], stable: Stabilizer, folder: Path) -> dict[str, list[str]]:
    """Each email's HTML part in Debian's chromium at 600 px, full page, into ``folder``; returns the
    text under 16 px found in each (for the review)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian chromium is missing: run `make browser` (apt-get install chromium)")
    folder.mkdir(parents=True, exist_ok=True)
    small: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": 800}, device_scale_factor=1)
            page = context.new_page()
            for email in emails:
                page.set_content(stable.html(email.mail.html), wait_until="load")
                found = page.evaluate(SMALL_TEXT_JS)
                if found:
                    small[email.name] = [str(line) for line in found]
                page.screenshot(path=str(folder / f"email-{email.name}.png"), full_page=True)
            context.close()
        finally:
            browser.close()
    return small


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=Path, default=DOCS, help="where emails.md and screenshots/ go (default: docs/)")
    parser.add_argument("--no-browser", action="store_true", help="write emails.md only (no screenshots)")
    args = parser.parse_args(argv)
    gallery = render_gallery()
    stable = Stabilizer()
    for email in gallery.emails:  # number the personal links in the order the story shows them
        stable.text(email.mail.text)
    docs: Path = args.docs
    docs.mkdir(parents=True, exist_ok=True)
    write_doc(gallery.emails, stable, docs / "emails.md")
    print(f"wrote {docs / 'emails.md'} ({len(gallery.emails)} emails)")
    if args.no_browser:
        return 0
    folder = docs / "screenshots"
    names = {f"email-{e.name}.png" for e in gallery.emails}
    for old in folder.glob("email-*.png"):
        if old.name not in names:
            old.unlink()  # an email no longer in the gallery
    small = screenshot(gallery.emails, stable, folder)
    print(f"wrote {len(names)} screenshots to {folder}/email-*.png")
    for name, lines in small.items():
        print(f"review: text under 16 px in email-{name}.png:")
        for line in lines:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
