"""What counts as a website origin, and how often a container reads the stored list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.clock import SystemClock
from chalicelib.settings import Settings
from chalicelib.website.origins import normalize_origin, origin_of
from chalicelib.website.service import SiteService


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://www.example.org", "https://www.example.org"),
        ("HTTPS://WWW.Example.ORG/", "https://www.example.org"),
        ("  https://example.org  ", "https://example.org"),
        ("https://example.org:443", "https://example.org"),
        ("https://staging.example.org:8443", "https://staging.example.org:8443"),
        ("http://localhost:8001", "http://localhost:8001"),
        ("http://127.0.0.1:5173/", "http://127.0.0.1:5173"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_origins_are_normalised(raw: str, origin: str) -> None:
    assert normalize_origin(raw) == origin


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("http://www.example.org", "https://"),
        ("www.example.org", "https://"),
        ("ftp://example.org", "https://"),
        ("https://www.example.org/join", "without a path"),
        ("https://www.example.org?x=1", "without a path"),
        ("https://www.example.org/#top", "without a path"),
        ("https://user:pw@example.org", "user name"),
        ("https://exa mple.org", "web origin"),
        ("https://example.org\n", "example.org"),  # trimmed: fine
        ("https://bücher.example", "punycode"),
        ("https://example", "host"),
        ("https://-bad-.example.org", "host"),
        ("https://example.org:99999", "port"),
        ("", "web origin"),
        ("https://" + "a" * 250 + ".org", "web origin"),
    ],
)
def test_bad_origins_say_why(raw: str, why: str) -> None:
    if raw == "https://example.org\n":
        assert normalize_origin(raw) == "https://example.org"
        return
    with pytest.raises(ValueError, match=why):
        normalize_origin(raw)


def test_origin_of_a_page_address() -> None:
    assert origin_of("https://WWW.example.org:443/join?x=1") == "https://www.example.org"
    assert origin_of("http://127.0.0.1:8001/thank-you.html") == "http://127.0.0.1:8001"
    assert origin_of("javascript:alert(1)") is None
    assert origin_of("https://user@example.org/") is None
    assert origin_of("https://example.org:notaport/") is None


@dataclass
class FakeRepo:
    origins: list[str] = field(default_factory=list)
    reads: int = 0
    fail: Exception | None = None

    def get_origins(self) -> Any:
        self.reads += 1
        if self.fail is not None:
            raise self.fail
        return {"origins": list(self.origins), "version": 1, "updated_at": "t", "updated_by": "o"}

    def put_origins(self, record: Any, *, expected_version: int) -> None:
        self.origins = list(record["origins"])


@dataclass
class Ticker:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def service(repo: FakeRepo, ticker: Ticker) -> SiteService:
    settings = Settings(website_origins=("https://www.example.org",))
    return SiteService(repo, settings=settings, clock=SystemClock(), ticker=ticker)  # type: ignore[arg-type]


def test_deploy_time_origins_cost_no_read_and_others_one_read_a_minute() -> None:
    repo, ticker = FakeRepo(origins=["https://staging.example.org"]), Ticker()
    site = service(repo, ticker)
    assert site.origin_allowed("https://www.example.org")
    assert site.origin_allowed("HTTPS://WWW.EXAMPLE.ORG/")
    assert repo.reads == 0
    assert site.origin_allowed("https://staging.example.org")
    assert not site.origin_allowed("https://evil.example.com")
    assert repo.reads == 1  # cached
    repo.origins.append("https://evil.example.com")  # another container added it
    ticker.now += 59
    assert not site.origin_allowed("https://evil.example.com")
    ticker.now += 2
    assert site.origin_allowed("https://evil.example.com")  # seen within a minute
    assert repo.reads == 2
    assert not site.origin_allowed(None)
    assert not site.origin_allowed("")


def test_own_change_is_seen_at_once() -> None:
    repo, ticker = FakeRepo(), Ticker()
    site = service(repo, ticker)
    assert not site.origin_allowed("https://new.example.org")
    site._write(["https://new.example.org"], expected=0, by="org_1")
    assert site.origin_allowed("https://new.example.org")
    assert repo.reads == 1


def test_storage_outage_keeps_the_deploy_time_and_last_known_origins() -> None:
    from botocore.exceptions import EndpointConnectionError

    repo, ticker = FakeRepo(origins=["https://staging.example.org"]), Ticker()
    site = service(repo, ticker)
    assert site.origin_allowed("https://staging.example.org")
    repo.fail = EndpointConnectionError(endpoint_url="http://dynamodb")
    ticker.now += 120
    assert site.origin_allowed("https://staging.example.org")  # the last list read
    assert site.origin_allowed("https://www.example.org")
    fresh = service(repo, Ticker())
    assert not fresh.origin_allowed("https://staging.example.org")  # never read: closed
    assert fresh.origin_allowed("https://www.example.org")
    repo.fail = RuntimeError("a bug")
    ticker.now += 120
    with pytest.raises(RuntimeError):
        site.origin_allowed("https://other.example.org")


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://site.org/path", "https://site.org"),
        ("https://WWW.Site.org/join-us?ref=news#form", "https://www.site.org"),
        ("http://localhost:8001/embed.html", "http://localhost:8001"),
    ],
)
def test_a_pasted_page_address_is_trimmed_to_its_origin_with_a_note(raw: str, origin: str) -> None:
    """Issue 21 item 11: an admin pastes the page she is on; we keep the site and say so."""
    from chalicelib.website.origins import trim_to_origin

    trimmed, note = trim_to_origin(raw)
    assert trimmed == origin and note is not None and origin in note and "every page" in note
    assert trim_to_origin("https://site.org") == ("https://site.org", None)  # an origin: no note


@pytest.mark.parametrize(
    "raw", ["http://site.org/join", "https://user:pw@site.org/x", "site.org/join", "ftp://x.org/a"]
)
def test_a_page_address_that_is_no_website_is_still_refused_with_the_reason(raw: str) -> None:
    from chalicelib.website.origins import trim_to_origin

    with pytest.raises(ValueError):
        trim_to_origin(raw)
