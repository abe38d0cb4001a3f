"""The harvester's address policy applied to landing pages, with address ranges in the allow-list.

Why: a record's ``url`` comes from a partner's data, so it is as hostile as a harvested redirect;
checking it must not let anyone make ren-index probe ``http://10.0.0.7/admin`` or a cloud
metadata address. The rules are :class:`ren_index.harvest.addresses.AddressPolicy`'s, reused as
they are (http(s) only; public addresses only; the DNS answer that was checked is the one
connected to), with no source origin of its own (rule (a) never applies) and one addition the
operator of an intranet needs: ``REN_LINKS_ALLOW_HOSTS`` may name CIDR ranges (``10.1.0.0/16``)
besides hosts. A host whose every address lies in an allowed range is admitted and pinned to the
checked address, exactly like a public one.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

from ren_index.errors import AddressRefusedError, ConfigError
from ren_index.harvest.addresses import (
    AddressPolicy,
    Admission,
    IpAddress,
    Resolver,
    is_public,
    normal_host,
    parse_host_entry,
)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def split_allow_list(entries: Iterable[str]) -> tuple[tuple[str, ...], tuple[IpNetwork, ...]]:
    """``REN_LINKS_ALLOW_HOSTS`` entries as (host entries, address ranges); :class:`ConfigError`
    naming the entry when one is neither."""
    hosts: list[str] = []
    networks: list[IpNetwork] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            if "/" in text:
                networks.append(ipaddress.ip_network(text, strict=False))
            else:
                parse_host_entry(text)
                hosts.append(text)
        except ValueError as exc:
            raise ConfigError(
                f"REN_LINKS_ALLOW_HOSTS : {text!r} n'est ni un hôte (hôte ou hôte:port) ni une plage"
                f" CIDR / is neither a host (host or host:port) nor a CIDR range ({exc})"
            ) from None
    return tuple(hosts), tuple(networks)


class LinkAddressPolicy(AddressPolicy):
    """:class:`AddressPolicy` without an origin, whose allow-list also takes address ranges."""

    def __init__(self, allow: Iterable[str] = (), *, resolver: Resolver = socket.getaddrinfo) -> None:
        hosts, self.networks = split_allow_list(allow)
        super().__init__("", hosts, resolver=resolver)
        self._resolved = threading.local()  # admissions run in worker threads

    def admit(self, url: str) -> Admission:
        self._resolved.addresses = None
        try:
            return super().admit(url)
        except AddressRefusedError as refused:
            addresses: list[IpAddress] | None = self._resolved.addresses
            if refused.rule != "non_public" or not self.networks or not addresses:
                raise
            if not all(self._in_range_or_public(address) for address in addresses):
                raise
            return Admission(normal_host(urlsplit(url).hostname or ""), str(addresses[0]))

    def _resolve(self, url: str, host: str, port: int) -> list[IpAddress]:
        """The parent's resolution, remembered (per thread) so a range check asks the DNS once."""
        addresses = super()._resolve(url, host, port)
        self._resolved.addresses = addresses
        return addresses

    def _in_range_or_public(self, address: IpAddress) -> bool:
        return is_public(address) or any(address in network for network in self.networks)
