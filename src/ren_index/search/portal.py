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

Snippets come from OpenSearch's highlighter with ``encoder: html``: the description text is
HTML-escaped and only ``<mark>`` / ``</mark>`` are real tags, so a portal can insert the snippet
as HTML without sanitizing it (harvested text is hostile until proven otherwise).

No response carries more of a text than the limits of ``validation.yaml`` (``text.title_max_chars``,
``text.description_max_chars``, as :class:`TextRules`): a source may send a 1 MB title, and a
record approved before anyone shortened it (TITLE_TOO_LONG) must not make a result page, or the
type-ahead under every keystroke, weigh a megabyte. Titles and keywords are cut at the title
limit, every other text at the description limit, ending in "…" (:func:`clip`); a cut snippet
stays well-formed HTML.

Size: one module on purpose — everything the portals' API promises (parameters, facets, snippets,
labels, the bounds of a response) reads in one place, as pure functions tested without a server.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ren_index.config.languages import language_label
from ren_index.config.rules import ELLIPSIS, PortalPolicy, TextRules, clip
from ren_index.config.vocabularies import Vocabularies, Vocabulary
from ren_index.ledger.models import ResourceRow
from ren_index.ledger.record_json import record_view
from ren_index.model import pick_lang
from ren_index.search.query import LANGUAGE_GROUPS, TITLE_FIELDS, text_query
from ren_index.validate.language_detection import detector

SORTS = ("relevance", "date")
MAX_PAGE_SIZE = 50
MAX_WINDOW = 10_000
"""OpenSearch's ``index.max_result_window``: ``page * size`` may not go past it."""
SNIPPET_CHARS = 200
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
HIT_SOURCE = [
    *TITLE_FIELDS,
    "url",
    "levels",
    "licence",
    "licence_family",
    "languages",
    "resource_types",
    "source",
    "portals",
]
"""What a result needs from ``_source`` (never ``record``: a page of hits stays a few KB)."""

Labels = tuple[str | None, str | None]


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
        "highlight": {
            "encoder": "html",
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "fields": {
                f"description_{lang}": {
                    "fragment_size": SNIPPET_CHARS,
                    "number_of_fragments": 1,
                    "no_match_size": SNIPPET_CHARS,
                }
                for lang in LANGUAGE_GROUPS
            },
        },
    }
    if active:
        body["post_filter"] = {"bool": {"filter": list(active.values())}}
    if params.sort == "date" or not text:
        body["sort"] = [
            {"date_modified": {"order": "desc", "missing": "_last", "unmapped_type": "date"}},
            {"id": "asc"},
        ]
    return body


def query_language(text: str) -> str | None:
    """``fr`` or ``en`` when Lingua is at least 60 % sure of the query's language, else ``None``."""
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
    return {
        "total": int(hits["total"]["value"]),
        "page": params.page,
        "size": params.size,
        "results": [_result(hit, vocabularies, limits) for hit in hits["hits"]],
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
    if portal:
        query = {"bool": {"must": [query], "filter": [{"term": {"portals": portal}}]}}
    return {"query": query, "size": size, "_source": TITLE_FIELDS, "track_total_hits": False}


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


def resource_view(
    doc_id: str,
    source: Mapping[str, Any],
    vocabularies: Vocabularies | None,
    limits: TextRules | None = None,
) -> dict[str, Any]:
    """One indexed resource in the record-view shape of DESIGN.md, plus what a resource page shows.

    Built from the index alone (the API reads no ledger). ``decided_by`` is left out: who
    approved a record is the documentalists' business, not the public's. Texts are cut at the
    limits (``record`` holds them whole).
    """
    limits = limits or TextRules()
    row = ResourceRow(
        id=doc_id,
        source_id=str(source.get("source")),
        status=str(source.get("status")),
        portals=list(source.get("portals") or []),
        record=source.get("record"),
        issues=[],
        decided_by=None,
    )
    view = record_view(row, with_issues=False, vocabularies=vocabularies)
    view.pop("decided_by", None)
    record = source.get("record") or {}
    general = record.get("general") or {}
    description = general.get("description") or {}
    view["description"] = {"fr": _lang(description, "fr"), "en": _lang(description, "en")}
    view["keywords"] = [k for k in (pick_lang(kw) for kw in general.get("keywords") or []) if k]
    view["licence"]["family"] = source.get("licence_family")
    view["resource_types"] = list(source.get("resource_types") or [])
    view["disciplines"] = list(source.get("disciplines") or [])
    view["date_modified"] = source.get("date_modified")
    view["title"] = _bounded(view["title"], limits.title_max_chars)
    view["keywords"] = _bounded(view["keywords"], limits.title_max_chars)
    bounded: dict[str, Any] = _bounded(view, limits.description_max_chars)
    return bounded


def _bounded(value: Any, limit: int) -> Any:
    """``value`` with every string in it cut at ``limit`` characters (dicts and lists walked)."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, dict):
        return {key: _bounded(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_bounded(item, limit) for item in value]
    return value


_MARK_TAG = re.compile(r"</?mark>")


def clip_snippet(snippet: str, limit: int) -> str:
    """A highlighted snippet (escaped text, ``<mark>`` tags) of at most ``limit`` characters.

    Cut as HTML, not as a string: a snippet cut inside ``&amp;`` or ``<mark>`` would be broken
    markup. One that is too long loses its marks (it cannot come from a normal fragment anyway).
    """
    if len(snippet) <= limit:
        return snippet
    text = html.unescape(_MARK_TAG.sub("", snippet))[:limit]
    kept: list[str] = []
    used = len(ELLIPSIS)
    for char in text:
        escaped = html.escape(char)
        if used + len(escaped) > limit:
            break
        kept.append(escaped)
        used += len(escaped)
    return "".join(kept).rstrip() + ELLIPSIS


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
    out: dict[str, list[dict[str, Any]]] = {facet: [] for facet in FACETS}
    for group in aggs.values():
        for facet in FACETS:
            if facet in group:
                out[facet] = [
                    {
                        "value": b["key"],
                        **_facet_labels(facet, b["key"], portals, vocabularies),
                        "count": b["doc_count"],
                    }
                    for b in group[facet]["buckets"]
                ]
    return out


def _facet_labels(
    facet: str, value: str, portals: Mapping[str, PortalPolicy], vocabularies: Vocabularies | None
) -> dict[str, str | None]:
    fr: str | None = None
    en: str | None = None
    if facet == "licence_family":
        fr, en = LICENCE_FAMILIES.get(value, (None, None))
    elif facet == "language":
        fr, en = language_label(value, "fr"), language_label(value, "en")
    elif facet == "portal":
        policy = portals.get(value)
        if policy is not None:
            fr, en = policy.label("fr"), policy.label("en")
    elif vocabularies is not None and facet in ("level", "licence", "type"):
        vocab = {"level": vocabularies.levels, "licence": vocabularies.licences}.get(
            facet, vocabularies.resource_types
        )
        fr, en = _labels(vocab, value)
    return {"label_fr": fr, "label_en": en}


# -- one result ------------------------------------------------------------------------------


def _result(hit: Mapping[str, Any], vocabularies: Vocabularies | None, limits: TextRules) -> dict[str, Any]:
    source = hit.get("_source", {})
    highlight = hit.get("highlight", {})
    licence = source.get("licence")
    licence_labels = _labels(vocabularies.licences, licence) if vocabularies and licence else (None, None)
    snippets = _by_language(highlight, "description")
    result = {
        "id": hit["_id"],
        "title": _bounded(_by_language(source, "title"), limits.title_max_chars),
        "description": {
            lang: clip_snippet(text, limits.description_max_chars) if text else text
            for lang, text in snippets.items()
        },
        "url": source.get("url"),
        "levels": _levels(source.get("levels") or [], vocabularies),
        "licence": {
            "uri": licence,
            "label_fr": licence_labels[0],
            "label_en": licence_labels[1],
            "family": source.get("licence_family"),
        },
        "languages": source.get("languages", []),
        "resource_types": source.get("resource_types", []),
        "source": source.get("source"),
        "portals": source.get("portals", []),
    }
    return {
        key: value if key in ("title", "description") else _bounded(value, limits.description_max_chars)
        for key, value in result.items()
    }


def _by_language(values: Mapping[str, Any], name: str) -> dict[str, str | None]:
    """``{"fr", "en"}`` from ``<name>_fr`` / ``_en``; ``_other`` text stands in when both are absent."""
    fr = values.get(f"{name}_fr")
    en = values.get(f"{name}_en")
    if not fr and not en:
        fr = values.get(f"{name}_other")
    return {"fr": fr[0] if fr else None, "en": en[0] if en else None}


def _levels(uris: list[str], vocabularies: Vocabularies | None) -> list[dict[str, str | None]]:
    """The record's own levels: the indexed list minus the broader levels added for filtering."""
    if vocabularies is None:
        return [{"uri": u, "label_fr": None, "label_en": None} for u in uris]
    vocab = vocabularies.levels
    broader = {a for u in uris for a in vocab.ancestors(u)}
    out = []
    for uri in uris:
        if uri not in broader:
            fr, en = _labels(vocab, uri)
            out.append({"uri": uri, "label_fr": fr, "label_en": en})
    return out


def _labels(vocab: Vocabulary, uri: str) -> Labels:
    concept = vocab.get(uri)
    if concept is None:
        return None, None
    return concept.pref_labels.get("fr"), concept.pref_labels.get("en")


def _lang(text: Mapping[str, str], lang: str) -> str | None:
    for tag, value in text.items():
        if tag == lang or tag.startswith(lang + "-"):
            return value
    return pick_lang(dict(text)) if lang == "fr" and not _lang(text, "en") and text else None
