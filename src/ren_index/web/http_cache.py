"""HTTP caching and the API's version: ``ETag``, ``If-None-Match``, ``Cache-Control``, ``API-Version``.

The portals call the search API on every page view, mostly with the same few queries, and the
index changes a few times a day: a short public cache and conditional requests spare both sides.

* **Anonymous reads** (GET ``/api/search``, ``/api/resources/{id}``, ``/api/suggest``, ``/oai``)
  answered ``200`` carry ``Cache-Control: public, max-age=60`` and an ``ETag``, a hash of the body;
  a request whose ``If-None-Match`` names it gets ``304`` with no body. The JSON reads get a strong
  tag (same bytes, same tag). ``/oai`` gets a weak one computed without ``<responseDate>`` — the
  protocol stamps every answer with the time, so its bytes never repeat while its content does.
* **Anything authenticated** — the contributions API (its platform key), a request carrying an
  ``Authorization`` header or the review session cookie, a response setting a cookie — is
  ``Cache-Control: private, no-store``, never tagged, never ``304``: no shared cache keeps it.
* **Errors** (4xx, 5xx) of a cacheable path get ``no-store`` and no tag: a 503 must not outlive
  the outage, and a 404 must not hide a resource published a minute later.
* **The version**: every response under ``/api`` carries ``API-Version: 1``. A header rather than
  ``/api/v1/`` in the path, because the paths are already the contract the portals call (changing
  them would break them for nothing); the schema's ``info.version`` says the same. Within a version
  changes are additive only; a breaking change makes version 2 (docs/portal.md).

A raw ASGI middleware (``create_app`` adds it outermost, so it sees the cookies the inner
middlewares set): the body of a cacheable answer is held until complete to hash it — the API's
answers are bounded (pages of at most 50 hits, texts clipped) — and one longer than
:data:`MAX_TAGGED_BODY` is passed on as it comes, untagged, as any streamed response is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ren_index.web.security import SESSION_COOKIE

API_VERSION = "1"
API_VERSION_HEADER = "API-Version"
VERSIONED_PREFIX = "/api/"

PUBLIC_MAX_AGE = 60
"""Seconds a portal or a shared cache may reuse an anonymous read without asking again."""
PUBLIC_CACHE_CONTROL = f"public, max-age={PUBLIC_MAX_AGE}"
PRIVATE_CACHE_CONTROL = "private, no-store"
ERROR_CACHE_CONTROL = "no-store"

CACHEABLE_PATHS = ("/api/search", "/api/suggest", "/oai")
CACHEABLE_PREFIXES = ("/api/resources/",)
PRIVATE_PREFIXES = ("/api/contributions",)
"""Always private: the platforms' own data, read and written with their key."""
WEAK_TAG_PATHS = ("/oai",)
MAX_TAGGED_BODY = 8 * 1024 * 1024
"""Above this a body is not held to be hashed: sent as it comes, with no ETag."""

_RESPONSE_DATE = re.compile(rb"<responseDate>[^<]*</responseDate>")
_NOT_MODIFIED_DROPS = frozenset({"content-length", "content-type", "content-encoding", "transfer-encoding"})


def cacheable_path(path: str) -> bool:
    """Whether an anonymous GET of ``path`` is a public, tagged read."""
    return path in CACHEABLE_PATHS or path.startswith(CACHEABLE_PREFIXES)


def entity_tag(body: bytes, *, weak: bool = False) -> str:
    """The ``ETag`` of ``body``: 128 bits of its SHA-256, quoted (``W/`` when ``weak``)."""
    if weak:
        body = _RESPONSE_DATE.sub(b"", body)
    digest = hashlib.sha256(body).hexdigest()[:32]
    return f'W/"{digest}"' if weak else f'"{digest}"'


def none_match(header: str | None, tag: str) -> bool:
    """Whether ``If-None-Match: header`` names ``tag`` (weak comparison, as RFC 9110 13.1.2 says)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = _opaque(tag)
    return any(_opaque(candidate) == wanted for candidate in header.split(","))


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def authenticated(headers: Headers) -> bool:
    """Whether the request carries credentials: an ``Authorization`` header or the review session."""
    if "authorization" in headers:
        return True
    return any(
        part.strip().startswith(f"{SESSION_COOKIE}=")
        for cookie in headers.getlist("cookie")
        for part in cookie.split(";")
    )


class HttpCacheMiddleware:
    """Cache-Control, ETag / 304 and API-Version on ``/api`` and ``/oai`` (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        versioned = path.startswith(VERSIONED_PREFIX)
        if not (versioned or cacheable_path(path)):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        private = authenticated(request_headers) or path.startswith(PRIVATE_PREFIXES)
        if private or scope["method"] != "GET" or not cacheable_path(path):
            await self.app(scope, receive, _Stamped(send, versioned=versioned, private=private))
            return
        tagged = _Tagged(
            send,
            versioned=versioned,
            weak=path.startswith(WEAK_TAG_PATHS),
            if_none_match=request_headers.get("if-none-match"),
        )
        await self.app(scope, receive, tagged)
        await tagged.finish()


class _Stamped:
    """Passes a response through, adding the version and, for a private one, ``private, no-store``."""

    def __init__(self, send: Send, *, versioned: bool, private: bool) -> None:
        self.send = send
        self.versioned = versioned
        self.private = private

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if self.versioned:
                headers[API_VERSION_HEADER] = API_VERSION
            if self.private:
                headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        await self.send(message)


class _Tagged:
    """Holds a public read's answer until complete, then sends it tagged, or ``304`` when it matches."""

    def __init__(self, send: Send, *, versioned: bool, weak: bool, if_none_match: str | None) -> None:
        self.send = send
        self.versioned = versioned
        self.weak = weak
        self.if_none_match = if_none_match
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False
        """True once the response goes out as it comes (not 200, a cookie, too long)."""

    async def __call__(self, message: Message) -> None:
        if self.passing:
            await self.send(message)
            return
        if message["type"] == "http.response.start":
            self.start = message
            headers = MutableHeaders(scope=message)
            if self.versioned:
                headers[API_VERSION_HEADER] = API_VERSION
            if message["status"] != 200:
                headers["Cache-Control"] = ERROR_CACHE_CONTROL if message["status"] >= 400 else "no-cache"
                await self._pass_through()
            elif "set-cookie" in headers:  # a ?lang= choice remembered: personal, never shared
                headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
                await self._pass_through()
            else:
                headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        body = message.get("body", b"")
        self.chunks.append(body)
        self.size += len(body)
        if self.size > MAX_TAGGED_BODY:
            await self._pass_through(more_body=message.get("more_body", False))
        elif not message.get("more_body", False):
            await self._send_whole()

    async def _pass_through(self, *, more_body: bool | None = None) -> None:
        """Send what is held (start, then any chunks) untagged; what follows goes straight on."""
        self.passing = True
        assert self.start is not None
        await self.send(self.start)
        if more_body is not None:
            await self.send(
                {"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body}
            )
        self.chunks.clear()

    async def _send_whole(self) -> None:
        assert self.start is not None
        body = b"".join(self.chunks)
        self.chunks.clear()
        self.passing = True
        headers = MutableHeaders(scope=self.start)
        tag = headers.get("etag") or entity_tag(body, weak=self.weak)
        headers["ETag"] = tag
        if none_match(self.if_none_match, tag):
            kept = _without(self.start["headers"], _NOT_MODIFIED_DROPS)
            await self.send({"type": "http.response.start", "status": 304, "headers": kept})
            await self.send({"type": "http.response.body", "body": b""})
            return
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": body})

    async def finish(self) -> None:
        """After the app returned: nothing is left held (an app that sent no body sends its start)."""
        if not self.passing and self.start is not None:
            await self._pass_through(more_body=False)


def _without(headers: Iterable[tuple[bytes, bytes]], names: frozenset[str]) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in headers if name.decode("latin-1").lower() not in names]
