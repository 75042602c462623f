"""A website on another origin for the browser tests: a static server on a free port serving the
pages a test writes (as a web volunteer's site would host the one script tag or the iframe)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@dataclass
class HostSite:
    origin: str
    folder: Path

    def page(self, name: str, body: str, *, head: str = "", title: str = "Our chapter") -> str:
        """Write a plain HTML page; returns its URL."""
        (self.folder / name).write_text(
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n{head}\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n{body}\n</main>\n</body>\n</html>\n",
            "utf-8",
        )
        return f"{self.origin}/{name}"


@contextmanager
def host_site(folder: Path) -> Iterator[HostSite]:
    """Serves ``folder`` as http://localhost:<free port> (another origin than the API's 127.0.0.1)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield HostSite(f"http://localhost:{server.server_address[1]}", folder)
    finally:
        server.shutdown()
        server.server_close()
