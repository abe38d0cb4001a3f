"""OAI-PMH harvester: ``Identify`` and ``ListRecords`` pages, as :class:`Page` values.

Why not sickle's ``Sickle`` object for the requests: sickle 0.7 calls ``requests.get`` without a
session or a default timeout, retries only on status codes (not on resets or timeouts), reads
``Retry-After`` only as seconds and only on 503, calls ``raise_for_status`` before the body is read
(so Zenodo's HTTP 422 carrying ``noRecordsMatch`` becomes an HTTPError), and parses with
``recover=True`` (a truncated or HTML page becomes a silently short list). None of that is what a
ledger-backed harvest needs, so the HTTP layer is :mod:`ren_index.harvest.oai_http` (a
``requests.Session``, injectable for tests) and every body is read by
:func:`ren_index.harvest.oai_response.parse_response` through :mod:`ren_index.xmlsafe`. sickle stays
the reference for the protocol's quirks (its fixtures are replayed in our tests) and a dependency
for the other verbs, which we do not use yet.

``noRecordsMatch`` (even under HTTP 422) ends :meth:`OaiHarvester.pages` normally after yielding
ONE empty Page (no records, no next token): it carries the repository's ``responseDate``, which the
caller may use as the next incremental ``from``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import requests

from ren_index.errors import HarvestError, OaiProtocolError
from ren_index.harvest.addresses import AddressPolicy
from ren_index.harvest.base import Page
from ren_index.harvest.oai_http import OaiHttpClient
from ren_index.harvest.oai_lists import MetadataFormat, SetInfo, list_formats, list_sets
from ren_index.harvest.oai_response import (
    DAY,
    SECONDS,
    IdentifyInfo,
    RequestContext,
    parse_response,
)

__all__ = [
    "IdentifyInfo",
    "OaiHarvester",
    "RequestContext",
    "format_datestamp",
    "parse_response",
]

log = logging.getLogger(__name__)


def format_datestamp(moment: datetime, granularity: str) -> str:
    """``moment`` as an OAI-PMH datestamp in the repository's granularity (UTC).

    A naive datetime is taken as UTC. Day granularity truncates to the day, which makes the next
    incremental window overlap the last one (re-harvesting a few records is harmless; missing
    some is not).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if granularity == SECONDS:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if granularity == DAY:
        return moment.strftime("%Y-%m-%d")
    raise ValueError(f"unknown OAI-PMH granularity {granularity!r}")


class OaiHarvester:
    """Harvest one OAI-PMH endpoint in one metadata format."""

    def __init__(
        self,
        endpoint: str,
        metadata_prefix: str,
        *,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_retry_after: float = 300.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = 300.0,
        policy: AddressPolicy | None = None,
    ) -> None:
        """``policy`` decides where redirects may lead (default: the endpoint's own origin and
        public hosts, :mod:`ren_index.harvest.addresses`); ``deadline`` bounds each request."""
        self.endpoint = endpoint
        self.metadata_prefix = metadata_prefix
        self._http = OaiHttpClient(
            endpoint,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_retry_after=max_retry_after,
            session=session,
            sleep=sleep,
            deadline=deadline,
            policy=policy,
        )

    def identify(self) -> IdentifyInfo:
        """The repository's ``Identify`` answer (granularity, deleted-record policy...)."""
        context = RequestContext(endpoint=self.endpoint, verb="Identify")
        result = self._call({"verb": "Identify"}, context)
        if not isinstance(result, IdentifyInfo):  # pragma: no cover - parse_response guarantees it
            raise context.not_oai("Identify answered with something else", None)
        return result

    def pages(
        self,
        *,
        set_spec: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[Page]:
        """One :class:`Page` per ``ListRecords`` response, until the list is complete.

        With ``resumption_token`` the first request carries only that token (OAI-PMH forbids the
        other arguments beside it); ``set_spec``/``from_``/``until`` must still describe the window,
        because a ``badResumptionToken`` restarts the window from them once (that Page has
        ``restarted=True``). A second ``badResumptionToken`` raises :class:`OaiProtocolError`.
        """
        token = resumption_token
        restarted = False
        restart_pending = False
        seen_tokens: set[str] = set()
        total = 0
        while True:
            context = RequestContext(
                endpoint=self.endpoint,
                verb="ListRecords",
                metadata_prefix=self.metadata_prefix,
                set_spec=set_spec,
                resumption_token=token,
            )
            if token is not None:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
                if set_spec is not None:
                    params["set"] = set_spec
                if from_ is not None:
                    params["from"] = from_
                if until is not None:
                    params["until"] = until
            try:
                result = self._call(params, context)
            except OaiProtocolError as exc:
                if exc.code == "cannotDisseminateFormat" and token is None:
                    raise self._format_refused(exc) from exc
                if exc.code != "badResumptionToken" or token is None or restarted:
                    raise
                log.warning(
                    "badResumptionToken for %r (set=%s); restarting the window from=%s until=%s",
                    token,
                    set_spec,
                    from_,
                    until,
                )
                restarted = restart_pending = True
                token = None
                seen_tokens.clear()
                continue
            if not isinstance(result, Page):  # pragma: no cover - a ListRecords context
                raise context.not_oai("ListRecords answered with an Identify", None)
            page = dataclasses.replace(result, restarted=True) if restart_pending else result
            restart_pending = False
            total += len(page.records)
            log.info(
                "ListRecords %s set=%s token=%r cursor=%s records=%d so far=%d next=%r",
                self.endpoint,
                set_spec,
                token,
                page.cursor,
                len(page.records),
                total,
                page.next_token,
            )
            if page.next_token is not None:
                if page.next_token in seen_tokens or page.next_token == token:
                    raise context.harvest_error(
                        f"the repository sent resumption token {page.next_token!r} again; "
                        "stopping rather than looping"
                    )
                seen_tokens.add(page.next_token)
            yield page
            if page.next_token is None:
                return
            token = page.next_token

    def _format_refused(self, exc: OaiProtocolError) -> OaiProtocolError:
        """``cannotDisseminateFormat`` naming the prefix asked and the formats the repository offers.

        The repository's own message rarely says either; a librarian fixes ``metadata_prefix:``
        with this line alone. If the formats cannot be listed, the original error stands.
        """
        try:
            offered = ", ".join(f.prefix for f in self.formats()) or "(aucun / none)"
        except HarvestError:
            return exc
        return OaiProtocolError(
            exc.code,
            f"le dépôt n'offre pas le format « {self.metadata_prefix} » ; formats offerts : {offered}"
            f" / the repository does not offer {self.metadata_prefix!r}; it offers: {offered}",
            endpoint=exc.endpoint,
            verb=exc.verb,
            set_spec=exc.set_spec,
            metadata_prefix=exc.metadata_prefix,
            http_status=exc.http_status,
            snippet=exc.snippet,
        )

    def formats(self) -> list[MetadataFormat]:
        """The metadata formats the repository offers (``ListMetadataFormats``)."""
        return list_formats(self._http.get, self.endpoint)

    def sets(self, *, limit: int = 50) -> tuple[list[SetInfo], bool]:
        """The repository's first ``limit`` sets, and whether it has more (``ListSets``)."""
        return list_sets(self._http.get, self.endpoint, limit=limit)

    def _call(self, params: dict[str, str], context: RequestContext) -> Page | IdentifyInfo:
        response = self._http.get(params, context)
        context = dataclasses.replace(context, http_status=response.status)
        return parse_response(response.body, context=context)
