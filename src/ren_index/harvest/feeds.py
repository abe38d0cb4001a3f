"""RSS 2.0 / Atom harvester (feedparser): each item is one raw record, stored as JSON.

Why JSON and not the item's XML: feedparser already reconciles RSS 0.9x/1.0/2.0 and Atom (guid vs
id, pubDate vs updated, dc:creator vs author...) into one shape; keeping that shape means one
mapper (:mod:`ren_index.normalize.mappers.rss`) for every dialect. feedparser is given bytes we
fetched ourselves, so it never touches the network, and it sanitizes the HTML it returns.

Conditional GET: the first URL is asked with the ``ETag`` / ``Last-Modified`` the previous
completed run kept (``Page.state``). A 304 yields one empty page and sets ``not_modified``, so the
harvest step knows that seeing no record means "unchanged", not "everything withdrawn".

Paging: Atom ``<link rel="next">`` (RFC 5005) is followed; a WordPress feed (its ``<generator>``
says so, or its URL already has ``paged=``) is walked ``?paged=2, 3...`` until a 404, an empty page
or a page with nothing new. ``max_pages`` bounds both. The next page's URL is the page's
``next_token``, so an interrupted run resumes where it stopped, like an OAI-PMH one.

A ``next`` URL comes from the feed, so it goes through the address policy
(:mod:`ren_index.harvest.addresses`) *before* it becomes a page's ``next_token``: a refused one is
never saved as the resume point nor fetched. The page that named it is still stored (its records
are the feed's own), then the run fails with the refusal. A token saved by an older version is
checked again when the run resumes (every fetch of :class:`DocumentClient` is).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser  # no stubs: see the mypy override in pyproject.toml

from ren_index.errors import AddressRefusedError
from ren_index.harvest.base import Page, RawRecord
from ren_index.harvest.documents import DocumentClient, DocumentHarvester, failed, short_hash

log = logging.getLogger(__name__)

FORMAT = "rss"


def with_page(url: str, number: int) -> str:
    """``url`` with its ``paged`` query parameter set to ``number`` (WordPress feed paging)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "paged"]
    query.append(("paged", str(number)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _page_number(url: str) -> int:
    for key, value in parse_qsl(urlsplit(url).query):
        if key == "paged" and value.isdigit():
            return int(value)
    return 1


def _iso(parsed: time.struct_time | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else None


def _text(detail: Any) -> dict[str, Any] | None:
    """A feedparser text construct as ``{"value", "type", "language"}`` (None when empty)."""
    if not detail or not detail.get("value"):
        return None
    return {"value": detail.get("value"), "type": detail.get("type"), "language": detail.get("language")}


def item_payload(entry: Any, feed: Any) -> dict[str, Any]:
    """The JSON stored for one item: what the RSS mapper reads, nothing feed-library specific."""
    links = entry.get("links") or []
    licence = [link.get("href") for link in links if link.get("rel") == "license" and link.get("href")]
    return {
        "id": entry.get("id"),
        "link": entry.get("link"),
        "title": _text(entry.get("title_detail")),
        "summary": _text(entry.get("summary_detail")),
        "content": [t for t in (_text(c) for c in entry.get("content") or []) if t],
        "published": _iso(entry.get("published_parsed")) or entry.get("published"),
        # dict.get: feedparser's own .get maps a missing ``updated`` to ``published`` (deprecated)
        "updated": _iso(dict.get(entry, "updated_parsed")) or dict.get(entry, "updated"),
        "authors": [a.get("name") for a in entry.get("authors") or [] if a.get("name")],
        "tags": [t.get("term") for t in entry.get("tags") or [] if t.get("term")],
        "language": feed.get("language") or (feed.get("title_detail") or {}).get("language"),
        "rights": entry.get("rights") or feed.get("rights"),
        "licence": licence,
        "enclosures": [{"href": e.get("href"), "type": e.get("type")} for e in entry.get("enclosures") or []],
        "feed": {"title": feed.get("title"), "link": feed.get("link")},
    }


def item_identifier(entry: Any, payload: str) -> str:
    """The item's guid (or Atom id), else its link, else a hash of what it says."""
    for key in ("id", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return short_hash(payload)


class FeedHarvester(DocumentHarvester):
    """Harvest one RSS 2.0 or Atom feed, following its pages up to ``max_pages``."""

    metadata_prefix = FORMAT

    def __init__(self, url: str, client: DocumentClient | None = None, *, max_pages: int = 50) -> None:
        super().__init__(url, client)
        self.max_pages = max_pages

    def pages(
        self,
        *,
        set_spec: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[Page]:
        """One :class:`Page` per feed document fetched (the window arguments mean nothing here)."""
        url: str | None = resumption_token or self.url
        seen: set[str] = set()
        fetched_pages = 0
        while url is not None and fetched_pages < self.max_pages:
            first = url == self.url
            fetched_pages += 1
            if first:
                got = self.fetch_first(url)
                if got is None:
                    yield Page(records=[], request_token=None, next_token=None, state=self.next_state())
                    return
                fetched = got
            else:
                fetched = self.client.get(url, policy=self.policy)
                if fetched.status in (404, 410):
                    return  # past the last WordPress page
                if fetched.status != 200:
                    raise failed(fetched, "a page of the feed could not be fetched")
            parsed = feedparser.parse(fetched.body, response_headers=dict(fetched.headers))
            if parsed.bozo and not parsed.entries:
                raise failed(fetched, f"not a readable feed ({parsed.get('bozo_exception')})")
            records, problems = self._records(parsed, seen)
            next_url = self._next_url(url, parsed) if records else None
            refused: AddressRefusedError | None = None
            if next_url is not None:
                try:
                    self.policy.check(next_url)
                except AddressRefusedError as exc:
                    refused, next_url = exc, None
            yield Page(
                records=records,
                request_token=None if first else url,
                next_token=next_url,
                problems=problems,
                state=self.next_state(),
            )
            if refused is not None:
                raise refused
            url = next_url
        if url is not None:
            self.truncated = True
            log.warning("%s: stopped after %d pages (max_pages)", self.url, self.max_pages)

    def _records(self, parsed: Any, seen: set[str]) -> tuple[list[RawRecord], list[str]]:
        records: list[RawRecord] = []
        problems: list[str] = []
        for number, entry in enumerate(parsed.entries, start=1):
            payload = json.dumps(item_payload(entry, parsed.feed), ensure_ascii=False, sort_keys=True)
            identifier = item_identifier(entry, payload)
            if identifier in seen:
                continue
            seen.add(identifier)
            if not entry.get("id") and not entry.get("link"):
                problems.append(f"item {number}: no guid, id nor link; identified by its content hash")
            records.append(
                RawRecord(
                    identifier=identifier,
                    datestamp=_iso(dict.get(entry, "updated_parsed") or entry.get("published_parsed")),
                    deleted=False,
                    metadata_prefix=FORMAT,
                    payload=payload,
                )
            )
        return records, problems

    def _next_url(self, url: str, parsed: Any) -> str | None:
        """Atom ``rel="next"``, else the next WordPress page, else ``None``."""
        for link in parsed.feed.get("links") or []:
            if link.get("rel") == "next" and link.get("href"):
                return urljoin(url, str(link["href"]))
        generator = str(parsed.feed.get("generator") or "").lower()
        if "wordpress" in generator or "paged=" in url:
            return with_page(url, _page_number(url) + 1)
        return None
