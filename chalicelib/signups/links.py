"""Member links in emails (confirm, unsubscribe, erase, manage): signed single-purpose tokens that
name the signup and the generation of the record they were made for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from chalicelib.errors import LinkProblem
from chalicelib.settings import Settings
from chalicelib.signing import TokenError, make_token, read_token

Purpose = Literal["confirm", "unsubscribe", "erase", "manage"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe", "erase", "manage")

# reason -> (title, what to do): shown on the page, and as the error message and field reason.
LINK_PROBLEMS = {
    "expired": (
        "This link has expired",
        "For your safety these links only work for a limited time. Please sign up again.",
    ),
    "invalid": ("This link is not valid", "Please use the most recent link we emailed you, copied in full."),
    "gone": (
        "This link is out of date",
        "We sent a newer email since, or the signup it belongs to was replaced, expired or erased. "
        "Please use the most recent email from us, or sign up again.",
    ),
}


def link_problem(reason: str) -> LinkProblem:
    title, detail = LINK_PROBLEMS.get(reason, LINK_PROBLEMS["invalid"])
    return LinkProblem(reason if reason in LINK_PROBLEMS else "invalid", title + ".", detail=detail)


@dataclass(frozen=True)
class MemberLink:
    group_id: str
    signup_id: str
    gen: str
    # A confirmation link for details posted again while pending: the proposal it confirms.
    proposal: str | None = None


def member_url(purpose: Purpose, member: MemberLink, settings: Settings) -> str:
    payload = {"g": member.group_id, "s": member.signup_id, "n": member.gen}
    if member.proposal:
        payload["p"] = member.proposal
    token = make_token(purpose, payload, settings)
    return f"{settings.public_api_url}/signups/{purpose}?{urlencode({'token': token})}"


def read_member_link(token: str | None, purpose: Purpose, settings: Settings) -> MemberLink:
    """The link a token stands for; ``LinkProblem`` if it is damaged, foreign or expired."""
    try:
        data = read_token(token, purpose, settings)
        proposal = data.get("p")
        return MemberLink(str(data["g"]), str(data["s"]), str(data["n"]), str(proposal) if proposal else None)
    except TokenError as exc:
        raise link_problem(exc.reason) from None
    except KeyError:
        raise link_problem("invalid") from None
