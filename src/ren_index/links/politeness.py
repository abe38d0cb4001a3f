"""How hard the link checker may press on one site: a global bound, a per-host bound and a delay.

Why: thousands of records often share one host (a partner's repository); checking them all at
once would look like an attack and get ren-index blocked, or take a small site down. Every request
the checker sends — a landing page, a redirect hop to another site, a ``robots.txt`` — passes
through :meth:`Politeness.slot` for the host it goes to, so the bounds hold whichever link led
there:

- at most ``per_host`` requests in flight to one host (default 2), and at most ``concurrency``
  in all;
- consecutive requests to one host *start* at least ``delay`` seconds apart (raised to the site's
  ``Crawl-delay`` when its ``robots.txt`` asks for more, up to a cap).

A host is the URL's host name or IP address whatever the port or scheme: two services on one
machine share its capacity. Each gate counts the requests it lets through at once, so a run can
report the highest per-host concurrency it reached (and the bench can prove the bound held).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from ren_index.harvest.addresses import normal_host


def host_of(url: str) -> str:
    """The politeness (and outage) unit of ``url``: its host name or IP address, ``""`` if none."""
    try:
        return normal_host(urlsplit(url).hostname or "")
    except ValueError:
        return ""


class HostGate:
    """One host's bound, its spacing and what it saw."""

    def __init__(self, per_host: int, delay: float) -> None:
        self.slots = asyncio.Semaphore(per_host)
        self.spacing = asyncio.Lock()
        self.delay = delay
        self.last_start = float("-inf")
        self.active = 0
        self.peak = 0
        self.requests = 0


class Politeness:
    """The bounds of one run: one :class:`HostGate` per host met, one global semaphore."""

    def __init__(
        self,
        *,
        concurrency: int,
        per_host: int,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_host = per_host
        self.delay = delay
        self.clock = clock
        self.everywhere = asyncio.Semaphore(concurrency)
        self.gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        gate = self.gates.get(host)
        if gate is None:
            gate = self.gates[host] = HostGate(self.per_host, self.delay)
        return gate

    def slow_down(self, host: str, seconds: float) -> None:
        """A site's ``Crawl-delay``: its requests are spaced by at least that much from now on."""
        gate = self.gate(host)
        gate.delay = max(gate.delay, seconds)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Wait for the right to send one request to ``host``, and hold it while the request runs.

        The host's slot is taken first (waiting for it holds no global slot), then the spacing
        lock: the request starts no sooner than ``delay`` after the previous start on this host,
        and the global slot is taken before the start is stamped, so the spacing is between real
        starts. Only one request per host waits for a global slot at a time, so hosts take turns
        when the global bound is reached. Nothing here waits while holding a slot another host's
        request needs.
        """
        gate = self.gate(host)
        async with gate.slots:
            async with gate.spacing:
                wait = gate.last_start + gate.delay - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self.everywhere.acquire()
                gate.last_start = self.clock()
            gate.active += 1
            gate.requests += 1
            gate.peak = max(gate.peak, gate.active)
            try:
                yield
            finally:
                gate.active -= 1
                self.everywhere.release()

    def peak_per_host(self) -> int:
        """The most requests in flight to one host at any moment of the run."""
        return max((gate.peak for gate in self.gates.values()), default=0)
