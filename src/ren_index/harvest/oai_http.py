"""The HTTP side of OAI-PMH: one GET with a timeout, bounded retries and ``Retry-After``.

Retried: connection errors and resets, timeouts, bodies cut off in transit, HTTP 408, 429 and 5xx.
The wait before a retry is ``Retry-After`` when the server sends one (seconds or an HTTP date),
otherwise ``backoff * 2**(attempt - 1)``; either is capped at ``max_retry_after``. When the retries
run out on an exception a :class:`HarvestError` is raised; when they run out on an HTTP status the
last response is returned, so its body can still be read for an OAI ``<error>``.

Never retried, because asking again cannot help: a redirect the address policy refuses (it is
not fetched at all, :mod:`ren_index.harvest.addresses`), a request past its overall deadline, too
many redirects, a body over the size limit. Redirects, the deadline and the size limit live in
:mod:`ren_index.harvest.transport`, shared with the partner-feed client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from ren_index.errors import HarvestError
from ren_index.harvest.addresses import AddressPolicy
from ren_index.harvest.network_errors import describe_network_error
from ren_index.harvest.oai_response import RequestContext
from ren_index.harvest.transport import fetch, watched_session
from ren_index.xmlsafe import MAX_BYTES

log = logging.getLogger(__name__)

USER_AGENT = "ren-index/0.1 (OAI-PMH harvester)"
RETRY_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    attempts: int


def is_retryable(status: int) -> bool:
    return status in RETRY_STATUSES or status >= 500


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date).

    ``None`` when the header is missing or unreadable; a date in the past gives 0.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        log.warning("unreadable Retry-After header %r; using the backoff", value)
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class OaiHttpClient:
    """GETs against one OAI-PMH base URL, through a ``requests.Session``."""

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float,
        max_retries: int,
        backoff: float,
        max_retry_after: float,
        session: requests.Session | None,
        sleep: Callable[[float], None],
        deadline: float = 300.0,
        policy: AddressPolicy | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.session = watched_session(session)
        self.sleep = sleep
        self.deadline = deadline
        self.policy = policy or AddressPolicy(endpoint)

    def get(self, params: Mapping[str, str], context: RequestContext) -> HttpResponse:
        """One OAI-PMH request, retried as the module docstring says."""
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                status, headers, body = self._once(params, context)
            except requests.RequestException as exc:
                problem = describe_network_error(exc, self.endpoint)
                if attempt == attempts:
                    raise context.harvest_error(
                        f"{problem} ({context.verb}, {attempt} tentative(s) / attempt(s))"
                    ) from exc
            else:
                if not is_retryable(status) or attempt == attempts:
                    return HttpResponse(status, body, attempt)
                problem = f"HTTP {status}"
                retry_after = retry_after_seconds(headers.get("Retry-After"))
            delay = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            delay = min(delay, self.max_retry_after)
            log.warning(
                "%s %s (attempt %d of %d, token %r); retrying in %.1f s",
                context.verb,
                problem,
                attempt,
                attempts,
                context.resumption_token,
                delay,
            )
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self, params: Mapping[str, str], context: RequestContext
    ) -> tuple[int, Mapping[str, str], bytes]:
        try:
            answer = fetch(
                self.session,
                self.endpoint,
                policy=self.policy,
                timeout=self.timeout,
                deadline=self.deadline,
                params=params,
                headers={"User-Agent": USER_AGENT},
                too_large=lambda _url, head: context.not_oai(
                    f"response larger than {MAX_BYTES} bytes; refused", head
                ),
            )
        except HarvestError as exc:
            _with_context(exc, context)
            raise
        return answer.status, answer.headers, answer.body


def _with_context(exc: HarvestError, context: RequestContext) -> None:
    """``exc`` with the OAI request's verb, set, prefix and token filled in where it has none."""
    exc.verb = exc.verb or context.verb
    exc.set_spec = exc.set_spec or context.set_spec
    exc.metadata_prefix = exc.metadata_prefix or context.metadata_prefix
    exc.resumption_token = exc.resumption_token or context.resumption_token
    exc.endpoint = exc.endpoint or context.endpoint
    exc.args = (str(exc),)
