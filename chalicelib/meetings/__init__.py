"""Meetings: the schedule's occurrences (RRULE + zone), organizers' overrides of one occurrence,
the meetings calendar and the emails about a meeting."""
