"""The portal search API's core: request bodies in, response JSON out, no HTTP and no I/O.

The web layer (:mod:`ren_index.web.routes_api`) only parses parameters, sends the bodies built
here and returns what :func:`shape_search` makes of OpenSearch's answer; everything a portal
relies on (filters, facets, snippets, labels) is decided here, testable without a server.

Faceting is the standard "each facet counts with the *other* filters applied": the query holds
only the words, every filter goes to ``post_filter`` (so hits are filtered) and each facet is
counted inside a ``filter`` aggregation carrying every filter but its own. Facets whose filter
is not in use share one aggregation, so a page with no filter costs a single pass.

The query's language is guessed with Lingua (the detector validation already uses, restricted to
French and English: ~0.1 ms for a few words) and, when it is clear, that language's fields count
double (:func:`ren_index.search.query.text_query`); an unclear guess ("fraction") changes nothing.

A group of duplicates has one document per portal; a search without ``portal`` collapses on
``group`` (:data:`ONE_PER_GROUP`) so it never returns two members of one group either.

Highlights come from OpenSearch's highlighter with ``encoder: html`` (:data:`HIGHLIGHT`): titles
whole, descriptions as one fragment of about :data:`SNIPPET_CHARS` characters, and only for the
fields that matched. Their text is HTML-escaped and only ``<mark>`` / ``</mark>`` are real tags;
every other field of a response is plain text. One result, and the resource page, are shaped
by :mod:`ren_index.search.results`, which states that contract.

No response carries more of a text than the limits of ``validation.yaml`` (``text.title_max_chars``,
``text.description_max_chars``, as :class:`TextRules`): a source may send a 1 MB title, and a
record approved before anyone shortened it (TITLE_TOO_LONG) must not make a result page, or the
type-ahead under every keystroke, weigh a megabyte. Titles and keywords are cut at the title
limit, every other text at the description limit, ending in "…" (:func:`clip`); a cut highlight
stays well-formed HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from ren_index.config.languages import language_label
from ren_index.config.rules import PortalPolicy, TextRules, clip
from ren_index.config.vocabularies import Vocabularies, Vocabulary
from ren_index.search.query import LANGUAGE_GROUPS, TITLE_FIELDS, text_query
from ren_index.search.results import HIT_SOURCE, concept_labels, hit_view
from ren_index.validate.language_detection import detector

ONE_PER_GROUP: dict[str, Any] = {"field": "group"}
"""Collapse on the group of duplicates, for a search across portals: on one portal a group has one
document (:mod:`ren_index.index.group_documents`), but two members may stand for it on two portals.
``total`` and the facets still count documents: such a group counts twice there."""
SORTS = ("relevance", "date")
MAX_PAGE_SIZE = 50
MAX_WINDOW = 10_000
"""OpenSearch's ``index.max_result_window``: ``page * size`` may not go past it."""
SNIPPET_CHARS = 200
"""About how many characters of a description a highlight fragment holds."""
SUGGEST_SIZE = 10
QUERY_LANGUAGES = ("fr", "en")
MIN_LANGUAGE_CONFIDENCE = 0.6

FILTER_FIELDS: dict[str, str] = {
    "level": "levels",
    "language": "languages",
    "licence": "licence",
    "type": "resource_types",
    "discipline": "disciplines",
    "source": "source",
    "portal": "portals",
}
"""API filter parameter -> document field."""

FACETS: dict[str, tuple[str, str, int]] = {
    "level": ("levels", "level", 100),
    "language": ("languages", "language", 30),
    "licence": ("licence", "licence", 50),
    "licence_family": ("licence_family", "licence", 10),
    "type": ("resource_types", "type", 50),
    "discipline": ("disciplines", "discipline", 100),
    "source": ("source", "source", 100),
    "portal": ("portals", "portal", 10),
}
"""Facet name -> (document field, the filter parameter it is counted without, bucket count)."""

LICENCE_FAMILIES: dict[str, tuple[str, str]] = {
    "open": ("Licence ouverte", "Open licence"),
    "non-commercial": ("Pas d'utilisation commerciale", "Non-commercial"),
    "no-derivatives": ("Pas de modification", "No derivatives"),
    "non-commercial-no-derivatives": (
        "Pas d'utilisation commerciale, pas de modification",
        "Non-commercial, no derivatives",
    ),
    "public-domain": ("Domaine public", "Public domain"),
    "educational-use": ("Usage éducatif", "Educational use"),
    "all-rights-reserved": ("Tous droits réservés", "All rights reserved"),
    "undetermined": ("Indéterminée", "Undetermined"),
}


HIGHLIGHT: dict[str, Any] = {
    "encoder": "html",
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "fields": {
        **{f"title_{lang}": {"number_of_fragments": 0} for lang in LANGUAGE_GROUPS},
        **{
            f"description_{lang}": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1}
            for lang in LANGUAGE_GROUPS
        },
    },
}
"""The highlighter's request: escaped text, ``<mark>`` tags, only the fields that matched (no
``no_match_size``: a field that did not match is not highlighted); a title whole (it is short)."""


class InvalidParameter(ValueError):
    """A parameter OpenSearch would accept but the API must not (the web layer answers 422)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class SearchParams:
    """One search request, already type-checked by the web layer."""

    q: str = ""
    portal: str | None = None
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """``level``, ``language``, ``licence``, ``type``, ``discipline``, ``source`` -> values (OR)."""
    page: int = 1
    size: int = 10
    sort: str = "relevance"


def _check_portal(portal: str | None, portals: Mapping[str, PortalPolicy]) -> None:
    if portal is not None and portal not in portals:
        raise InvalidParameter(
            "portal", f"unknown portal {portal!r}: use one of {', '.join(portals)} / portail inconnu"
        )


def check(params: SearchParams, portals: Mapping[str, PortalPolicy]) -> None:
    """Raise :class:`InvalidParameter` for what the types alone cannot refuse.

    ``portals`` are the portals of ``config/portals.yaml``: the only portal names there are.
    """
    _check_portal(params.portal, portals)
    if params.sort not in SORTS:
        raise InvalidParameter(
            "sort", f"unknown sort {params.sort!r}: use one of {', '.join(SORTS)} / tri inconnu"
        )
    if params.page * params.size > MAX_WINDOW:
        raise InvalidParameter(
            "page",
            f"page × size may not exceed {MAX_WINDOW}: narrow the search with filters / page trop loin",
        )


def build_search(
    params: SearchParams, portals: Mapping[str, PortalPolicy], vocabularies: Vocabularies | None = None
) -> dict[str, Any]:
    """The OpenSearch body for one search request (pure)."""
    check(params, portals)
    text = " ".join(params.q.split())
    active = _active_filters(params, vocabularies)
    body: dict[str, Any] = {
        "query": text_query(text, query_language(text)) if text else {"match_all": {}},
        "from": (params.page - 1) * params.size,
        "size": params.size,
        "track_total_hits": True,
        "_source": HIT_SOURCE,
        "aggs": _facet_aggs(active),
        "highlight": HIGHLIGHT,
    }
    if active:
        body["post_filter"] = {"bool": {"filter": list(active.values())}}
    if params.portal is None:
        body["collapse"] = ONE_PER_GROUP
    if params.sort == "date" or not text:
        body["sort"] = [
            {"date_modified": {"order": "desc", "missing": "_last", "unmapped_type": "date"}},
            {"id": "asc"},
        ]
    return body


@lru_cache(maxsize=1024)
def query_language(text: str) -> str | None:
    """``fr`` or ``en`` when Lingua is at least 60 % sure of the query's language, else ``None``.

    Cached (1,024 texts of at most 500 characters): a search asks twice (the query's boosts, then
    the highlight to prefer), and portals send the same few queries again and again.
    """
    found = detector(QUERY_LANGUAGES) if sum(map(str.isalpha, text)) >= 3 else None
    if found is None:
        return None
    best = found.compute_language_confidence_values(text[:200])[0]
    if best.value < MIN_LANGUAGE_CONFIDENCE:
        return None
    return str(best.language.iso_code_639_1.name.lower())


def shape_search(
    raw: Mapping[str, Any],
    params: SearchParams,
    portals: Mapping[str, PortalPolicy],
    vocabularies: Vocabularies | None = None,
    limits: TextRules | None = None,
) -> dict[str, Any]:
    """The API response for OpenSearch's answer to :func:`build_search` (pure).

    ``limits`` are the text limits of ``validation.yaml`` (their defaults when ``None``).
    """
    hits = raw["hits"]
    limits = limits or TextRules()
    text = " ".join(params.q.split())
    prefer = query_language(text) if text and hits["hits"] else None
    return {
        "total": int(hits["total"]["value"]),
        "page": params.page,
        "size": params.size,
        "results": [hit_view(hit, vocabularies, limits, prefer) for hit in hits["hits"]],
        "facets": _facets(raw.get("aggregations", {}), portals, vocabularies),
    }


def build_suggest(
    q: str, portals: Mapping[str, PortalPolicy], portal: str | None = None, size: int = SUGGEST_SIZE
) -> dict[str, Any]:
    """Type-ahead body: ``bool_prefix`` over the ``search_as_you_type`` shingles (pure)."""
    _check_portal(portal, portals)
    query: dict[str, Any] = {
        "multi_match": {
            "query": " ".join(q.split()),
            "type": "bool_prefix",
            "fields": ["suggest", "suggest._2gram", "suggest._3gram"],
        }
    }
    body: dict[str, Any] = {"size": size, "_source": TITLE_FIELDS, "track_total_hits": False}
    if portal:
        query = {"bool": {"must": [query], "filter": [{"term": {"portals": portal}}]}}
    else:
        body["collapse"] = ONE_PER_GROUP
    return {"query": query, **body}


def shape_suggest(raw: Mapping[str, Any], limits: TextRules | None = None) -> list[dict[str, Any]]:
    """``[{"id", "title"}]``: the French title when there is one, else English, else any (cut at
    the title limit)."""
    limit = (limits or TextRules()).title_max_chars
    out = []
    for hit in raw["hits"]["hits"]:
        source = hit.get("_source", {})
        title = next((source[f][0] for f in TITLE_FIELDS if source.get(f)), None)
        out.append({"id": hit["_id"], "title": clip(title, limit) if isinstance(title, str) else None})
    return out


# -- filters and facets ----------------------------------------------------------------------


def _active_filters(params: SearchParams, vocabularies: Vocabularies | None) -> dict[str, dict[str, Any]]:
    """Filter parameter -> its clause, for the parameters in use (values OR-ed, filters AND-ed)."""
    wanted: dict[str, list[str]] = {
        k: [v.strip() for v in vs if v.strip()] for k, vs in params.filters.items()
    }
    if params.portal:
        wanted["portal"] = [params.portal]
    clauses: dict[str, dict[str, Any]] = {}
    for name, values in wanted.items():
        if not values:
            continue
        if name not in FILTER_FIELDS:
            raise InvalidParameter(name, f"unknown filter {name!r}")
        if name == "licence":
            clauses[name] = _licence_clause(values)
            continue
        if vocabularies is not None and name in ("level", "type"):
            vocab = vocabularies.levels if name == "level" else vocabularies.resource_types
            values = _resolve(vocab, values)
        clauses[name] = {"terms": {FILTER_FIELDS[name]: values}}
    return clauses


def _resolve(vocab: Vocabulary, values: list[str]) -> list[str]:
    """Concept URIs for each value: a URI as is, else the concepts it names ("secondaire", "S3")."""
    out: list[str] = []
    for value in values:
        found = [value] if value in vocab.concepts else [c.uri for c in vocab.find(value)] or [value]
        out.extend(u for u in found if u not in out)
    return out


def _licence_clause(values: list[str]) -> dict[str, Any]:
    """A licence filter value is a family name (``open``) or a licence URI; either may match."""
    families = [v for v in values if v in LICENCE_FAMILIES]
    uris = [v for v in values if v not in LICENCE_FAMILIES]
    should: list[dict[str, Any]] = []
    if families:
        should.append({"terms": {"licence_family": families}})
    if uris:
        should.append({"terms": {"licence": uris}})
    return should[0] if len(should) == 1 else {"bool": {"should": should, "minimum_should_match": 1}}


def _facet_aggs(active: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """One ``filter`` aggregation per distinct set of other-filters, holding its facets' ``terms``."""
    groups: dict[str, dict[str, Any]] = {}
    for facet, (field_name, param, size) in FACETS.items():
        key = f"without_{param}" if param in active else "all"
        clauses = [c for p, c in active.items() if p != param]
        group = groups.setdefault(
            key,
            {"filter": {"bool": {"filter": clauses}} if clauses else {"match_all": {}}, "aggs": {}},
        )
        group["aggs"][facet] = {"terms": {"field": field_name, "size": size}}
    return groups


def _facets(
    aggs: Mapping[str, Any], portals: Mapping[str, PortalPolicy], vocabularies: Vocabularies | None
) -> dict[str, list[dict[str, Any]]]:
    """Each facet's buckets as ``{value, label_fr, label_en, count}`` (up to ~450 a page: the
    labeller is chosen once per facet, not per bucket)."""
    out: dict[str, list[dict[str, Any]]] = {facet: [] for facet in FACETS}
    for group in aggs.values():
        for facet in FACETS:
            if facet in group:
                labels = _labeller(facet, portals, vocabularies)
                for bucket in group[facet]["buckets"]:
                    fr, en = labels(bucket["key"])
                    out[facet].append(
                        {"value": bucket["key"], "label_fr": fr, "label_en": en, "count": bucket["doc_count"]}
                    )
    return out


Labeller = Callable[[str], tuple[str | None, str | None]]


def _no_labels(value: str) -> tuple[str | None, str | None]:
    return None, None


def _family_labels(value: str) -> tuple[str | None, str | None]:
    return LICENCE_FAMILIES.get(value, (None, None))


def _language_labels(value: str) -> tuple[str | None, str | None]:
    return language_label(value, "fr"), language_label(value, "en")


def _labeller(facet: str, portals: Mapping[str, PortalPolicy], vocabularies: Vocabularies | None) -> Labeller:
    """How one facet's values get their French and English labels (``None`` when unknown)."""
    if facet == "licence_family":
        return _family_labels
    if facet == "language":
        return _language_labels
    if facet == "portal":

        def portal_labels(value: str) -> tuple[str | None, str | None]:
            policy = portals.get(value)
            return (policy.label("fr"), policy.label("en")) if policy is not None else (None, None)

        return portal_labels
    if vocabularies is not None and facet in ("level", "licence", "type"):
        vocab = {"level": vocabularies.levels, "licence": vocabularies.licences}.get(
            facet, vocabularies.resource_types
        )
        return partial(concept_labels, vocab)
    return _no_labels
