"""The consent text shown with the signup form. Change the version whenever the text changes:
each signup records the version it agreed to."""

CONSENT_VERSION = "2026-11-25"
CONSENT_TEXT = (
    "I agree that MBC Connect may keep my name, email address and state to run the Connection Group: "
    "to confirm my address, to let organizers approve my membership, and to email me the meeting link "
    "before each meeting. I can unsubscribe or erase my data at any time from any of those emails."
)
