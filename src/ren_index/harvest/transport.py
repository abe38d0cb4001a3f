"""One GET against a source we do not control: every hop checked, the body bounded, the clock too.

Shared by the OAI-PMH client (:mod:`ren_index.harvest.oai_http`) and the partner-feed client
(:mod:`ren_index.harvest.documents`), because what a hostile server can do to them is the same:

- **Redirects** are followed here, not by ``requests`` (``allow_redirects=False``): at most
  :data:`MAX_REDIRECTS` hops, each ``Location`` checked by the source's
  :class:`~ren_index.harvest.addresses.AddressPolicy` *before* it is fetched. ``requests`` would
  follow a ``302`` to ``http://127.0.0.1:9200`` without asking anyone.
- **An overall deadline** per request (``REN_HARVEST_REQUEST_DEADLINE``). The socket timeout only
  bounds each read, so a server sending one byte every few seconds — in its headers or its body —
  would hold one request for hours. A watchdog shuts the request's socket down when the deadline
  passes (the blocked read returns at once), and the clock is checked between body chunks; either
  way the request ends with :class:`~ren_index.errors.RequestDeadlineError`, which the clients do
  not retry (a dripping server would make each retry as long again).
- **No second DNS answer**: a host admitted because its addresses are public is connected to at
  the address the policy checked (DNS rebinding cannot swap in an internal one).
- **The body is bounded** (:data:`ren_index.xmlsafe.MAX_BYTES` by default), read with ``read1``
  so each read returns what arrived instead of waiting for a full 64 KiB chunk.

The socket is reached through a ``requests`` adapter whose connections register their socket
with the request being watched (a thread-local), so several harvests in threads do not mix.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ren_index.errors import HarvestError, RequestDeadlineError
from ren_index.harvest.addresses import AddressPolicy, normal_host
from ren_index.xmlsafe import MAX_BYTES

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024

_current = threading.local()


class _Watch:
    """The deadline of one request and the sockets it uses; shuts them down when it passes."""

    def __init__(self, seconds: float, url: str) -> None:
        self.seconds = seconds
        self.url = url
        self.end = time.monotonic() + seconds
        self.fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.pins: dict[str, str] = {}
        """Host → the address the policy checked, for hosts admitted by its public-address rule."""
        self.done = False

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return self.fired or time.monotonic() >= self.end

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def fire(self) -> None:
        """The deadline passed (the watchdog's thread): shut the request's sockets down."""
        with self._lock:
            if self.done:
                return
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def start(self) -> None:
        _WATCHDOG.watch(self)

    def stop(self) -> bool:
        """Disarm the deadline; ``True`` when it had already passed."""
        with self._lock:
            first = not self.done
            self.done = True
            self._sockets = []  # the watchdog may hold this watch until its deadline: not its sockets
            fired = self.fired
        if first:
            _WATCHDOG.forget()
        return fired

    def error(self) -> RequestDeadlineError:
        return RequestDeadlineError(
            f"délai dépassé : la requête a duré plus de {self.seconds:g} s (REN_HARVEST_REQUEST_DEADLINE)"
            f" / deadline passed: the request took longer than {self.seconds:g} s"
            " (REN_HARVEST_REQUEST_DEADLINE)",
            endpoint=self.url,
        )


class _Watchdog:
    """One daemon thread for the deadlines of every request of the process.

    Why not a ``threading.Timer`` per request, as before: starting a thread waits until the new
    thread runs, and on a loaded machine that cost milliseconds a page (issue 17, cProfile of
    ``bench/harvest_scale.py``: ~8 % of a harvest). The watchdog keeps the watches in a heap by
    deadline and sleeps until the nearest one; a finished request is dropped lazily, and the heap
    is rebuilt when finished ones are most of it, so it stays bounded by the requests under way.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._live = 0
        self._thread: threading.Thread | None = None

    def watch(self, watch: _Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (watch.end, next(self._order), watch))
            self._live += 1
            if self._thread is None or not self._thread.is_alive():  # first use, or after a fork
                self._thread = threading.Thread(target=self._run, name="ren-index-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._cond.notify()

    def forget(self) -> None:
        """A watched request ended: count it out, and compact the heap when it is mostly finished."""
        with self._cond:
            self._live = max(0, self._live - 1)
            if len(self._heap) > 64 and len(self._heap) > 2 * self._live:
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                due = heapq.heappop(self._heap)[2]
            due.fire()  # outside the lock: it takes the watch's own lock and shuts sockets down


_WATCHDOG = _Watchdog()


def _shutdown(sock: socket.socket) -> None:
    """Wake whoever is blocked reading ``sock``: ``shutdown`` of the plain socket (not the TLS
    layer's, which would drop its state under the reader's feet)."""
    with suppress(OSError):  # already closed, or detached by the TLS wrapper
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch_socket(sock: socket.socket | None) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.add(sock)


def _connect(conn: urllib3.connection.HTTPConnection, connect: Callable[[], socket.socket]) -> socket.socket:
    """Open ``conn``'s socket — to the address the policy checked, when it pinned one — and watch it.

    urllib3 resolves ``_dns_host``; ``host`` (the Host header, TLS name checks) is read after the
    connection, once ``_dns_host`` is back to the name.
    """
    watch: _Watch | None = getattr(_current, "watch", None)
    pinned = watch.pins.get(normal_host(conn._dns_host)) if watch is not None else None
    original = conn._dns_host
    if pinned is not None:
        conn._dns_host = pinned
    try:
        sock = connect()
    finally:
        conn._dns_host = original
    _watch_socket(sock)  # connect and TLS handshake
    return sock


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self, super()._new_conn)

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _watch_socket(self.sock)  # a kept-alive connection: headers and body
        return super().getresponse()


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self, super()._new_conn)

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _watch_socket(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections tell the watched request which socket they use."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        return manager


def watched_session(session: requests.Session | None = None) -> requests.Session:
    """``session`` (or a new one) with :class:`WatchedAdapter` mounted for http and https, and
    blind to redirects: even with ``allow_redirects=False`` requests parses ``Location`` (to offer
    ``response.next``), and a malformed one raised a bare ``ValueError`` before we could refuse it."""
    session = session or requests.Session()
    session.mount("http://", WatchedAdapter())
    session.mount("https://", WatchedAdapter())
    setattr(session, "get_redirect_target", _no_redirect_target)  # noqa: B010 - an instance override
    return session


def _no_redirect_target(response: requests.Response) -> None:
    """Redirects are followed by :func:`fetch` only, after the address policy."""
    return None


@contextmanager
def _watching(seconds: float, url: str) -> Iterator[_Watch]:
    watch = _Watch(seconds, url)
    previous = getattr(_current, "watch", None)
    _current.watch = watch
    watch.start()
    try:
        yield watch
    finally:
        watch.stop()
        _current.watch = previous


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole: the URL that gave it (after redirects), status, headers, body."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


def fetch(
    session: requests.Session,
    url: str,
    *,
    policy: AddressPolicy,
    timeout: float,
    deadline: float,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = MAX_BYTES,
    too_large: Callable[[str, bytes], Exception] | None = None,
) -> Answer:
    """GET ``url`` as the module docstring says.

    Raises :class:`~ren_index.errors.AddressRefusedError` (a hop the policy refuses),
    :class:`RequestDeadlineError`, :class:`HarvestError` (too many redirects, a body over
    ``max_bytes`` unless ``too_large`` builds another error from the URL and the first bytes), and
    ``requests`` exceptions for what the callers retry (resets, timeouts, cut bodies).
    """
    with _watching(deadline, url) as watch:
        try:
            answer = _follow(session, url, policy, timeout, watch, params, headers, max_bytes, too_large)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if watch.expired():
                raise watch.error() from exc
            raise
        if watch.stop():
            raise watch.error()
    return answer


def _follow(
    session: requests.Session,
    url: str,
    policy: AddressPolicy,
    timeout: float,
    watch: _Watch,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    max_bytes: int,
    too_large: Callable[[str, bytes], Exception] | None,
) -> Answer:
    current, query = url, dict(params) if params else None
    for _hop in range(MAX_REDIRECTS + 1):
        admitted = policy.admit(current)
        if admitted.pinned is not None:
            watch.pins[admitted.host] = admitted.pinned
        wait = max(0.001, min(timeout, watch.remaining()))
        with session.get(
            current,
            params=query,
            headers=dict(headers or {}),
            timeout=(wait, wait),
            allow_redirects=False,
            stream=True,
        ) as response:
            location = response.headers.get("Location")
            if response.status_code in REDIRECT_STATUSES and location:
                current, query = _join(response.url, location.strip()), None
                continue
            body = _read(response, watch, max_bytes, too_large)
            return Answer(response.url, response.status_code, CaseInsensitiveDict(response.headers), body)
    raise HarvestError(
        f"trop de redirections (plus de {MAX_REDIRECTS}) / too many redirects (more than"
        f" {MAX_REDIRECTS}); last: {current!r}",
        endpoint=url,
    )


def _join(base: str, location: str) -> str:
    """``Location`` resolved against the URL that sent it; as written when it cannot be (the
    address policy then refuses it as malformed)."""
    try:
        return urljoin(base, location)
    except ValueError:
        return location


def _read(
    response: requests.Response,
    watch: _Watch,
    max_bytes: int,
    too_large: Callable[[str, bytes], Exception] | None,
) -> bytes:
    """The body, chunk by chunk as it arrives, within the deadline and ``max_bytes``.

    urllib3's own errors are translated the way ``requests``' ``iter_content`` does, so the
    callers' retry rules see the same exceptions as before.
    """
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    while True:
        if watch.expired():
            raise watch.error()
        try:
            chunk = raw.read1(CHUNK, decode_content=True)
        except urllib3.exceptions.ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ConnectionError(exc) from exc
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        chunks.append(chunk)
        if size > max_bytes:
            head = b"".join(chunks)[:2048]
            if too_large is not None:
                raise too_large(response.url, head)
            raise HarvestError(
                f"réponse de plus de {max_bytes} octets, refusée / response larger than {max_bytes}"
                " bytes; refused",
                endpoint=response.url,
            )


def post_json(
    session: requests.Session,
    url: str,
    body: Any,
    *,
    policy: AddressPolicy,
    timeout: float,
    deadline: float,
) -> int:
    """POST ``body`` as JSON to a URL we do not control, under :func:`fetch`'s guards; the status.

    For callbacks to a partner (a contributions platform): the address policy is applied and its
    checked address pinned, the whole request bounded by ``deadline``; no redirect is followed (a
    ``3xx`` is returned as the answer) and the answer's body is never read.
    """
    with _watching(deadline, url) as watch:
        try:
            admitted = policy.admit(url)
            if admitted.pinned is not None:
                watch.pins[admitted.host] = admitted.pinned
            wait = max(0.001, min(timeout, watch.remaining()))
            with session.post(
                url, json=body, timeout=(wait, wait), allow_redirects=False, stream=True
            ) as response:
                status = response.status_code
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if watch.expired():
                raise watch.error() from exc
            raise
        if watch.stop():
            raise watch.error()
    return status
