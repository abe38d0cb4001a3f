"""The one address policy: which URLs a harvester may fetch besides the source's own.

Why: a source is a partner's server, and what it answers is hostile until proven otherwise. A
redirect, an Atom ``rel="next"`` link, a WordPress paging URL or a resume token saved from an
earlier answer can all point the harvester at ``http://127.0.0.1:9200`` or a cloud metadata
address; fetching it would put internal data in the run's error snippet, the webhook and the
``--json`` reports (server-side request forgery). So every URL a harvester did not get from
``sources.yaml`` goes through :meth:`AddressPolicy.check` before a byte is sent.

A URL is allowed when its scheme is ``http`` or ``https`` and:

a. it has the scheme, host and port of the configured source URL, or of its ``https`` upgrade
   (same host; port 443 when the source uses the default port, else the same port); or
b. its host is listed in the source's ``allow_hosts:`` (a name or an IP address, with an optional
   ``:port``; an IPv6 address with a port is written ``[::1]:8080``); or
c. every address its host resolves to is public: not loopback, private, link-local, multicast,
   reserved nor unspecified, in IPv4 and IPv6, including IPv4 addresses carried inside IPv6 ones
   (IPv4-mapped, 6to4, Teredo, NAT64).

Anything else raises :class:`~ren_index.errors.AddressRefusedError` naming the URL and the rule;
that error is not a network error, so the HTTP clients never retry it. The resolver is injectable
(``socket.getaddrinfo`` by default) so tests can make a name resolve anywhere without a network.

A host admitted by rule (c) is connected to at the very address that was checked
(:meth:`AddressPolicy.admit`), not resolved a second time: a name whose DNS answer changes between
the check and the connection (DNS rebinding) cannot slip an internal address in. Rule (c) is for
partners' CDNs and mirrors; a source that needs an internal host lists it in ``allow_hosts``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from ren_index.errors import AddressRefusedError

Resolver = Callable[..., Sequence[tuple[Any, ...]]]
"""``socket.getaddrinfo``'s shape: ``(host, port, ...)`` → ``[(family, type, proto, name, sockaddr)]``."""

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class HostPort:
    """One ``allow_hosts:`` entry: a host (lower case, no brackets) and an optional port."""

    host: str
    port: int | None

    def matches(self, host: str, port: int) -> bool:
        return self.host == host and (self.port is None or self.port == port)


def parse_host_entry(entry: str) -> HostPort:
    """``example.org``, ``example.org:8443``, ``10.0.0.5``, ``::1`` or ``[::1]:8080`` as a :class:`HostPort`.

    Raises :class:`ValueError` (the config validator turns it into a librarian's message) on a
    URL, a path, an empty host or a bad port.
    """
    text = entry.strip()
    if not text or "/" in text or "@" in text or any(c.isspace() for c in text):
        raise ValueError(f"{entry!r} is not a host name or an IP address with an optional :port")
    port_text: str | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{entry!r}: write an IPv6 address with a port as [::1]:8080")
        port_text = rest[1:] if rest else None
        _ip(host, entry)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text
        if ":" in host:  # a bare IPv6 address, no port
            _ip(host, entry)
    host = normal_host(host)
    if not host:
        raise ValueError(f"{entry!r}: empty host")
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
        port = int(port_text)
    return HostPort(host, port)


def _ip(text: str, entry: str) -> IpAddress:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{entry!r}: {text!r} is not an IP address") from None


def normal_host(host: str) -> str:
    """Hosts compare case-insensitively, without IPv6 brackets nor a trailing dot."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return host


def _port(parts: SplitResult) -> int:
    """The URL's port, its scheme's default when absent; :class:`ValueError` when malformed."""
    return parts.port if parts.port is not None else DEFAULT_PORTS[parts.scheme.lower()]


def is_public(address: IpAddress) -> bool:
    """True when ``address`` (and any IPv4 address carried inside it) is routable on the internet."""
    if not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified:
        return False
    return all(is_public(inner) for inner in _embedded(address))


def _embedded(address: IpAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    inner: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        inner.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        inner.append(address.sixtofour)
    if address.teredo is not None:
        inner.extend(address.teredo)
    if address in NAT64:
        inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return inner


@dataclass(frozen=True)
class Admission:
    """An admitted URL's host (normalized) and, for rule (c), the checked address to connect to."""

    host: str
    pinned: str | None


class AddressPolicy:
    """The address rules of one source: its configured URL, its ``allow_hosts`` and a resolver."""

    def __init__(
        self,
        source_url: str,
        allow_hosts: Iterable[str] = (),
        *,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        parts = urlsplit(source_url)
        self.source_url = source_url
        self.scheme = parts.scheme.lower()
        self.host = normal_host(parts.hostname or "")
        try:
            self.port = _port(parts) if self.scheme in SCHEMES else None
        except ValueError:
            self.port = None
        self.allow_hosts = tuple(parse_host_entry(entry) for entry in allow_hosts)
        self.resolver = resolver

    def origins(self) -> set[tuple[str, str, int]]:
        """Rule (a): the source's own scheme, host and port, and its ``https`` upgrade."""
        if self.port is None or not self.host:
            return set()
        allowed = {(self.scheme, self.host, self.port)}
        if self.scheme == "http":
            upgrade = DEFAULT_PORTS["https"] if self.port == DEFAULT_PORTS["http"] else self.port
            allowed.add(("https", self.host, upgrade))
        return allowed

    def check(self, url: str) -> str:
        """``url`` itself when the policy allows it; otherwise :class:`AddressRefusedError`."""
        self.admit(url)
        return url

    def admit(self, url: str) -> Admission:
        """Where ``url`` may be fetched from, or :class:`AddressRefusedError`.

        For a host admitted by rule (c) the admission carries the public address that was checked:
        the transport connects to that address (:mod:`ren_index.harvest.transport`), so a name
        whose DNS answer changes between the check and the connection (DNS rebinding) cannot
        lead it elsewhere. Rules (a) and (b) are trusted as named; no address is pinned.
        """
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            raise self._refused(url, "malformed", "URL illisible", "unreadable URL") from None
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise self._refused(
                url,
                "scheme",
                f"seuls http et https sont permis (ici {scheme or 'aucun schéma'!r})",
                f"only http and https are allowed (here {scheme or 'no scheme'!r})",
            )
        try:
            host, port = normal_host(parts.hostname or ""), _port(parts)
        except ValueError:
            raise self._refused(url, "malformed", "port illisible", "unreadable port") from None
        if not host:
            raise self._refused(url, "malformed", "aucun hôte", "no host")
        if (scheme, host, port) in self.origins():
            return Admission(host, None)
        if any(entry.matches(host, port) for entry in self.allow_hosts):
            return Admission(host, None)
        addresses = self._resolve(url, host, port)
        private = [str(a) for a in addresses if not is_public(a)]
        if private:
            raise self._refused(
                url,
                "non_public",
                f"ni la source configurée, ni un hôte de allow_hosts, et {host} désigne une adresse"
                f" non publique ({', '.join(private)})",
                f"not the configured source, not in allow_hosts, and {host} leads to a non-public"
                f" address ({', '.join(private)})",
            )
        return Admission(host, str(addresses[0]))

    def _resolve(self, url: str, host: str, port: int) -> list[IpAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            answers = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise self._refused(
                url,
                "unresolvable",
                f"ni la source configurée, ni un hôte de allow_hosts, et {host} ne se résout pas ({exc})",
                f"not the configured source, not in allow_hosts, and {host} does not resolve ({exc})",
            ) from None
        addresses: list[IpAddress] = []
        for answer in answers:
            try:
                addresses.append(ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0]))
            except (ValueError, IndexError, TypeError):
                continue
        if not addresses:
            raise self._refused(
                url,
                "unresolvable",
                f"ni la source configurée, ni un hôte de allow_hosts, et {host} ne donne aucune adresse",
                f"not the configured source, not in allow_hosts, and {host} gives no address",
            )
        return addresses

    def _refused(self, url: str, rule: str, why_fr: str, why_en: str) -> AddressRefusedError:
        return AddressRefusedError(
            f"adresse refusée, jamais demandée : {url!r} — {why_fr} (règle des adresses, voir"
            f" docs/harvesting.md) / address refused, never fetched: {url!r} — {why_en} (address"
            " rule, see docs/harvesting.md)",
            url=url,
            rule=rule,
            endpoint=self.source_url,
        )
