"""Real local web sites for the link checker's tests (the transport seam, no mocks).

:class:`LinkServer` is one threaded HTTP/1.1 server on a loopback address (``127.0.0.1``,
``127.0.0.2``… all reach this machine on Linux, so each can stand for another "host") that serves
every scenario of issue 15 from :data:`ROUTES` plus what a test adds with :meth:`LinkServer.route`.
It counts the requests it received per method and path, and the requests it was serving at once,
per host (servers sharing a :class:`Tracker` on one address count together, whatever their port),
so tests can assert that a skipped URL was never asked and that the per-host bound held.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def page(title: str, heading: str = "", body: str = "Contenu de la ressource.") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{heading}</h1><p>{body}</p></body></html>"
    ).encode()


@dataclass
class Reply:
    """What the server answers to one request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (timeouts, deadlines, concurrency that can be seen)."""


HTML = {"Content-Type": "text/html; charset=utf-8"}
Route = Callable[["LinkServer", str], Reply]
"""``(server, method) -> Reply``: a route may count, switch on the method or answer late."""


def fixed(reply: Reply) -> Route:
    return lambda server, method: reply


def redirect(status: int, location: str) -> Route:
    return fixed(Reply(status, headers={"Location": location}))


def _flaky(server: LinkServer, method: str) -> Reply:
    """``500`` for the first :attr:`LinkServer.failures_before_recovery` requests, then the page."""
    with server.lock:
        server.flaky_count += 1
        count = server.flaky_count
    if count <= server.failures_before_recovery:
        return Reply(500, b"maintenance", HTML)
    return Reply(200, page("Ressource rétablie"), HTML)


def _no_head(server: LinkServer, method: str) -> Reply:
    if method == "HEAD":
        return Reply(405, headers={"Allow": "GET"})
    return Reply(200, page("Une ressource sans HEAD"), HTML)


ROUTES: dict[str, Route] = {
    "/": fixed(Reply(200, page("Accueil du site", "Bienvenue"), HTML)),
    "/ok": fixed(Reply(200, page("Fonctions et dérivées", "Fonctions et dérivées"), HTML)),
    "/file.pdf": fixed(Reply(200, b"%PDF-1.4 ...", {"Content-Type": "application/pdf"})),
    "/missing": fixed(Reply(404, page("404"), HTML)),
    "/removed": fixed(Reply(410, page("Gone"), HTML)),
    "/flaky": _flaky,
    "/soft-fr": fixed(Reply(200, page("Oups ! Page introuvable – Cégep", "Erreur"), HTML)),
    "/soft-en": fixed(Reply(200, page("Acme Learning", "Sorry, this page does not exist"), HTML)),
    "/soft-custom": fixed(Reply(200, page("Ressource archivée au dépôt", "Archivée"), HTML)),
    "/deep/article/42": redirect(302, "/"),
    "/deep/index-sent": redirect(301, "/index.php"),
    "/index.php": fixed(Reply(200, page("Accueil"), HTML)),
    "/moved": redirect(301, "/moved-2"),
    "/moved-2": redirect(308, "/new-home-of-the-resource"),
    "/new-home-of-the-resource": fixed(Reply(200, page("Nouvelle adresse"), HTML)),
    "/moved-then-temp": redirect(301, "/moved-then-temp-2"),
    "/moved-then-temp-2": redirect(302, "/new-home-of-the-resource"),
    "/temp": redirect(302, "/temp-2"),
    "/temp-2": redirect(307, "/new-home-of-the-resource"),
    "/temp-to-missing": redirect(302, "/missing"),
    "/loop-a": redirect(302, "/loop-b"),
    "/loop-b": redirect(302, "/loop-a"),
    "/no-head": _no_head,
    "/private/secret": fixed(Reply(200, page("Ne devait pas être demandée"), HTML)),
    "/slow": fixed(Reply(200, page("Lente"), HTML, delay=3.0)),
    "/server-error": fixed(Reply(503, b"busy", HTML)),
    "/no-location": fixed(Reply(302)),
}
for _n in range(10):
    ROUTES[f"/chain/{_n}"] = redirect(302, f"/chain/{_n + 1}")
ROUTES["/chain/10"] = fixed(Reply(200, page("Fin de la chaîne"), HTML))


class Tracker:
    """Requests being served at once, per host (the address, whatever the port), and the peak."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    def enter(self, host: str) -> None:
        with self.lock:
            self.active[host] += 1
            self.peak[host] = max(self.peak[host], self.active[host])

    def leave(self, host: str) -> None:
        with self.lock:
            self.active[host] -= 1


class LinkServer:
    """One local web site: the scenario routes, a ``robots.txt``, and counters of what it received."""

    def __init__(
        self,
        address: str = "127.0.0.1",
        *,
        robots: str | None = "User-agent: *\nDisallow: /private/\n",
        robots_status: int = 200,
        tracker: Tracker | None = None,
        delay: float = 0.0,
    ) -> None:
        self.address = address
        self.robots = robots
        self.robots_status = robots_status
        self.tracker = tracker or Tracker()
        self.delay = delay
        """Seconds every answer waits (a slow host)."""
        self.routes: dict[str, Route] = dict(ROUTES)
        self.lock = threading.Lock()
        self.hits: Counter[tuple[str, str]] = Counter()
        self.agents: set[str] = set()
        self.flaky_count = 0
        self.failures_before_recovery = 1
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def do_GET(self) -> None:
                self._serve("GET")

            def _serve(self, method: str) -> None:
                path = urlsplit(self.path).path
                with server.lock:
                    server.hits[(method, path)] += 1
                    server.agents.add(self.headers.get("User-Agent", ""))
                # Counted as being served until its answer starts to go out, not until it is sent:
                # the client may read the whole answer, free its slot and send the next request
                # before this thread's `finally` runs, which counted three at once for two slots.
                server.tracker.enter(server.address)
                try:
                    reply = server.answer(method, path)
                    if reply.delay or server.delay:
                        time.sleep(reply.delay + server.delay)
                finally:
                    server.tracker.leave(server.address)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if method == "GET":
                        self.wfile.write(reply.body)
                except OSError:
                    self.close_connection = True  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request: object, client_address: object) -> None:
                pass

        self._httpd = Server((address, 0), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    def answer(self, method: str, path: str) -> Reply:
        if path == "/robots.txt":
            if self.robots is None:
                return Reply(404, b"no robots")
            return Reply(self.robots_status, self.robots.encode(), {"Content-Type": "text/plain"})
        route = self.routes.get(path)
        if route is None:
            return Reply(404, page("Not here"), HTML)
        return route(self, method)

    def url(self, path: str) -> str:
        return f"http://{self.address}:{self.port}{path}"

    def route(self, path: str, reply: Reply | Route) -> None:
        self.routes[path] = reply if callable(reply) else fixed(reply)

    def count(self, path: str, method: str | None = None) -> int:
        """Requests received for ``path`` (of ``method``, or of any)."""
        with self.lock:
            return sum(n for (m, p), n in self.hits.items() if p == path and method in (None, m))

    def paths(self) -> set[str]:
        with self.lock:
            return {p for (_, p) in self.hits}

    def total(self) -> int:
        with self.lock:
            return sum(self.hits.values())

    @property
    def peak(self) -> int:
        """The most requests this server's host was serving at once."""
        return self.tracker.peak[self.address]

    def start(self) -> LinkServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def free_port(address: str = "127.0.0.1") -> int:
    """A port nobody listens on (bound then released): a host that is down."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])
