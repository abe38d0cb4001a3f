"""``robots.txt``, read once per site and run, as RFC 9309 says.

Why: a site's owner may ask robots to keep out of parts of it; a checker that ignores that gets
blocked, and rightly. The file of each scheme + host + port is fetched once per run (concurrent
links of one site wait for the same fetch) and judged by the RFC's rules:

- **2xx**: parsed with ``protego`` (the first :data:`MAX_BYTES` read, beyond the RFC's 500 KiB
  minimum); its ``Crawl-delay`` for ren-index, capped, slows the host down;
- **4xx** (not 429): "unavailable", everything is allowed;
- **5xx or 429**: "unreachable", everything is disallowed for this run (links are skipped, the
  site not asked);
- **network failure** (no answer, refused, timeout, TLS): also disallowed, and reported as the
  failure it is, so a site that is down is not mistaken for a site that forbids us;
- **redirects**: followed up to 5 hops, each one through the address policy; more than 5 counts as
  unavailable (allowed, as the RFC permits), a hop to a refused address as unreachable.

The fetching itself is the checker's (:meth:`RobotsBook.verdict` takes a ``fetch`` callable that
goes through politeness and the address policy); this module keeps the decisions and the cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from protego import Protego

from ren_index.errors import AddressRefusedError
from ren_index.links.http import Answer, FetchFailed

MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})

Fetch = Callable[[str], Awaitable[Answer]]
"""Fetch one URL (``GET``, politely, through the address policy); raises :class:`FetchFailed`, or
:class:`~ren_index.errors.AddressRefusedError` for a refused hop."""


@dataclass(frozen=True)
class Rules:
    """One site's ``robots.txt`` as judged: its rules, or a blanket answer and why."""

    parsed: Protego | None = None
    allow_all: bool = False
    status: int | None = None
    failure: str | None = None
    """Set when the file could not be reached at all (``connect``, ``timeout``, ``tls``…)."""
    why: str = ""

    def allows(self, url: str, agent: str) -> bool:
        if self.parsed is not None:
            return bool(self.parsed.can_fetch(url, agent))
        return self.allow_all

    def crawl_delay(self, agent: str) -> float | None:
        if self.parsed is None:
            return None
        delay = self.parsed.crawl_delay(agent)
        return float(delay) if delay is not None else None


def robots_url(url: str) -> str:
    """``scheme://host:port/robots.txt`` of ``url``'s site."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/robots.txt", "", ""))


def judge(answer: Answer) -> Rules:
    """The RFC 9309 reading of a final (non-redirect) answer to ``/robots.txt``."""
    status = answer.status
    if 200 <= status < 300:
        text = (answer.body or b"").decode("utf-8", "replace")
        return Rules(parsed=Protego.parse(text), status=status, why=f"robots.txt ({status})")
    if 400 <= status < 500 and status != 429:
        return Rules(allow_all=True, status=status, why=f"robots.txt absent ({status}) : tout est permis")
    return Rules(
        status=status,
        why=(
            f"robots.txt injoignable ({status}) : tout est interdit pour ce passage / robots.txt"
            f" unreachable ({status}): everything disallowed for this run"
        ),
    )


async def read_robots(url: str, fetch: Fetch) -> Rules:
    """Fetch and judge ``url``'s site's ``robots.txt``, following at most :data:`MAX_REDIRECTS` hops."""
    current = robots_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            answer = await fetch(current)
        except FetchFailed as failed:
            return Rules(
                failure=failed.kind,
                why=(
                    f"robots.txt injoignable ({failed.kind}) : le site ne répond pas / robots.txt"
                    f" unreachable ({failed.kind}): the site does not answer"
                ),
            )
        except AddressRefusedError:
            return Rules(why="robots.txt redirigé vers une adresse refusée / redirected to a refused address")
        location = answer.headers.get("location")
        if answer.status not in REDIRECTS or not location:
            return judge(answer)
        try:
            current = urljoin(current, location)
        except ValueError:
            return Rules(allow_all=True, why="robots.txt : redirection illisible / unreadable redirect")
    return Rules(allow_all=True, why="robots.txt : trop de redirections / too many redirects")


class RobotsBook:
    """The ``robots.txt`` rules of every site met in one run, each fetched once."""

    def __init__(self) -> None:
        self._sites: dict[str, asyncio.Future[Rules]] = {}

    async def rules(self, url: str, fetch: Fetch) -> Rules:
        key = robots_url(url)
        pending = self._sites.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Rules] = asyncio.get_running_loop().create_future()
        self._sites[key] = future
        try:
            rules = await read_robots(url, fetch)
        except BaseException:
            future.cancel()
            raise
        future.set_result(rules)
        return rules

    def __len__(self) -> int:
        return len(self._sites)
