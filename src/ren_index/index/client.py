"""A configured OpenSearch client, and a reachability check that says what to do about it.

The client is given every node of ``REN_OPENSEARCH_URL``. opensearch-py's connection pool sends
requests round-robin over them; a node that refuses or cuts a connection, or times out, is marked
dead (left alone for a minute, then tried again) and the request is retried on another node, up to
``max_retries`` times — at least once per node, so a cluster that lost one node still answers every
request. 502/503/504 answers are retried the same way (the library's default ``retry_on_status``).
Sniffing (asking the cluster for its nodes' addresses) stays off: behind a proxy, TLS termination
or a container network the addresses nodes publish are not the ones we can reach.
Request bodies are gzipped only for a cluster off this machine: on loopback, compressing a bulk
body here and inflating it in the node was CPU spent twice for no bytes saved on a wire (issue 17:
the index step went from ~2,200–3,000 to ~3,200–3,400 documents/s on 2 cores, 20,000 records).

No connection is made here at import time or in :func:`make_client` (the client connects
lazily); commands call :func:`ping_or_raise` once so an unreachable cluster is one clear line
instead of a stack trace from deep inside a bulk request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from opensearchpy import OpenSearch
from opensearchpy.exceptions import AuthenticationException, AuthorizationException, TransportError

from ren_index.errors import IndexingError
from ren_index.settings import Settings

MIN_RETRIES = 3


def make_client(settings: Settings) -> OpenSearch:
    """A client for every node of ``settings.opensearch_url`` (TLS follows each URL's scheme)."""
    auth = None
    if settings.opensearch_user:
        auth = (settings.opensearch_user, settings.opensearch_password or "")
    hosts = settings.opensearch_urls
    return OpenSearch(
        hosts=hosts,
        http_auth=auth,
        verify_certs=settings.opensearch_verify_certs,
        timeout=settings.opensearch_timeout,
        retry_on_timeout=True,
        max_retries=max(MIN_RETRIES, len(hosts)),
        http_compress=not settings.opensearch_is_local,
    )


def ping_or_raise(client: OpenSearch, url: str) -> None:
    """Raise :class:`IndexingError` with a one-line remedy unless the cluster answers.

    The client logs a warning with a full traceback for each failed attempt; here the failure is
    the expected answer to the question, so those are silenced and replaced by one line.
    """
    try:
        with _quiet_transport():
            client.info()
    except (AuthenticationException, AuthorizationException) as exc:
        raise IndexingError(
            f"OpenSearch at {url} refused the credentials (HTTP {exc.status_code}): check "
            "REN_OPENSEARCH_USER / REN_OPENSEARCH_PASSWORD / identifiants refusés"
        ) from exc
    except (TransportError, OSError) as exc:
        raise IndexingError(
            f"OpenSearch does not answer at {url}: start the local node with "
            "`ren-index opensearch start` or set REN_OPENSEARCH_URL / OpenSearch injoignable"
        ) from exc


@contextmanager
def _quiet_transport() -> Iterator[None]:
    logger = logging.getLogger("opensearch")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)
