"""The activity log: who changed what and when, per group (organizer actions only)."""
