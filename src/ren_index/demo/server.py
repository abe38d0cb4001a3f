"""A real local OAI-PMH endpoint serving the demo catalogue over HTTP.

Tests and ``ren-index demo`` harvest it through the same HTTP client code that talks to partner
repositories: faking the network at the transport seam, not with mocks (DESIGN.md, convention 6).
It binds 127.0.0.1 only and a free port by default, so parallel test runs never collide.

    with DemoOaiServer(page_size=50) as server:
        harvest(server.url)          # http://127.0.0.1:PORT/oai
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

from ren_index.demo.catalogue import DemoRecord, demo_records
from ren_index.demo.oai import OaiRepository

MAX_BODY = 64 * 1024
"""POST bodies above this are refused: OAI arguments are a few hundred bytes at most."""


class DemoOaiServer:
    """An OAI-PMH 2.0 repository over demo records, in a background thread.

    ``records`` defaults to the whole demo catalogue; pass a modified list (a record changed,
    one newly deleted) to test re-harvests, or call :meth:`set_records` while it runs.
    ``requests`` keeps the arguments of every request served, so tests can check what a harvester
    asked for (an incremental ``from``, a resumption token...).
    """

    def __init__(
        self,
        records: Iterable[DemoRecord] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 50,
        path: str = "/oai",
    ) -> None:
        self.host = host
        self.path = path
        self._port = port
        self.repository = OaiRepository(
            demo_records() if records is None else records, base_url="", page_size=page_size
        )
        self.requests: list[dict[str, list[str]]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._foreground = False

    @property
    def port(self) -> int:
        """The bound port (the one chosen by the system when constructed with port 0)."""
        return self._httpd.server_address[1] if self._httpd is not None else self._port

    @property
    def url(self) -> str:
        """The base URL to harvest, e.g. ``http://127.0.0.1:8765/oai``."""
        if self._httpd is None:
            raise RuntimeError("the demo OAI server is not started")
        return f"http://{self.host}:{self.port}{self.path}"

    def set_records(self, records: Iterable[DemoRecord]) -> None:
        """Serve other records from now on (same URL); pending resumption tokens stay usable."""
        self.repository.set_records(records)

    def _bind(self) -> ThreadingHTTPServer:
        if self._httpd is None:
            self._httpd = ThreadingHTTPServer((self.host, self._port), _handler_for(self))
            self._httpd.daemon_threads = True
            self.repository.base_url = self.url
        return self._httpd

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self, so ``X().start()`` can be assigned."""
        if self._thread is not None:
            return self
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"demo-oai-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until Ctrl-C (for the command line)."""
        httpd = self._bind()
        self._foreground = True
        try:
            httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice, and from another thread."""
        httpd, thread, serving = self._httpd, self._thread, self._thread or self._foreground
        self._httpd, self._thread, self._foreground = None, None, False
        if httpd is not None:
            if serving:  # shutdown() waits for a serve loop, so only call it when one ran
                httpd.shutdown()
            if thread is not None:
                thread.join(timeout=5)
            httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _handler_for(server: DemoOaiServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one server (http.server wants a class, not an instance)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "ren-index-demo-oai/1.0"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            self._answer(parts.path, parts.query)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            content_type = self.headers.get("Content-Type", "")
            if length > MAX_BODY or not content_type.startswith("application/x-www-form-urlencoded"):
                self.send_error(413 if length > MAX_BODY else 415)
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            self._answer(urlsplit(self.path).path, body)

        def _answer(self, path: str, query: str) -> None:
            if path != server.path:
                self.send_error(404, "OAI-PMH is served at " + server.path)
                return
            params = parse_qs(query, keep_blank_values=True)
            server.requests.append(params)
            body = server.repository.respond(params)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: a harvest makes hundreds of requests and tests read their own output."""

    return Handler
