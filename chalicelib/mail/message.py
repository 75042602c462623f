"""Builds MIME messages: plain text + HTML from templates, RFC 8058 unsubscribe headers, attachments."""

from __future__ import annotations

import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from chalicelib.templating import render


@dataclass
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    # Where replies go (the group's contact); None: the stage's MAIL_REPLY_TO, if any.
    reply_to: str | None = None


def render_email(template: str, /, *, to: str, unsubscribe_url: str | None = None, **context: Any) -> OutgoingEmail:
    """Render ``<template>.{subject.txt,txt,html}`` (e.g. ``signups/email/confirm``) into an email."""
    ctx = {"unsubscribe_url": unsubscribe_url, **context}
    subject = " ".join(render(f"{template}.subject.txt", **ctx).split())
    return OutgoingEmail(
        to=to,
        subject=subject,
        text=render(f"{template}.txt", **ctx),
        html=render(f"{template}.html", **ctx),
        unsubscribe_url=unsubscribe_url,
    )


# RFC 5322 allows 998-character lines; folding a long List-Unsubscribe URL with
# encoded words (what the default 78 does) would break the link.
_POLICY = email.policy.SMTP.clone(max_line_length=998)


def to_mime(mail: OutgoingEmail, sender: str, reply_to: str | None) -> EmailMessage:
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip(">").strip() or "mbc-connect.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    if mail.reply_to or reply_to:
        msg["Reply-To"] = mail.reply_to or reply_to
    if mail.unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to this URL.
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    for att in mail.attachments:
        msg.add_attachment(
            att.content, maintype=att.maintype, subtype=att.subtype, filename=att.filename, params=att.params
        )
    return msg
