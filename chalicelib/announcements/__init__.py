"""Announcements: an organizer's message to every active member of a group, previewed first, then
sent once to each member through a ledger (claim → send → mark), at the SES rate."""
