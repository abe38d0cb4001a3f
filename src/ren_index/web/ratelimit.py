"""An in-process sliding-window rate limit, one window per key, in bounded memory.

Used by ``/api/contributions`` to hold each platform to ``REN_CONTRIBUTIONS_RATE_LIMIT`` requests
a minute. A sliding log (the times of the last ``limit`` requests) rather than a fixed window:
a fixed window lets a client send twice the limit across a minute boundary, and the log costs
``limit`` floats per key, which is nothing for the few platforms there are.

The keys are whatever the caller chooses (the routes use the SHA-256 of a platform's key, never
the key itself). Memory is bounded twice: a key's log never holds more than ``limit`` times, and
at most ``max_keys`` keys are kept, the least recently seen forgotten first — forgetting a key only
gives it a fresh window, it never blocks anyone. Callers should create a window only for clients
they have authenticated (see :meth:`SlidingWindowLimiter.hit`), so unauthenticated noise cannot
push real platforms out.

One limiter per process: with several workers each enforces the limit on its own share of the
requests (a platform may then reach ``workers × limit``); a shared limit belongs in the reverse
proxy. The lock makes it safe from FastAPI's thread pool.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

DEFAULT_MAX_KEYS = 10_000


class SlidingWindowLimiter:
    """At most ``limit`` requests per key in any ``window`` seconds."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be at least 1, window positive")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._logs: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, key: str) -> int:
        """Seconds before ``key`` may send again (0 = it may), without counting a request nor
        creating a window: lets a caller refuse a client already over its limit before doing any
        work for it (a ledger look-up), and costs nothing for a key never seen."""
        with self._lock:
            log = self._logs.get(key)
            return 0 if log is None else self._wait(log, self._clock())

    def hit(self, key: str) -> int:
        """Count one request of ``key``; returns 0 when it is allowed, else the whole seconds until
        it would be (``Retry-After``). A refused request is not counted, so a client that waits
        as told is served."""
        now = self._clock()
        with self._lock:
            log = self._logs.get(key)
            if log is None:
                log = deque(maxlen=self.limit)
                self._logs[key] = log
                while len(self._logs) > self.max_keys:
                    self._logs.popitem(last=False)
            else:
                self._logs.move_to_end(key)
            wait = self._wait(log, now)
            if wait == 0:
                log.append(now)
            return wait

    def _wait(self, log: deque[float], now: float) -> int:
        while log and log[0] <= now - self.window:
            log.popleft()
        if len(log) < self.limit:
            return 0
        return max(1, math.ceil(log[0] + self.window - now))

    def __len__(self) -> int:
        """How many keys have a window (for tests of the bound)."""
        return len(self._logs)
