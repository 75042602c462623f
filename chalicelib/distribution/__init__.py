"""The Zoom-link distribution: the planner decides what each member is due, the ledger makes
each message go out once, the runner sends at the SES rate; the deliveries report shows it."""
