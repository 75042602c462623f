"""Groups: organizer settings (versioned, with the Zoom secrets) and the public view (never secrets)."""
