"""A configured OpenSearch client, and a reachability check that says what to do about it.

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


def make_client(settings: Settings) -> OpenSearch:
    """A client for ``settings.opensearch_url`` (TLS follows the URL scheme)."""
    auth = None
    if settings.opensearch_user:
        auth = (settings.opensearch_user, settings.opensearch_password or "")
    return OpenSearch(
        hosts=[settings.opensearch_url],
        http_auth=auth,
        verify_certs=settings.opensearch_verify_certs,
        timeout=settings.opensearch_timeout,
        retry_on_timeout=True,
        max_retries=3,
        http_compress=True,
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
