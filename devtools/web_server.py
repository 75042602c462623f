"""Serves web/ for `make run` and the browser tests, with the placeholder URLs in the
widgets rewritten to the local API and site, and `<!--#include file-->` expanded in index.html."""

from __future__ import annotations

import argparse
import http.server
import mimetypes
import re
import threading
from functools import partial
from pathlib import Path
from typing import Any

WEB = Path(__file__).resolve().parent.parent / "web"
API_PLACEHOLDER = "https://api.example.org"
SITE_PLACEHOLDER = "https://www.example.org"
_INCLUDE = re.compile(r"<!--#include ([\w.-]+)-->")


def render(path: Path, api_base: str, site_base: str) -> bytes:
    data = path.read_bytes()
    if path.suffix not in (".html", ".js"):
        return data
    text = data.decode("utf-8")
    text = _INCLUDE.sub(lambda m: (WEB / m.group(1)).read_text("utf-8"), text)
    return text.replace(API_PLACEHOLDER, api_base).replace(SITE_PLACEHOLDER, site_base).encode("utf-8")


class Handler(http.server.BaseHTTPRequestHandler):
    def __init__(self, *args: Any, api_base: str, site_base: str, **kwargs: Any) -> None:
        self.api_base = api_base
        self.site_base = site_base
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        name = self.path.split("?", 1)[0].lstrip("/") or "index.html"
        path = (WEB / name).resolve()
        if WEB not in path.parents or not path.is_file():
            self.send_error(404)
            return
        body = render(path, self.api_base, self.site_base)
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header(
            "Content-Type",
            f"{ctype}; charset=utf-8" if ctype.startswith("text/") or ctype.endswith("javascript") else ctype,
        )
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the API logs matter more
        return


def serve(port: int, api_base: str, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    handler = partial(Handler, api_base=api_base, site_base=f"http://{host}:{port}")
    server = http.server.ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    server = serve(args.port, args.api)
    print(f"web/ on http://127.0.0.1:{args.port}")
    threading.Event().wait()
