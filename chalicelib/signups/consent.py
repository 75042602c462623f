"""The consent text shown with the signup form. Change the version whenever the text changes:
each signup records the version it agreed to."""

CONSENT_VERSION = "2026-11-26"
CONSENT_TEXT = (
    "I agree that MBC Connect may keep my name, email address and state to run the Connection Group: "
    "to confirm my address, to let organizers approve my membership, and to email me my personal link "
    "to the meetings before each meeting. The organizers can see whether I opened my link for a meeting "
    "(only that, and when; not where from or on what device), and this is deleted 90 days after the "
    "meeting. I can unsubscribe or erase my data at any time from any of those emails."
)
