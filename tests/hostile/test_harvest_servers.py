"""The local servers of the hostile-harvest tests, and the proof that their trap counts.

Everything listens on 127.0.0.1 only. :class:`Trap` is a plain socket server standing for an
internal service (OpenSearch on 9200, a metadata endpoint): the tests assert it accepted **no**
connection, which only means something because :func:`test_the_trap_counts_what_reaches_it`
shows that a request that does reach it is counted. :class:`Hostile` is an HTTP server whose
answers a test scripts (redirects, endless pages, bodies dripped one byte at a time).
"""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from ren_index.config.sources import SourceConfig
from ren_index.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SECRET = "TRAP-SECRET internal index listing"
"""What the trap would answer: it must never appear in a run's error, report or webhook."""

OAI_NS = "http://www.openarchives.org/OAI/2.0/"


class Trap:
    """A TCP listener that counts every connection it accepts and answers with :data:`SECRET`."""

    def __init__(self) -> None:
        self.connections = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with outer._lock:
                    outer.connections += 1
                self.request.settimeout(2)
                try:
                    self.request.recv(65536)
                    body = SECRET.encode()
                    self.request.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\nConnection: close\r\n\r\n"
                        + body
                    )
                except OSError:
                    pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/_cat/indices"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> Trap:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Reply:
    """One scripted answer."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0
    """Seconds between the bytes of the body (a server that trickles its answer)."""
    drip_headers: bool = False
    """Trickle the status line and headers too (``drip`` seconds a byte)."""
    drip_bytes: int | None = None
    """Trickle only this many first bytes, then send the rest at once: a client without a deadline
    still gets a whole answer after a while, so the test fails instead of hanging."""


Responder = Callable[[str, int], Reply]
"""``(path with query, number of this request from 1) -> Reply``."""


class Hostile:
    """An HTTP server answering through ``respond`` and keeping every request's path and query."""

    def __init__(self, respond: Responder | None = None) -> None:
        self.respond: Responder = respond or (lambda path, n: Reply(b"", 404))
        self.requests: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with outer._lock:
                    outer.requests.append(self.path)
                    number = len(outer.requests)
                reply = outer.respond(self.path, number)
                body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                headers = {
                    "Content-Type": "text/xml; charset=utf-8",
                    "Content-Length": str(len(body)),
                    **reply.headers,
                }
                head = f"HTTP/1.1 {reply.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                try:
                    drip_head = reply.drip if reply.drip_headers else 0.0
                    self._send(head.encode() + b"\r\n", drip_head, reply.drip_bytes)
                    self._send(body, 0.0 if reply.drip_headers else reply.drip, reply.drip_bytes)
                except OSError:
                    self.close_connection = True  # the client gave up (deadline tests)

            def _send(self, data: bytes, drip: float, drip_bytes: int | None) -> None:
                slow = data[:drip_bytes] if drip and drip_bytes is not None else data if drip else b""
                for byte in slow:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(drip)
                self.wfile.write(data[len(slow) :])
                self.wfile.flush()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + "/oai"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> Hostile:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def identify(deleted: str = "transient") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate>"
        '<request verb="Identify">http://127.0.0.1/oai</request><Identify>'
        "<repositoryName>Dépôt hostile</repositoryName><baseURL>http://127.0.0.1/oai</baseURL>"
        "<protocolVersion>2.0</protocolVersion><adminEmail>a@example.org</adminEmail>"
        "<earliestDatestamp>2009-01-01T00:00:00Z</earliestDatestamp>"
        f"<deletedRecord>{deleted}</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
        "</Identify></OAI-PMH>"
    )


def list_records(identifiers: list[str], token: str | None) -> str:
    """A ListRecords page of oai_dc records (possibly none) and its resumption token."""
    records = "".join(
        f"<record><header><identifier>{i}</identifier><datestamp>2026-01-01</datestamp></header>"
        '<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>Ressource {i}</dc:title></oai_dc:dc></metadata></record>"
        for i in identifiers
    )
    resumption = f"<resumptionToken>{token}</resumptionToken>" if token else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate>"
        '<request verb="ListRecords">http://127.0.0.1/oai</request>'
        f"<ListRecords>{records}{resumption}</ListRecords></OAI-PMH>"
    )


def oai_source(url: str, **extra: Any) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "hostile", "name": "Dépôt hostile", "type": "oai", "url": url, **extra}
    )


def make_settings(tmp_path: Path, ledger_url: Callable[..., str], **overrides: Any) -> Settings:
    """Test settings: the project's rules, short timeouts, and retries on (so a retry would show)."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": ledger_url(),
        "config_dir": ROOT / "config",
        "harvest_timeout": 5.0,
        "harvest_max_retries": 2,
        **overrides,
    }
    return load_settings(**values)


def test_the_trap_counts_what_reaches_it() -> None:
    """Without this, every ``trap.connections == 0`` of these tests could be true of a deaf trap."""
    with Trap() as trap:
        answer = requests.get(trap.url, timeout=5)
        assert answer.text == SECRET
        assert trap.connections == 1


def test_the_hostile_server_drips_when_told() -> None:
    """The slow-drip replies really are slow: the deadline tests would prove nothing otherwise."""
    with Hostile(lambda path, n: Reply("abcdefgh", drip=0.1, drip_bytes=5)) as hostile:
        started = time.monotonic()
        assert requests.get(hostile.url, timeout=5).text == "abcdefgh"
        assert 0.5 <= time.monotonic() - started < 0.8
        hostile.respond = lambda path, n: Reply(
            "abc", headers={"X-Pad": "y" * 10}, drip=0.1, drip_bytes=5, drip_headers=True
        )
        started = time.monotonic()
        assert requests.get(hostile.url, timeout=5).headers["X-Pad"] == "y" * 10
        assert 0.5 <= time.monotonic() - started < 0.8
