"""The portal query: words in, ranked resources out.

User text goes to ``simple_query_string`` only, never to ``query_string`` (whose syntax lets a
visitor write field names, regexes and wildcards that cost the cluster dearly or fail the query);
only the harmless operators are enabled (``"phrase"``, ``-not``, ``a | b``, ``prefix*``, brackets).

One ``simple_query_string`` per *language group* (French fields, English fields, other fields),
each with ``default_operator: and``, under a ``dis_max``: every word must be found in that
group's fields (title, keywords or description), analysed with that group's analyzer. AND
because portal users type several words to narrow ("fractions primaire"), and because the
per-language grouping drops stop words where they are stop words: "évaluation des
apprentissages" requires "des" nowhere, while a single ``simple_query_string`` over all fields
would require it in the English fields, where it is not a stop word. Boosts: title ^3 above
keywords ^2 above description ^1; a phrase match in a title adds to the score. When the
query's language is known (``prefer``), that language's group counts double, so an English query
lists English records before French ones that match it as well (cognates: "fractions").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

from ren_index.errors import IndexingError
from ren_index.model import pick_lang

LANGUAGE_GROUPS = ("fr", "en", "other")
FIELD_BOOSTS = (("title", 3), ("keywords", 2), ("description", 1))
SEARCH_FIELDS = [f"{name}_{lang}^{boost}" for lang in LANGUAGE_GROUPS for name, boost in FIELD_BOOSTS]
TITLE_FIELDS = [f"title_{lang}" for lang in LANGUAGE_GROUPS]
QUERY_FLAGS = "AND|OR|NOT|PHRASE|PREFIX|PRECEDENCE|WHITESPACE|ESCAPE"
"""``simple_query_string`` operators a visitor may use (no fuzzy, slop or near: costly, rarely meant)."""


PREFERRED_LANGUAGE_BOOST = 2.0


def text_query(text: str, prefer: str | None = None) -> dict[str, Any]:
    """The relevance core for one user text (already stripped, not empty); pure.

    ``prefer`` is the language the text is written in (``fr`` or ``en``) when it is known.
    """
    groups = [
        {
            "simple_query_string": {
                "query": text,
                "fields": [f"{name}_{lang}^{boost}" for name, boost in FIELD_BOOSTS],
                "default_operator": "and",
                "flags": QUERY_FLAGS,
                "auto_generate_synonyms_phrase_query": False,
                "boost": PREFERRED_LANGUAGE_BOOST if lang == prefer else 1.0,
            }
        }
        for lang in LANGUAGE_GROUPS
    ]
    phrase = {"multi_match": {"query": text, "type": "phrase", "fields": TITLE_FIELDS, "boost": 2}}
    return {"bool": {"must": [{"dis_max": {"queries": groups, "tie_breaker": 0.3}}], "should": [phrase]}}


MAX_SIZE = 100


@dataclass
class SearchResult:
    """Total matches and one page of hits (id, score, title, url, facets, record)."""

    total: int
    hits: list[dict[str, Any]] = field(default_factory=list)


def build_query(query: str, *, portal: str | None = None) -> dict[str, Any]:
    """The query body (pure, so its shape is testable without a cluster)."""
    text = " ".join(query.split())
    must = text_query(text) if text else {"match_all": {}}
    filters: list[dict[str, Any]] = []
    if portal:
        filters.append({"term": {"portals": portal}})
    return {"bool": {"must": [must], "filter": filters}}


def search(
    client: OpenSearch,
    alias: str,
    query: str,
    *,
    portal: str | None = None,
    size: int = 10,
    offset: int = 0,
) -> SearchResult:
    """Search ``alias``; an empty query lists everything (filtered by ``portal`` when given).

    Without ``portal``, one hit per group of duplicates (collapsed on ``group``: two members of a
    group may stand for it on two portals, :mod:`ren_index.index.group_documents`)."""
    body: dict[str, Any] = {
        "query": build_query(query, portal=portal),
        "size": max(0, min(size, MAX_SIZE)),
        "from": max(0, offset),
        "track_total_hits": True,
    }
    if not portal:
        body["collapse"] = {"field": "group"}
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
