"""The public website: the allowed website origins (data organizers manage), the widget script the
API serves, and the iframe embed page with its form posts."""
