"""A local HTTP server serving the partner-feed fixtures (the network faked at the transport seam).

Routes map a path with its query (``/feed/?paged=2``) to a body and a content type; tests may
replace a route's body between two harvests (an item disappears). Every answer carries an ETag
and a Last-Modified derived from the body, and honours ``If-None-Match`` with a 304.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
LAST_MODIFIED = "Tue, 02 Apr 2024 10:00:00 GMT"


class FeedServer:
    """Serves ``routes``; records every request's path and conditional headers in ``requests``."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("If-None-Match")))
                route = outer.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, ctype = route
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, fixture: str, ctype: str) -> str:
        self.routes[path] = ((FIXTURES / fixture).read_bytes(), ctype)
        return self.base + path

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=ledger_url(),
        harvest_timeout=5.0,
        harvest_max_retries=0,
    )


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)


def source(kind: str, url: str, **extra: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": f"part-{kind}", "name": kind, "type": kind, "url": url, **extra}
    )
