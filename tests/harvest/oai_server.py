"""A real local HTTP server that plays scripted OAI-PMH replies (the transport seam, no mocks),
and the other helpers of the OAI harvester tests."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parents[1] / "fixtures" / "oai"


def fixture_bytes(name: str) -> bytes:
    """One of the project's own OAI fixtures (tests/fixtures/oai/)."""
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    """What the server answers to one request."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (to trip the client's timeout)."""
    reset: bool = False
    """Close the socket without answering (connection reset / remote disconnect)."""


@dataclass
class Received:
    path: str
    params: dict[str, list[str]]

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


class ScriptedServer:
    """Serves the scripted replies in order and records every request it gets."""

    def __init__(self) -> None:
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self.received: list[Received] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                split = urlsplit(self.path)
                with server._lock:
                    server.received.append(
                        Received(split.path, parse_qs(split.query, keep_blank_values=True))
                    )
                    reply = (
                        server._replies.pop(0) if server._replies else Reply(b"script exhausted", status=599)
                    )
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset:
                    self.close_connection = True
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "text/xml; charset=utf-8", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}/oai"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class SleepRecorder:
    """Stands in for time.sleep: records the waits, never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
