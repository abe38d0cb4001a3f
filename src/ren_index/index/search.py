"""The portal query: words in, ranked resources out.

User text goes to ``multi_match`` only, never to ``query_string`` (whose syntax lets a visitor
write field names, regexes and wildcards that cost the cluster dearly or fail the query).

``cross_fields`` with ``operator: and`` is used because the fields use different analyzers:
OpenSearch groups them by analyzer, and within a group every word must appear in *some* field
(title, keywords or description). So "fractions primaire" finds a resource whose title has one
word and whose keywords have the other, and a French stop word ("de", "la") is dropped by the
French group instead of being required literally. A phrase match adds to the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

from ren_index.errors import IndexingError
from ren_index.model import pick_lang

SEARCH_FIELDS = [
    "title_fr^3",
    "title_en^3",
    "title_other^3",
    "keywords_fr^2",
    "keywords_en^2",
    "keywords_other^2",
    "description_fr",
    "description_en",
    "description_other",
]
MAX_SIZE = 100


@dataclass
class SearchResult:
    """Total matches and one page of hits (id, score, title, url, facets, record)."""

    total: int
    hits: list[dict[str, Any]] = field(default_factory=list)


def build_query(query: str, *, portal: str | None = None) -> dict[str, Any]:
    """The query body (pure, so its shape is testable without a cluster)."""
    text = " ".join(query.split())
    must: dict[str, Any]
    should: list[dict[str, Any]] = []
    if text:
        must = {
            "multi_match": {
                "query": text,
                "type": "cross_fields",
                "operator": "and",
                "fields": SEARCH_FIELDS,
            }
        }
        should.append({"multi_match": {"query": text, "type": "phrase", "fields": SEARCH_FIELDS}})
    else:
        must = {"match_all": {}}
    filters: list[dict[str, Any]] = []
    if portal:
        filters.append({"term": {"portals": portal}})
    return {"bool": {"must": [must], "should": should, "filter": filters}}


def search(
    client: OpenSearch,
    alias: str,
    query: str,
    *,
    portal: str | None = None,
    size: int = 10,
    offset: int = 0,
) -> SearchResult:
    """Search ``alias``; an empty query lists everything (filtered by ``portal`` when given)."""
    body = {
        "query": build_query(query, portal=portal),
        "size": max(0, min(size, MAX_SIZE)),
        "from": max(0, offset),
        "track_total_hits": True,
    }
    try:
        response = client.search(index=alias, body=body)
    except NotFoundError as exc:
        raise IndexingError(
            f"index {alias} does not exist yet: run `ren-index index` / index absent"
        ) from exc
    except TransportError as exc:
        raise IndexingError(f"OpenSearch refused the search on {alias}: {exc.error}") from exc
    hits = response["hits"]
    return SearchResult(total=int(hits["total"]["value"]), hits=[_hit(h) for h in hits["hits"]])


def _hit(raw: dict[str, Any]) -> dict[str, Any]:
    source = raw.get("_source", {})
    record = source.get("record") or {}
    title = pick_lang(record.get("general", {}).get("title") or {})
    if title is None:
        for key in ("title_fr", "title_en", "title_other"):
            if source.get(key):
                title = source[key][0]
                break
    return {
        "id": raw["_id"],
        "score": float(raw.get("_score") or 0.0),
        "title": title,
        "url": source.get("url"),
        "source": source.get("source"),
        "portals": source.get("portals", []),
        "languages": source.get("languages", []),
        "levels": source.get("levels", []),
        "licence": source.get("licence"),
        "record": record,
    }
