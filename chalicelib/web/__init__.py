"""The HTTP edge: request parsing, responses, CORS, pages, and the one table that turns
domain errors into statuses (``errors.py``). Feature routes use these; services never do."""
