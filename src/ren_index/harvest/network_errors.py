"""A network failure told the way a librarian can act on it, in one line, French then English.

``requests`` wraps urllib3's errors, which wrap the socket's: the text of a refused connection is
three nested class names, a pool description and the errno. What a person needs is which host,
and whether it is a name that does not resolve, a server that refuses, a server that does not
answer in time, or a certificate problem (issue 13, point 5).
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import requests
import urllib3


def describe_network_error(exc: BaseException, url: str) -> str:
    """One line for a failed request to ``url``: what happened to which host, fr / en."""
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port}" if parts.port else host
    chain = list(_chain(exc))
    if any(isinstance(e, urllib3.exceptions.NameResolutionError | socket.gaierror) for e in chain):
        return f"hôte introuvable (DNS) : {host} / host not found (DNS): {host}"
    if any(
        isinstance(e, ssl.SSLError | urllib3.exceptions.SSLError | requests.exceptions.SSLError)
        for e in chain
    ):
        return f"échec TLS (certificat) avec {where} / TLS (certificate) failure with {where}"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in str(exc):
        return f"connexion refusée par {where} / connection refused by {where}"
    if any(isinstance(e, requests.exceptions.Timeout | TimeoutError | socket.timeout) for e in chain):
        return f"{where} ne répond pas à temps / {where} did not answer in time"
    if any(isinstance(e, ConnectionResetError | urllib3.exceptions.ProtocolError) for e in chain):
        return f"connexion coupée par {where} / connection reset by {where}"
    detail = str(chain[-1]) if chain else str(exc)
    if len(detail) > 200:
        detail = detail[:200] + "…"
    return f"échec réseau avec {where} / network failure with {where}: {type(chain[-1]).__name__}: {detail}"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and urllib3's ``reason`` (how requests nests them), bounded."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 10 and current not in seen:
        seen.append(current)
        reason = getattr(current, "reason", None)
        nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = (
            reason
            if isinstance(reason, BaseException)
            else nested or current.__cause__ or current.__context__
        )
    return seen
