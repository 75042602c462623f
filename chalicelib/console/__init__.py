"""The organizer console: server-rendered pages under /console for volunteer coordinators
(email sign-in, sessions, per-group scopes). See docs/console.md."""
