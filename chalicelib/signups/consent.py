"""The consent text shown with the signup form. Change the version whenever the wording changes:
each signup records the version it agreed to. The text names the organization that keeps the data
(the chapter's name from the settings, chalicelib/organization.py): the version stands for the
wording, whichever chapter runs the service."""

CONSENT_VERSION = "2026-11-26"
CONSENT_TEMPLATE = (
    "I agree that {organization} may keep my name, email address and state to run the Connection Group: "
    "to confirm my address, to let organizers approve my membership, and to email me my personal link "
    "to the meetings before each meeting. The organizers can see whether I opened my link for a meeting "
    "(only that, and when; not where from or on what device), and this is deleted 90 days after the "
    "meeting. I can unsubscribe or erase my data at any time from any of those emails."
)


def consent_text(organization: str) -> str:
    """The statement as the form shows it, naming ``organization``."""
    return CONSENT_TEMPLATE.format(organization=organization)
