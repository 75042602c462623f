"""Outgoing mail: one interface, two backends (SES v2 raw in AWS, an .eml outbox locally)."""
