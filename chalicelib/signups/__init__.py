"""Connection Group signups: double opt-in, organizer approval, leaving, erasure, bounces."""
