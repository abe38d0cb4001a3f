"""The bounds of one link-checking run, as plain values (:class:`CheckerConfig`).

Apart from the checker so the command line, the flow and the web app's « check now » can build
one from the settings without reading how the checker works. Each default says why it is polite
(towards the sites) and safe (towards ren-index).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from ren_index import __version__
from ren_index.config.rules import LinkRules
from ren_index.harvest.addresses import Resolver
from ren_index.settings import Settings

ROBOTS_AGENT = "ren-index"
"""The product token sites' ``robots.txt`` name us by."""


def user_agent(contact: str) -> str:
    """``ren-index/<version> (link checker; +contact)``: who we are and whom a site's owner can
    write to (ASCII: it is a header)."""
    return f"{ROBOTS_AGENT}/{__version__} (link checker; +{contact})"


@dataclass(frozen=True)
class CheckerConfig:
    """The bounds of one run, as plain values (the CLI and the flow build it with :meth:`from_settings`).

    The politeness defaults are ``validation.yaml``'s ``links:`` defaults
    (:class:`~ren_index.config.rules.LinkRules`, where people set them); a test keeps them equal.
    """

    user_agent: str = user_agent("admin@example.org")
    concurrency: int = 16
    """Requests in flight in all."""
    per_host: int = 2
    """Requests in flight to one host (its name or IP address, whatever the port)."""
    per_host_delay: float = 1.0
    """Seconds between the starts of two requests to one host: at most one a second, per host, as
    well-behaved crawlers do; a site's ``Crawl-delay`` raises it (up to ``max_crawl_delay``)."""
    request_timeout: float = 15.0
    """Seconds one request may take in all (connection, headers, the part of the body read)."""
    deadline: float = 7200.0
    """Seconds the whole run may take; links not finished by then are returned as not checked."""
    max_redirects: int = 5
    allow_hosts: tuple[str, ...] = ()
    """``REN_LINKS_ALLOW_HOSTS``: hosts (``host``, ``host:port``) and CIDR ranges allowed besides
    public addresses."""
    max_body_bytes: int = 256 * 1024
    """Bytes of a page read to find its title and first heading."""
    max_targets: int = 100_000
    max_crawl_delay: float = 10.0
    resolve_timeout: float = 10.0
    """Seconds a host name's resolution may take before the link is ``unreachable`` (``dns_timeout``)."""
    resolver: Resolver = field(default=socket.getaddrinfo, repr=False)
    """``socket.getaddrinfo``'s shape; tests give their own to exercise pinning."""

    def __post_init__(self) -> None:
        for name in ("concurrency", "per_host", "max_body_bytes", "max_targets"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("request_timeout", "deadline", "resolve_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.per_host_delay < 0 or self.max_crawl_delay < 0 or self.max_redirects < 0:
            raise ValueError("delays and max_redirects cannot be negative")

    @classmethod
    def from_settings(
        cls, settings: Settings, rules: LinkRules | None = None, **overrides: object
    ) -> CheckerConfig:
        """The bounds of ``validation.yaml``'s ``links:`` (its defaults when ``rules`` is ``None``),
        the User-Agent contact and the allow-list of the settings, then ``overrides``."""
        rules = rules or LinkRules()
        values: dict[str, object] = {
            "user_agent": user_agent(settings.links_user_agent_contact),
            "allow_hosts": tuple(settings.links_allow_hosts),
            "concurrency": rules.concurrency,
            "per_host": rules.per_host,
            "per_host_delay": rules.per_host_delay_s,
            "request_timeout": rules.timeout_s,
            "deadline": rules.deadline_minutes * 60.0,
            "max_redirects": rules.max_redirects,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
