"""The organization members know: the chapter's name, how to reach it, its website and logo.

Every email is signed and footed with it, every member page titled with it, the From name defaults
to it and the website widget names it: a newly diagnosed member trusted the chapter, not the
software. The values are deploy-time settings (``ORG_*``, from deploy/<org>.json's
"organization"; docs/deploy.md). Pure standard library: every page and email reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from chalicelib.settings import Settings


@dataclass(frozen=True)
class Organization:
    name: str
    sender_name: str
    tagline: str
    website_url: str | None
    email: str
    phone: str | None
    address: str | None
    logo_url: str | None

    @property
    def website_label(self) -> str | None:
        """The website as people say it: "mbc-idmt.org"."""
        if not self.website_url:
            return None
        host = urlsplit(self.website_url).netloc
        return host.removeprefix("www.") or self.website_url

    @property
    def logo_origin(self) -> str | None:
        """Scheme and host of the logo (what a page's CSP allows for images)."""
        if not self.logo_url:
            return None
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def contact_lines(self) -> list[str]:
        """The ways to reach the chapter, as configured: the email always, phone and postal address
        when set (one line each, for email footers)."""
        lines = [self.email]
        if self.phone:
            lines.append(self.phone)
        if self.address:
            lines.append(self.address)
        return lines


@lru_cache(maxsize=8)
def organization(settings: Settings) -> Organization:
    _, address = parseaddr(settings.mail_reply_to or settings.mail_from)
    website = settings.org_website_url or (settings.website_origins[0] if settings.website_origins else None)
    return Organization(
        name=settings.org_name.strip(),
        sender_name=(settings.org_sender_name or "").strip() or settings.org_name.strip(),
        tagline=settings.org_tagline.strip(),
        website_url=website.rstrip("/") if website else None,
        email=(settings.org_email or "").strip() or address,
        phone=(settings.org_phone or "").strip() or None,
        address=(settings.org_address or "").strip() or None,
        logo_url=settings.org_logo_url or None,
    )


def sender(settings: Settings) -> str:
    """The From header: MAIL_FROM as given when it has a display name, else the organization's
    sender name with MAIL_FROM's address ("Gem State & Big Sky MBC Network <connect@...>")."""
    display, address = parseaddr(settings.mail_from)
    if display or not address:
        return settings.mail_from
    return formataddr((organization(settings).sender_name, address))
