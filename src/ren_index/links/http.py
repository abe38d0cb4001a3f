"""One request of the link checker, bounded in time and size, to the address that was checked.

Why each bound:

- **Time**: ``httpx``'s timeouts bound each read, so a server dripping one byte a second would hold
  a request for ever; the whole request (connection, headers, body) runs under one
  ``asyncio.timeout`` instead.
- **Size**: only a page's first ``max_body`` bytes are read (enough for ``<title>`` and ``<h1>``),
  streamed and cut, after decompression too (a gzip bomb stops at the same bound); headers are
  bounded by h11 itself.
- **Redirects** are never followed here (``follow_redirects=False``): the checker follows them one
  hop at a time, each checked by the address policy.
- **Pinning**: a host admitted because its addresses are public (or in an allowed range) is
  connected to at the address the policy checked, through :class:`PinnedBackend`, so a DNS
  answer that changes between the check and the connection (rebinding) cannot lead the
  request into the internal network. TLS still checks the certificate against the host name.

Failures become :class:`FetchFailed` with a stable ``kind`` (``timeout``, ``connect``, ``tls``,
``dns``, ``protocol``, ``malformed``): outages are told apart by many links failing one way.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from ren_index.harvest.addresses import normal_host


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, except that a pinned host name is connected to at its pinned address."""

    def __init__(self, pins: dict[str, str]) -> None:
        self.pins = pins
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = self.pins.get(normal_host(host), host)
        return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the link checker does not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def make_client(
    *, user_agent: str, timeout: float, connections: int, pins: dict[str, str]
) -> httpx.AsyncClient:
    """The run's one client: no redirects, no proxies from the environment, pinned connections.

    Proxies from the environment are not used: a proxy resolves names itself, which would undo
    the address policy's check.
    """
    transport = httpx.AsyncHTTPTransport(  # room for idle kept-alive connections to recent hosts
        limits=httpx.Limits(max_connections=connections * 2, max_keepalive_connections=connections * 2),
        retries=0,
    )
    pool = transport._pool  # httpcore.AsyncConnectionPool: httpx offers no public hook for it
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx/httpcore changed: the link checker cannot pin addresses")
    pool._network_backend = PinnedBackend(pins)
    return httpx.AsyncClient(
        transport=transport,
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )


@dataclass(frozen=True)
class Answer:
    """What a server said: its status, headers and (when read) the start of its body."""

    status: int
    headers: httpx.Headers
    body: bytes | None = None
    """The first bytes of the decoded body, when asked for and readable; else ``None``."""
    truncated: bool = False


class FetchFailed(Exception):
    """A request that got no HTTP answer; ``kind`` is the failure's stable name."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def _kind(exc: BaseException) -> str:
    """Name a transport failure from the exception and its causes."""
    seen: BaseException | None = exc
    for _ in range(10):  # bounded walk down __cause__ / __context__
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return "tls"
        if isinstance(seen, OSError) and seen.__class__.__name__ == "gaierror":
            return "dns"
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    if "SSL" in text or "CERTIFICATE" in text:
        return "tls"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "dns"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError | httpx.DecodingError):
        return "protocol"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "malformed"
    return "connect"


class _Decoder:
    """The body's first ``limit`` decoded bytes, whatever its content coding (``None`` if unknown)."""

    def __init__(self, coding: str, limit: int) -> None:
        self.limit = limit
        self.out = bytearray()
        self.raw = 0
        coding = coding.strip().lower()
        self.inflate = zlib.decompressobj(47) if coding in ("gzip", "x-gzip", "deflate") else None
        self.readable = coding in ("", "identity", "gzip", "x-gzip", "deflate")

    def feed(self, chunk: bytes) -> bool:
        """Add a chunk; ``True`` when enough was read."""
        self.raw += len(chunk)
        room = self.limit - len(self.out)
        if self.inflate is not None:
            try:
                self.out += self.inflate.decompress(chunk, room)
            except zlib.error:
                self.readable = False
                return True
        else:
            self.out += chunk[:room]
        return len(self.out) >= self.limit or self.raw >= self.limit


async def fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    timeout: float,
    max_body: int = 0,
    want_body: Callable[[int, httpx.Headers], bool] = lambda status, headers: False,
) -> Answer:
    """Send one request; read at most ``max_body`` bytes of the body when ``want_body`` says so.

    Raises :class:`FetchFailed` when no HTTP answer came within ``timeout`` seconds in all.
    """
    try:
        async with asyncio.timeout(timeout):
            async with client.stream(method, url) as response:
                if method == "HEAD" or max_body <= 0 or not want_body(response.status_code, response.headers):
                    return Answer(response.status_code, response.headers)
                decoder = _Decoder(response.headers.get("content-encoding", ""), max_body)
                if not decoder.readable:
                    return Answer(response.status_code, response.headers)
                done = False
                async for chunk in response.aiter_raw():
                    if decoder.feed(chunk):
                        done = True
                        break
                body = bytes(decoder.out) if decoder.readable else None
                return Answer(response.status_code, response.headers, body, truncated=done)
    except TimeoutError:
        raise FetchFailed("timeout", f"no complete answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(_kind(exc), str(exc) or exc.__class__.__name__) from None
    except (OSError, ssl.SSLError) as exc:  # what escaped httpx's own mapping
        raise FetchFailed(_kind(exc), str(exc) or exc.__class__.__name__) from None
