"""What the partner-feed harvesters (RSS/Atom, JSON-LD, CSV) share: one bounded HTTP GET and
the OAI-shaped face the harvest step expects.

Why an OAI shape: :func:`ren_index.steps.harvest.harvest_source` writes a page and its
checkpoint in one transaction and knows nothing of protocols. Giving every feed harvester the
same ``identify()`` and ``pages(...)`` as :class:`~ren_index.harvest.oai.OaiHarvester` keeps that
step, its checkpoints and its run reports identical for every source type. A feed has no
deletions and no incremental window, so :meth:`DocumentHarvester.identify` says
``deletedRecord=no``: every feed harvest is complete, and what it no longer lists is withdrawn.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from ren_index.errors import HarvestError
from ren_index.harvest.addresses import AddressPolicy
from ren_index.harvest.base import Page
from ren_index.harvest.network_errors import describe_network_error
from ren_index.harvest.oai_http import is_retryable
from ren_index.harvest.oai_response import IdentifyInfo
from ren_index.harvest.transport import fetch, watched_session
from ren_index.xmlsafe import MAX_BYTES

log = logging.getLogger(__name__)

USER_AGENT = "ren-index/0.1 (partner feed harvester)"


@dataclass(frozen=True)
class Fetched:
    """One HTTP answer, read whole (and bounded)."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]


def short_hash(text: str) -> str:
    """A stable identifier for a record whose source gives none (its content, hashed)."""
    return "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


class DocumentClient:
    """GET one document with a timeout, bounded retries on resets/429/5xx and a size cap.

    304 and 4xx answers come back as they are: the harvester decides what they mean (a 304 is
    "unchanged", a 404 after the first page ends a WordPress ``?paged=N`` walk).

    Every URL asked for, and every redirect on the way, goes through an address policy
    (:mod:`ren_index.harvest.addresses`): the one given to :meth:`get`, else the client's own
    (``policy``, built from the source by the harvest step), else one that trusts only the origin
    of the URL asked for. A refused address, a request past ``deadline`` seconds, too many
    redirects or a body over the size limit are not retried (:mod:`ren_index.harvest.transport`).
    """

    def __init__(
        self,
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = 300.0,
        policy: AddressPolicy | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.session = watched_session(session)
        self.sleep = sleep
        self.deadline = deadline
        self.policy = policy

    def get(
        self, url: str, headers: Mapping[str, str] | None = None, *, policy: AddressPolicy | None = None
    ) -> Fetched:
        """The answer to ``GET url``; a :class:`HarvestError` when the server cannot be reached."""
        policy = policy or self.policy or AddressPolicy(url)
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = fetch(
                    self.session,
                    url,
                    policy=policy,
                    timeout=self.timeout,
                    deadline=self.deadline,
                    headers=sent,
                    too_large=_too_large,
                )
            except requests.RequestException as exc:
                if attempt > self.max_retries:
                    raise HarvestError(
                        f"{describe_network_error(exc, url)} (document, {attempt} tentative(s) / attempt(s))",
                        endpoint=url,
                    ) from exc
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            status, got = answer.status, dict(answer.headers)
            if is_retryable(status) and attempt <= self.max_retries:
                log.warning("%s answered HTTP %s; retry %d/%d", url, status, attempt, self.max_retries)
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            return Fetched(url=url, status=status, body=answer.body, headers=got)


def _too_large(url: str, head: bytes) -> HarvestError:
    """The error for a hostile or runaway export larger than :data:`MAX_BYTES`."""
    return HarvestError(f"the document is larger than {MAX_BYTES} bytes", endpoint=url)


def failed(fetched: Fetched, what: str) -> HarvestError:
    """The error for an answer that is not the document (carries a snippet for the operator)."""
    return HarvestError(
        f"{what}: HTTP {fetched.status}",
        endpoint=fetched.url,
        http_status=fetched.status,
        snippet=fetched.body[:500].decode("utf-8", "replace"),
    )


class DocumentHarvester:
    """Base of the feed harvesters: the OAI-shaped ``identify()`` and the state between runs.

    ``state`` is what the previous completed run's last page carried (``Page.state``); the harvest
    step sets it before calling :meth:`pages`. ``not_modified`` is set when the server answered
    304: the run then saw no records *because nothing changed*, and must withdraw nothing; so is
    ``truncated`` when a bound (``max_pages``) stopped the walk before the end.
    """

    metadata_prefix = "json"

    def __init__(self, url: str, client: DocumentClient | None = None) -> None:
        self.url = url
        self.client = client or DocumentClient()
        self.policy = self.client.policy or AddressPolicy(url)
        """Where this harvester may go: the client's policy (the source's, with its
        ``allow_hosts``), else this URL's origin and public hosts. Every fetch passes it."""
        self.state: dict[str, Any] = {}
        self.not_modified = False
        self.truncated = False
        self._next_state: dict[str, Any] = {}

    def fetch_first(self, url: str) -> Fetched | None:
        """GET the source's document with the validators kept from the last run.

        ``None`` on a 304 (``not_modified`` is then set); otherwise the 200 answer, whose own
        validators become :meth:`next_state`. Any other status is a :class:`HarvestError`.
        """
        headers = {}
        if self.state.get("etag"):
            headers["If-None-Match"] = str(self.state["etag"])
        if self.state.get("modified"):
            headers["If-Modified-Since"] = str(self.state["modified"])
        fetched = self.client.get(url, headers, policy=self.policy)
        if fetched.status == 304 and headers:
            log.info("%s: not modified since the last run", url)
            self.not_modified = True
            return None
        if fetched.status != 200:
            raise failed(fetched, "the source document could not be fetched")
        lowered = {k.lower(): v for k, v in fetched.headers.items()}
        self._next_state = {
            key: lowered[header]
            for key, header in (("etag", "etag"), ("modified", "last-modified"))
            if lowered.get(header)
        }
        return fetched

    @property
    def complete(self) -> bool:
        """True when the run saw everything the source lists (so absence means withdrawal)."""
        return not self.not_modified and not self.truncated

    def next_state(self) -> dict[str, Any]:
        """The state to keep for the next run: the new validators, or the old ones after a 304."""
        return dict(self.state) if self.not_modified else dict(self._next_state)

    def identify(self) -> IdentifyInfo:
        """No Identify in a feed: a complete listing (absence means withdrawal)."""
        return IdentifyInfo.complete_listing(self.url)

    def pages(
        self,
        *,
        set_spec: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[Page]:  # pragma: no cover - every subclass overrides it
        """Pages of records; the window arguments are accepted and ignored (a feed has none)."""
        raise NotImplementedError
