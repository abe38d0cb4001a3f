"""What the hostile tests share: a server of bodies by path on 127.0.0.1, settings and a ledger.

The servers that misbehave on purpose (traps, drips, endless tokens) live with the tests that
need them; this one only answers what it was given, so each test states its hostile body itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_settings


class BodyServer:
    """Serves the bodies it is given, by path (404 for any other path)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body, ctype = outer.routes.get(self.path, (b"", "text/plain"))
                self.send_response(200 if self.path in outer.routes else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, body: Any, ctype: str = "application/ld+json") -> str:
        """Serve ``body`` at ``path`` (bytes as they are, text in UTF-8, anything else as JSON)."""
        if isinstance(body, str):
            data = body.encode("utf-8")
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode("utf-8")
        self.routes[path] = (data, ctype)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> BodyServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def docs() -> Iterator[BodyServer]:
    with BodyServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path, database_url=ledger_url(), harvest_timeout=5.0, harvest_max_retries=0
    )


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)
