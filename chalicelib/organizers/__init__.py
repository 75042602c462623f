"""Organizers and their API keys (the Bearer keys scripts and the authorizer use)."""
