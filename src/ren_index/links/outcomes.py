"""What one check of one link found: the shared vocabulary of the checker, the rules and the ledger.

The checker (:mod:`ren_index.links.checker`) produces a :class:`LinkResult` per link; the pure rules
(:mod:`ren_index.links.patience`, :mod:`ren_index.links.outage`) judge a record's link from its
results over time; the ledger keeps them. Kept apart so none of those depends on another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    """One check's outcome (issue 15, point 2)."""

    OK = "ok"
    REDIRECTED = "redirected"
    """A permanent redirect (301, 308) to a page that answers: the new URL is offered as a correction."""
    BROKEN = "broken"
    """404, 410, a name that does not resolve, a redirect loop or more than the allowed redirects."""
    SOFT_404 = "soft_404"
    """A 200 page that says it is not found, or a deep link sent to the site's home page."""
    UNREACHABLE = "unreachable"
    """Timeouts, refused connections, TLS failures, 5xx: maybe passing, maybe an outage."""
    SKIPPED = "skipped"
    """Not asked: robots.txt disallows it, or the address is not public (and not allowed)."""


FAILURES = frozenset({Outcome.BROKEN, Outcome.SOFT_404, Outcome.UNREACHABLE})
"""The outcomes that count towards declaring a link broken (patience rules)."""


@dataclass(frozen=True)
class LinkTarget:
    """One link to check: a live record's landing URL."""

    record_id: str
    url: str
    source_id: str
    soft_404: tuple[str, ...] = ()
    """The source's own soft-404 patterns (``sources.yaml`` ``links: {soft_404: [...]}``), added to
    the built-in French and English ones."""


@dataclass(frozen=True)
class LinkResult:
    """What one check of one link found."""

    record_id: str
    url: str
    host: str
    """The URL's host name or IP address, whatever the port: the unit of politeness and outages."""
    outcome: Outcome
    checked_at: datetime
    http_status: int | None = None
    final_url: str | None = None
    """Where the redirects led (``None`` when there was none)."""
    redirects: tuple[tuple[int, str], ...] = ()
    """Each redirect followed: its status and the ``Location`` it gave."""
    attempts: int = 1
    """Requests made for this link (``HEAD`` then ``GET`` counts two)."""
    elapsed_s: float = 0.0
    reason: str = ""
    """One line saying why, in words (« robots.txt l'interdit / disallowed by robots.txt », « 404 »…)."""
    failure: str | None = None
    """For a failure, its kind (``http_404``, ``dns``, ``timeout``, ``connect``, ``tls``, ``http_5xx``,
    ``soft_404``, ``loop``…): outages are told apart by many links of a host failing the same way."""
    extra: dict[str, str] = field(default_factory=dict)
